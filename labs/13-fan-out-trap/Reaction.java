import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import workbook.kafka.Clients;
import workbook.story.Story;

/**
 * One reaction to order.confirmed, in its own consumer group: it hands every confirmed order to
 * one service. When that service is down, the event waits in the broker, not the customer.
 */
final class Reaction implements AutoCloseable {
  static final Duration RETRY_PAUSE = Duration.ofMillis(250);

  private final Shop.Service service;
  private final Duration retryPause;
  /**
   * The reaction's time: whatever it does with the time, it reads it here, never from System.nanoTime() or
   * currentTimeMillis() (the tests give it a clock of their own, which runs hours ahead while they watch).
   */
  final Clock clock;
  private final KafkaConsumer<String, String> consumer;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Thread thread;
  private volatile RuntimeException stoppedBy;

  Reaction(String topic, String group, Shop.Service service) {
    this(topic, group, service, RETRY_PAUSE);
  }

  /** retryPause: how long backOff() waits (RETRY_PAUSE; the tests pass shorter ones, to get through outages fast). */
  Reaction(String topic, String group, Shop.Service service, Duration retryPause) {
    this(topic, group, service, retryPause, Clock.systemUTC());
  }

  /** clock: where the reaction reads the time (the system's; a test passes its own). */
  Reaction(String topic, String group, Shop.Service service, Duration retryPause, Clock clock) {
    this(topic, group, service, retryPause, clock, Clients::consumer);
  }

  /** consumers: makes the consumer from its config (a test passes one whose async commits are answered late). */
  Reaction(String topic, String group, Shop.Service service, Duration retryPause, Clock clock,
      Function<Map<String, Object>, KafkaConsumer<String, String>> consumers) {
    this.service = service;
    this.retryPause = retryPause;
    this.clock = clock;
    Map<String, Object> config = Clients.consumerConfig(group, service.name() + "-reaction");
    // We commit ourselves, and only after the service did its part (see run()).
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer = consumers.apply(config);
    this.thread = new Thread(() -> run(topic), service.name() + "-reaction");
    thread.setDaemon(true);
    thread.start();
  }

  /** Hands one confirmed order to the service, and returns only once the service has done it. */
  void deliver(String orderId) {
    // TODO 2: call service.call(orderId); each time it throws Shop.ServiceFailed, backOff() and call it again.
    throw new UnsupportedOperationException("TODO 2: deliver " + orderId + " to " + service.name()
        + ", retrying while it fails");
  }

  /**
   * Waits the retry pause (RETRY_PAUSE) before the next attempt, as the reaction's clock tells it; throws Closing when
   * this reaction is being closed.
   */
  void backOff() {
    java.time.Instant until = clock.instant().plus(retryPause);
    try {
      long left;
      do {
        left = Math.max(0, Duration.between(clock.instant(), until).toNanos());
        if (closing.await(left, TimeUnit.NANOSECONDS)) throw new Closing();
      } while (left > 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Closing();
    }
  }

  private void run(String topic) {
    try {
      Clients.subscribe(consumer, topic);
      while (closing.getCount() > 0) {
        for (ConsumerRecord<String, String> event : consumer.poll(Duration.ofMillis(200))) {
          // deliver() may retry for a while inside this loop: fine for outages shorter than
          // max.poll.interval.ms (5 min), after which the group would hand the partition to
          // another member. Longer outages call for pause()/resume() or a retry topic.
          deliver(event.key()); // the key is the order id
          // Commit only now that the service has done its part: if this process dies before
          // the commit, the event is delivered again after a restart instead of being lost.
          consumer.commitSync(Map.of(new TopicPartition(event.topic(), event.partition()),
              new OffsetAndMetadata(event.offset() + 1)));
        }
      }
    } catch (WakeupException | Closing e) {
      // close() asked us to stop; whatever was not delivered stays uncommitted in the broker
    } catch (RuntimeException e) {
      stoppedBy = e;
      Story.add(service.name() + " reaction stopped: " + e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /** Why the reaction's thread stopped on its own, or null while it runs. */
  RuntimeException stoppedBy() { return stoppedBy; }

  @Override
  public void close() {
    closing.countDown();
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Thrown by backOff() when the reaction is closing: the loop stops without committing. */
  static final class Closing extends RuntimeException {
    Closing() { super("closing", null, false, false); }
  }
}
