package workbook.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;

/**
 * A real consumer on a real broker whose asynchronous commits are answered late: an offset given
 * to commitAsync reaches the group at this consumer's next poll, commitSync or close (where a busy
 * coordinator's answer would be delivered), and never if its process dies first. commitSync is
 * not touched: it waits for its answer, as it should. On a quiet localhost an async commit lands
 * within a millisecond, so a test cannot tell it from a sync one; with this one it can, every time.
 * Use it from the consumer's own thread only, like any KafkaConsumer.
 */
public class LateAsyncCommits<K, V> extends KafkaConsumer<K, V> {
  private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
  private final List<Runnable> answers = new ArrayList<>();

  public LateAsyncCommits(Map<String, Object> config) {
    super(config);
  }

  @Override public void commitAsync() { commitAsync((OffsetCommitCallback) null); }

  @Override
  public void commitAsync(OffsetCommitCallback callback) {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    for (TopicPartition tp : assignment()) positions.put(tp, new OffsetAndMetadata(position(tp)));
    commitAsync(positions, callback);
  }

  @Override
  public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    Map<TopicPartition, OffsetAndMetadata> these = Map.copyOf(offsets);
    pending.putAll(these);
    if (callback != null) answers.add(() -> callback.onComplete(these, null));
  }

  @Override
  public ConsumerRecords<K, V> poll(Duration timeout) {
    deliver();
    return super.poll(timeout);
  }

  @Override public void commitSync() { deliver(); super.commitSync(); }
  @Override public void commitSync(Duration timeout) { deliver(); super.commitSync(timeout); }
  @Override public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) { deliver(); super.commitSync(offsets); }

  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    deliver();
    super.commitSync(offsets, timeout);
  }

  @Override
  public void close() {
    deliver();
    super.close();
  }

  @Override
  public void close(org.apache.kafka.clients.consumer.CloseOptions options) {
    deliver();
    super.close(options);
  }

  /** The late answer: the held offsets reach the group now, in the order they were given. */
  private void deliver() {
    if (pending.isEmpty()) return;
    Map<TopicPartition, OffsetAndMetadata> these = new HashMap<>(pending);
    pending.clear();
    super.commitSync(these);
    List<Runnable> callbacks = new ArrayList<>(answers);
    answers.clear();
    callbacks.forEach(Runnable::run);
  }
}
