import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
  private final Map<String, KafkaConsumer<String, String>> consumers = new LinkedHashMap<>();
  private final Map<String, Thread> threads = new LinkedHashMap<>();
  private final Map<String, Set<Integer>> held = new ConcurrentHashMap<>();
  private final Handled handled;
  private volatile boolean running = true;
  /** Makes each worker's consumer (a test gives one whose broker answers late). */
  static java.util.function.Function<Map<String, Object>, KafkaConsumer<String, String>> newConsumer = Clients::consumer;

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
      Map<String, Object> config = Clients.withoutTimeline(Clients.consumerConfig(groupFor(topic, name), name));
      // Members hear of a rebalance at their next heartbeat: every 100 ms, so the group settles at once when a worker
      // comes or goes (the tests start, stop and restart workers many times).
      config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 100);
      KafkaConsumer<String, String> consumer = newConsumer.apply(config);
      Clients.subscribe(consumer, topic);
      consumers.put(name, consumer);
      held.put(name, Set.of());
      threads.put(name, new Thread(() -> work(name, consumer), name));
    }
    threads.values().forEach(Thread::start);
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
    } catch (WakeupException stop) {
      // close() or stop() woke us up; closing the consumer commits what we handled and leaves the group
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

  /**
   * Stops one worker, as a deploy or a scale-down does: it leaves the group, which rebalances
   * and gives its partitions to the others. Returns once it has stopped.
   */
  void stop(String worker) {
    consumers.get(worker).wakeup(); // its next poll() throws WakeupException: the loop ends there
    join(threads.get(worker));
    held.put(worker, Set.of());
  }

  @Override
  public void close() {
    if (!running) return;
    running = false;
    consumers.values().forEach(KafkaConsumer::wakeup);
    threads.values().forEach(Workers::join);
  }

  private static void join(Thread thread) {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
