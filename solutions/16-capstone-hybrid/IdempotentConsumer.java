import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import workbook.kafka.Clients;
import workbook.story.Story;

/**
 * One service's reading of order.confirmed (inventory, notification and analytics each run one,
 * in a consumer group of their own). Kafka may deliver an event twice; applyOnce makes the
 * second time harmless, and the offset is committed only after the database commit.
 */
final class IdempotentConsumer implements AutoCloseable {
  /** What a service does with one event, inside the consumer's transaction. */
  interface Reaction {
    void apply(Connection c, OrderService.OrderConfirmed event) throws SQLException;

    /** After the transaction committed (to tell the outside world); nothing by default. */
    default void afterCommit(OrderService.OrderConfirmed event) {}
  }

  /** Each service keeps this table in its own database, next to the data its reaction changes. */
  static final String SCHEMA = "CREATE TABLE processed_events (event_id VARCHAR(64) PRIMARY KEY)";
  static final String DUPLICATE_KEY = "23505"; // SQLSTATE of a primary key violation (H2, PostgreSQL, ...)

  private final String name;
  private final DataSource db;
  private final Reaction reaction;
  private final String topic;
  private final String group;
  private final String who;
  private volatile boolean running;
  private Thread thread;

  IdempotentConsumer(String name, DataSource db, Reaction reaction, String topic, String group) {
    this.name = name;
    this.db = db;
    this.reaction = reaction;
    this.topic = topic;
    this.group = group;
    this.who = String.format("%-12s", name); // the story's lines line up by service
  }

  /** Applies the event unless it was applied before: true if it changed something now. */
  boolean applyOnce(OrderService.OrderConfirmed event) throws SQLException {
    try (Connection c = db.getConnection()) {
      // One transaction: the id and the effect commit together, so a retry after a failure applies
      // the event, and a second delivery after a success finds the id and changes nothing.
      c.setAutoCommit(false);
      try {
        if (!recordOnce(c, event.eventId())) {
          c.rollback();
          return false;
        }
        reaction.apply(c, event);
        c.commit();
        return true;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Inserts the event's id; false if it is there already (the primary key decides, even in a race). */
  static boolean recordOnce(Connection c, String eventId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO processed_events (event_id) VALUES (?)")) {
      s.setString(1, eventId);
      s.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (DUPLICATE_KEY.equals(e.getSQLState())) return false;
      throw e;
    }
  }

  /** One poll: every record applied once, then the offsets committed, in that order. */
  int pollOnce(KafkaConsumer<String, String> from) throws SQLException {
    ConsumerRecords<String, String> records = from.poll(Duration.ofMillis(100));
    for (ConsumerRecord<String, String> record : records) {
      OrderService.OrderConfirmed event = OrderService.OrderConfirmed.fromJson(record.value());
      if (applyOnce(event)) reaction.afterCommit(event);
      else Story.add(who + " skipped a second copy of " + event.orderId() + "'s event " + event.eventId());
    }
    // Only now, with every effect committed: a crash before this line means redelivery, not loss.
    if (!records.isEmpty()) from.commitSync();
    return records.count();
  }

  /** Starts reading on a thread of its own; a failure restarts it from the last committed offset. */
  IdempotentConsumer start() {
    running = true;
    thread = new Thread(this::run, name + "-consumer");
    thread.start();
    return this;
  }

  /** How long a failed consumer waits before it reads again, as a restarted process would; a test sets it short. */
  private volatile Duration restartPause = Duration.ofMillis(500);

  IdempotentConsumer restartAfter(Duration pause) {
    restartPause = pause;
    return this;
  }

  private void run() {
    while (running) {
      try (KafkaConsumer<String, String> consumer = newConsumer()) {
        while (running) pollOnce(consumer);
      } catch (UnsupportedOperationException todo) {
        Story.add(who + " stopped: " + todo.getMessage() + " (not built yet)");
        running = false;
      } catch (Exception e) {
        // Like a crashed process that its platform restarts: uncommitted records come again.
        Story.add(who + " failed (" + e.getMessage() + "), restarting from the last committed offset");
        sleep(restartPause);
      }
    }
  }

  private KafkaConsumer<String, String> newConsumer() {
    Map<String, Object> config = Clients.consumerConfig(group, name);
    // Commit by hand, after the database commit (pollOnce): auto-commit could commit first.
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<String, String> consumer = Clients.consumer(config);
    Clients.subscribe(consumer, topic);
    return consumer;
  }

  String group() { return group; }

  /** Stops reading (within a poll) and leaves the group; what was not committed, the next start reads again. */
  void stop() {
    running = false;
    try {
      if (thread != null) thread.join(Duration.ofSeconds(15).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() { stop(); }

  private void sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      running = false;
    }
  }
}
