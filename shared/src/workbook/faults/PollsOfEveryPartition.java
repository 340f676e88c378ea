package workbook.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A real consumer on a real broker whose every poll holds records of several partitions at once,
 * as a busy consumer's polls do: poll asks the broker again (at most {@link #MAX_POLLS} times) until
 * what it holds spans {@code partitions} partitions, or nothing more comes, and returns it all as
 * one batch (it stops early when the broker has nothing more). Each record is returned once and the position moves past it, exactly as if one fetch
 * had brought them all; whether a loop handles a batch partition by partition, or drops what follows
 * a failure, then shows every time, not only when the broker happened to answer for both at once.
 * Use it from the consumer's own thread only, like any KafkaConsumer.
 */
public class PollsOfEveryPartition<K, V> extends KafkaConsumer<K, V> {
  static final int MAX_POLLS = 10;
  private final int partitions;

  public PollsOfEveryPartition(Map<String, Object> config, int partitions) {
    super(config);
    this.partitions = partitions;
  }

  @Override
  public ConsumerRecords<K, V> poll(Duration timeout) {
    Map<TopicPartition, List<ConsumerRecord<K, V>>> held = new LinkedHashMap<>();
    Map<TopicPartition, OffsetAndMetadata> next = new LinkedHashMap<>();
    for (int i = 0; i < MAX_POLLS && held.size() < partitions; i++) {
      ConsumerRecords<K, V> some = super.poll(timeout);
      if (some.isEmpty()) break; // nothing more for now: what is held is the batch
      for (TopicPartition partition : some.partitions()) {
        held.computeIfAbsent(partition, p -> new ArrayList<>()).addAll(some.records(partition));
      }
      next.putAll(some.nextOffsets());
    }
    return new ConsumerRecords<>(held, next);
  }
}
