import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import workbook.kafka.Timeline;

/**
 * The outbox relay: publishes pending outbox rows in the order they were written, and marks a row
 * sent only after the broker acknowledged it. Call relayOnce() on a schedule; each pass retries
 * whatever the last one could not publish, so a broker outage only delays events.
 */
final class OutboxRelay {
  record Row(long id, String topic, String key, String payload) {}

  private final DataSource db;
  private final Producer<String, String> producer;

  OutboxRelay(DataSource db, Producer<String, String> producer) {
    this.db = db;
    this.producer = producer;
    this.clock = Clock.systemUTC();
  }

  /** A relay that reads the time from {@code clock} (the tests give it one they move). */
  OutboxRelay(DataSource db, Producer<String, String> producer, Clock clock) {
    this.db = db;
    this.producer = producer;
    this.clock = clock;
  }

  /** The relay's only source of the time: markSent stamps sent_at with it, and nothing else here reads a clock. */
  private final Clock clock;

  /**
   * Producer settings for the relay; each one is part of the no-loss guarantee, so this lab spells
   * them out instead of taking workbook.kafka.Clients' defaults (and gives up sooner than they do).
   */
  static Map<String, Object> producerConfig(String bootstrapServers, String clientId) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    // The broker acknowledges only once every in-sync replica has the record.
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    // The producer's own retries never write a record twice into the log.
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // The outbox is the retry queue, so give up fast while the broker is down: the row stays
    // pending and the next pass tries again. (delivery.timeout >= linger + request timeout)
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 1500);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    // Every record sent (or failed) becomes a line of the story under a failing test.
    c.put(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(Timeline.ProducerTrace.class));
    return c;
  }

  static KafkaProducer<String, String> producer(String bootstrapServers, String clientId) {
    return new KafkaProducer<>(producerConfig(bootstrapServers, clientId));
  }

  /** Publishes one row and waits for the broker: true once acknowledged, false if it failed. */
  boolean publish(Row row) throws InterruptedException {
    try {
      // get() waits for the broker's answer; with acks=all, success means the record is stored.
      producer.send(new ProducerRecord<>(row.topic(), row.key(), row.payload())).get();
      return true;
    } catch (ExecutionException e) {
      Timeline.note("relay: no acknowledgement for outbox row " + row.id() + ": " + e.getCause().getMessage());
      return false;
    } catch (org.apache.kafka.common.KafkaException e) {
      // send() itself threw: the record never reached the producer (its serializer refused it, for one)
      Timeline.note("relay: outbox row " + row.id() + " could not be sent: " + e.getMessage());
      return false;
    }
  }

  /** One pass over the outbox, oldest row first; returns how many rows it published. */
  int relayOnce() throws SQLException, InterruptedException {
    int published = 0;
    for (Row row : pending()) {
      // Stop at the first failure: no later row may overtake it, and the next pass retries it.
      if (!publish(row)) break;
      // Only after the ack: a crash just before this line re-sends the row (a duplicate, never a loss).
      markSent(row);
      published++;
    }
    return published;
  }

  /** The rows not yet acknowledged by the broker, oldest first. */
  List<Row> pending() throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        ResultSet r = c.createStatement().executeQuery(
            "SELECT id, topic, message_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id")) {
      while (r.next()) rows.add(new Row(r.getLong(1), r.getString(2), r.getString(3), r.getString(4)));
    }
    return rows;
  }

  void markSent(Row row) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("UPDATE outbox SET sent_at = ? WHERE id = ?")) {
      s.setObject(1, OffsetDateTime.now(clock));
      s.setLong(2, row.id());
      s.executeUpdate();
    }
    Timeline.note("relay: outbox row " + row.id() + " (" + row.key() + ") marked sent");
  }
}
