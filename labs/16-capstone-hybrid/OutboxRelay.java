import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.story.Story;

/**
 * Lab 10's relay, given: every pass publishes the pending outbox rows oldest first and marks
 * each sent only after the broker acknowledged it. A crash between the two sends a row twice,
 * never zero times: the consumers must cope with that (step 4). (Nothing to edit here.)
 */
final class OutboxRelay implements AutoCloseable {
  record Row(long id, String topic, String key, String payload) {}

  private final DataSource db;
  private final Producer<String, String> producer;
  private final ScheduledExecutorService passes =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outbox-relay"));

  OutboxRelay(DataSource db, Producer<String, String> producer) {
    this.db = db;
    this.producer = producer;
  }

  /** Runs a pass every {@code pause} on a thread of its own, until closed. */
  OutboxRelay start(Duration pause) {
    passes.scheduleWithFixedDelay(this::passQuietly, 0, pause.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One pass; returns how many rows it published. Stops at the first row the broker did not take. */
  int relayOnce() throws SQLException {
    int published = 0;
    for (Row row : pending()) {
      if (!publish(row)) break; // the next pass starts again from this row, so no event overtakes it
      markSent(row);
      published++;
    }
    return published;
  }

  private void passQuietly() {
    try {
      relayOnce();
    } catch (SQLException | RuntimeException e) {
      Story.add("relay        pass failed, the next one retries: " + e.getMessage());
    }
  }

  private boolean publish(Row row) {
    try {
      producer.send(new ProducerRecord<>(row.topic(), row.key(), row.payload())).get(15, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      Story.add("relay        the broker did not take outbox row " + row.id() + ", retrying later: " + e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  List<Row> pending() throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = db.getConnection();
        ResultSet r = c.createStatement().executeQuery(
            "SELECT id, topic, message_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id")) {
      while (r.next()) rows.add(new Row(r.getLong(1), r.getString(2), r.getString(3), r.getString(4)));
    }
    return rows;
  }

  private void markSent(Row row) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("UPDATE outbox SET sent_at = CURRENT_TIMESTAMP WHERE id = ?")) {
      s.setLong(1, row.id());
      s.executeUpdate();
    }
    Story.add("relay        published outbox row " + row.id() + " (" + row.key() + ") and marked it sent");
  }

  @Override
  public void close() {
    passes.shutdownNow();
    try {
      passes.awaitTermination(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
