import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import workbook.story.Story;

/**
 * The analytics service: orders and units sold per product. Nobody waits for it, and the order
 * service does not know it exists: it is one more consumer group on the same topic (fact E2).
 * (Nothing to edit here.)
 */
final class Analytics implements IdempotentConsumer.Reaction {
  static final String SCHEMA = """
      CREATE TABLE sales (
        product_id VARCHAR(40) PRIMARY KEY,
        orders INT NOT NULL,
        units INT NOT NULL
      );
      """ + IdempotentConsumer.SCHEMA;

  private final DataSource db;

  Analytics(DataSource db) { this.db = db; }

  @Override
  public void apply(Connection c, OrderService.OrderConfirmed event) throws SQLException {
    try (PreparedStatement update = c.prepareStatement(
        "UPDATE sales SET orders = orders + 1, units = units + ? WHERE product_id = ?")) {
      update.setInt(1, event.quantity());
      update.setString(2, event.productId());
      if (update.executeUpdate() == 1) return;
    }
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO sales VALUES (?, 1, ?)")) {
      insert.setString(1, event.productId());
      insert.setInt(2, event.quantity());
      insert.executeUpdate();
    }
  }

  @Override
  public void afterCommit(OrderService.OrderConfirmed event) {
    Story.add("analytics    counted " + event.orderId() + ": " + unitsSold(event.productId()) + " x "
        + event.productId() + " sold so far");
  }

  /** Units sold of a product, as the analytics service counted them. */
  int unitsSold(String productId) {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT units FROM sales WHERE product_id = ?")) {
      s.setString(1, productId);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getInt(1) : 0;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not read sales: " + e.getMessage(), e);
    }
  }
}
