import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import workbook.kafka.Clients;
import workbook.kafka.Timeline;

/**
 * One service reading the orders topic on its own thread, as a member of its consumer group:
 * poll, react to each event in order, repeat. The group decides which events it gets.
 */
final class Service implements AutoCloseable {
  /** What a service does with an event: decrement stock, send an email, ... */
  interface Reaction {
    void on(Envelope event);
  }

  /** Makes a service's consumer from its config (the tests pass one whose group coordinator answers late). */
  static java.util.function.Function<Map<String, Object>, KafkaConsumer<String, String>> newConsumer = Clients::consumer;

  private final String name;
  private final Reaction reaction;
  private final KafkaConsumer<String, String> consumer;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final CountDownLatch assigned = new CountDownLatch(1);
  private final Thread thread;
  private volatile Map<Integer, Long> position = Map.of();
  private volatile boolean running = true;

  /** Starts the service and returns once its group gave it partitions (it reads from then on). */
  static Service start(String name, String topic, Reaction reaction) {
    Service service = new Service(name, topic, reaction);
    service.awaitPartitions();
    return service;
  }

  /** The consumer group this service reads in. */
  static String groupFor(String service) {
    // One group per service: each group gets every event; members of one group would share them.
    return service;
  }

  /** The settings of this service's consumer (see shared/src/workbook/kafka/Clients.java). */
  static Map<String, Object> config(String service) {
    Map<String, Object> config = Clients.consumerConfig(groupFor(service), service);
    // Where a group that has never committed an offset starts reading: at the oldest event kept,
    // so a new service replays the log; a group with committed offsets resumes from them instead.
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return config;
  }

  private Service(String name, String topic, Reaction reaction) {
    this.name = name;
    this.reaction = reaction;
    this.consumer = newConsumer.apply(config(name));
    Clients.subscribe(consumer, topic, partitions -> assigned.countDown());
    this.thread = new Thread(this::run, name);
    thread.start();
  }

  private void run() {
    try (consumer) {
      while (running) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) handle(record);
        Map<Integer, Long> now = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) now.put(tp.partition(), consumer.position(tp));
        position = now;
      }
    } catch (WakeupException stopping) {
      // close() woke us up to stop; closing the consumer commits what we read and leaves the group
    }
  }

  /** Lab 08 logs a failed reaction and moves on; lab 12 shows what to do instead (dead letters). */
  private void handle(ConsumerRecord<String, String> record) {
    Envelope event = Envelope.fromJson(record.value());
    seen.add(event.eventId());
    try {
      reaction.on(event);
    } catch (RuntimeException e) {
      Timeline.note(name + " could not react to " + event.eventType() + ": " + e.getMessage());
    }
  }

  private void awaitPartitions() {
    try {
      if (assigned.await(15, TimeUnit.SECONDS)) return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
    throw new IllegalStateException(name + " got no partitions from its group within 15 s: is the broker up?");
  }

  String name() { return name; }

  /** The eventIds this service was given, in the order it read them. */
  List<String> seen() { return List.copyOf(seen); }

  /** For each partition, the offset it will read next (its position). */
  Map<Integer, Long> position() { return position; }

  @Override
  public void close() {
    if (!running) return;
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
