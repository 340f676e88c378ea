import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import workbook.kafka.Poll;
import workbook.kafka.Timeline;
import workbook.kafka.Topics;

/**
 * Reads back everything on a one-partition topic, from the first record to the last: what any
 * consumer would eventually see. The demo and the tests use it. (Nothing to edit here.)
 */
final class OrdersTopic {
  private OrdersTopic() {}

  /** A topic with a unique name and one partition, so its order is the order of the outbox. */
  static String create(String bootstrapServers, String prefix) {
    return Topics.create(bootstrapServers, Topics.unique(prefix), 1);
  }

  /** Every record on the topic, oldest first; fails within 10 s if the broker does not serve them. */
  static List<ConsumerRecord<String, String>> readAll(String bootstrapServers, String topic) {
    long end = Topics.endOffsets(bootstrapServers, topic).getOrDefault(0, 0L);
    TopicPartition partition = new TopicPartition(topic, 0);
    // No group: the reader assigns itself the partition, reads, and commits nothing.
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.CLIENT_ID_CONFIG, "reader",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(Timeline.ConsumerTrace.class),
        // the broker answers a fetch at once when it has nothing more, instead of after half a second: closing the
        // reader waits for its last fetch
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      return Poll.records(consumer, (int) end, Duration.ofSeconds(10));
    }
  }

  /** The keys of every record on the topic, oldest first. */
  static List<String> keys(String bootstrapServers, String topic) {
    return readAll(bootstrapServers, topic).stream().map(ConsumerRecord::key).toList();
  }
}
