import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import workbook.story.Story;

/**
 * The notification service: one confirmation email per order. It writes the email into its own
 * table in the consumer's transaction; a mailer would send it from there. An event applied twice
 * would be a customer emailed twice. (Nothing to edit here.)
 */
final class Notification implements IdempotentConsumer.Reaction {
  static final String SCHEMA = """
      CREATE TABLE emails (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        order_id VARCHAR(40) NOT NULL,
        body VARCHAR NOT NULL
      );
      """ + IdempotentConsumer.SCHEMA;

  private final DataSource db;

  Notification(DataSource db) { this.db = db; }

  @Override
  public void apply(Connection c, OrderService.OrderConfirmed event) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO emails (order_id, body) VALUES (?, ?)")) {
      s.setString(1, event.orderId());
      s.setString(2, "Thank you! Your order " + event.orderId() + " (" + event.quantity() + " x "
          + event.productId() + ") is confirmed.");
      s.executeUpdate();
    }
  }

  @Override
  public void afterCommit(OrderService.OrderConfirmed event) {
    Story.add("notification queued the confirmation email of " + event.orderId());
  }

  /** The order id of every email queued, oldest first (twice if an order was emailed twice). */
  List<String> emailedOrders() {
    List<String> ids = new ArrayList<>();
    try (Connection c = db.getConnection();
        ResultSet r = c.createStatement().executeQuery("SELECT order_id FROM emails ORDER BY id")) {
      while (r.next()) ids.add(r.getString(1));
    } catch (SQLException e) {
      throw new IllegalStateException("could not read emails: " + e.getMessage(), e);
    }
    return ids;
  }
}
