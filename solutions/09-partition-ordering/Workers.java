import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import workbook.kafka.Clients;
import workbook.kafka.Poll;

/**
 * Workers that handle order events in parallel, one thread and one consumer each. Kafka gives
 * each partition to one member of a group, and a member reads a partition in offset order.
 */
final class Workers implements AutoCloseable {
  private final List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, Set<Integer>> held = new ConcurrentHashMap<>();
  private final Handled handled;
  private volatile boolean running = true;

  /** The consumer group of one worker of the workers that handle {@code topic}. */
  static String groupFor(String topic, String worker) {
    // One group for all of them: Kafka splits the partitions among the members, so each event is handled once.
    return topic + "-workers";
  }

  /** Starts {@code count} workers named worker-1, worker-2, ... on {@code topic}. */
  Workers(String topic, int count, Handled handled) {
    this.handled = handled;
    for (int i = 1; i <= count; i++) {
      String name = "worker-" + i;
      // Thousands of records would bury the timeline: the test tells the story instead.
      KafkaConsumer<String, String> consumer = Clients.consumer(
          Clients.withoutTimeline(Clients.consumerConfig(groupFor(topic, name), name)));
      Clients.subscribe(consumer, topic);
      consumers.add(consumer);
      held.put(name, Set.of());
      threads.add(new Thread(() -> work(name, consumer), name));
    }
    threads.forEach(Thread::start);
  }

  /** Polls and handles each record in the order poll returned it, on this worker's own thread. */
  private void work(String name, KafkaConsumer<String, String> consumer) {
    try (consumer) {
      while (running) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) handled.add(name, record);
        Set<Integer> partitions = new TreeSet<>();
        for (TopicPartition tp : consumer.assignment()) partitions.add(tp.partition());
        held.put(name, partitions);
      }
    } catch (WakeupException stopping) {
      // close() woke us up to stop
    }
  }

  /** Which partitions each worker holds right now. */
  Map<String, Set<Integer>> held() {
    return Map.copyOf(held);
  }

  /**
   * Waits until the group has settled: every worker holds a partition and all partitions are
   * held. Records sent from then on are read without a rebalance in the middle.
   */
  void awaitSettled(int partitions, Duration within) {
    Poll.until(() -> held.values().stream().allMatch(p -> !p.isEmpty())
            && held.values().stream().mapToInt(Set::size).sum() >= partitions,
        within, () -> "the workers did not settle on the " + partitions + " partitions: they hold " + held);
  }

  @Override
  public void close() {
    if (!running) return;
    running = false;
    consumers.forEach(KafkaConsumer::wakeup);
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
