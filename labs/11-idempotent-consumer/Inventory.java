import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import workbook.kafka.Json;

/**
 * The inventory's reaction to order.confirmed: take the quantity from stock, exactly once per
 * event, although the broker may deliver an event more than once. The event's id is recorded in
 * processed_events in the same transaction as the stock change: both happen, or neither.
 */
final class Inventory {
  static final String SCHEMA = """
      CREATE TABLE stock (
        sku VARCHAR(40) PRIMARY KEY,
        quantity INT NOT NULL
      );
      CREATE TABLE processed_events (
        event_id VARCHAR(64) PRIMARY KEY,
        processed_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL
      )""";
  // event_id is the primary key: the database itself refuses a second row for the same event,
  // even from two transactions that both looked and saw none.

  /** The event lab 10's outbox publishes; eventId is the same in every copy of one event. */
  record OrderConfirmed(String eventId, String eventType, String orderId, String sku, int quantity) {
    static OrderConfirmed fromJson(String json) { return Json.read(json, OrderConfirmed.class); }
  }

  /** SQLSTATE of a unique or primary key violation, the same in H2, PostgreSQL and most others. */
  static final String DUPLICATE_KEY = "23505";

  private final DataSource db;

  Inventory(DataSource db) { this.db = db; }

  /** Applies the event once: true if it took stock now, false if it had been applied before. */
  boolean apply(OrderConfirmed event) throws SQLException {
    // TODO 1: in ONE transaction, recordOnce the event's id and takeFromStock; if recordOnce returns false, change nothing.
    throw new UnsupportedOperationException("TODO 1: record the event and take its quantity from stock in one transaction");
  }

  /** Records the event's id in processed_events; false if it was recorded before. */
  static boolean recordOnce(Connection c, String eventId) throws SQLException {
    // TODO 3: make this safe for two consumers at once: insert first, and return false on a duplicate key (DUPLICATE_KEY).
    try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM processed_events WHERE event_id = ?")) {
      s.setString(1, eventId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        if (r.getInt(1) > 0) return false; // seen before
      }
    }
    try (PreparedStatement s = c.prepareStatement("INSERT INTO processed_events (event_id) VALUES (?)")) {
      s.setString(1, eventId);
      s.executeUpdate();
      return true;
    }
  }

  static void takeFromStock(Connection c, String sku, int quantity) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE stock SET quantity = quantity - ? WHERE sku = ?")) {
      s.setInt(1, quantity);
      s.setString(2, sku);
      if (s.executeUpdate() != 1) throw new SQLException("No stock row for " + sku);
    }
  }

  /** The quantity in stock for a sku (for the demo and the tests). */
  int stock(String sku) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT quantity FROM stock WHERE sku = ?")) {
      s.setString(1, sku);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) throw new SQLException("No stock row for " + sku);
        return r.getInt(1);
      }
    }
  }
}
