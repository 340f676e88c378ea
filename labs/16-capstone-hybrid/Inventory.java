import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;
import workbook.story.Story;

/**
 * The inventory service: takes each order's quantity from stock (its reaction to
 * order.confirmed) and streams stock levels over gRPC to whoever watches, the gateway among
 * them (WatchStockLevels from shared/proto/inventory.proto, as in lab 05). (Nothing to edit here.)
 */
final class Inventory extends InventoryGrpc.InventoryImplBase implements IdempotentConsumer.Reaction {
  static final String SCHEMA = """
      CREATE TABLE stock (
        product_id VARCHAR(40) PRIMARY KEY,
        quantity INT NOT NULL
      );
      INSERT INTO stock VALUES ('espresso-cup', 12), ('hand-grinder', 5), ('beans-1kg', 30);
      """ + IdempotentConsumer.SCHEMA;

  private final DataSource db;
  private final Set<ServerCallStreamObserver<StockLevel>> watchers = ConcurrentHashMap.newKeySet();

  Inventory(DataSource db) { this.db = db; }

  @Override
  public void apply(Connection c, OrderService.OrderConfirmed event) throws SQLException {
    // Stock may go below zero: the order is already accepted (see "Try breaking it" in the README).
    change(c, event.productId(), -event.quantity());
  }

  @Override
  public void afterCommit(OrderService.OrderConfirmed event) {
    Story.add("inventory    took " + event.quantity() + " x " + event.productId() + " for " + event.orderId()
        + ": " + stock(event.productId()) + " left");
    tell(event.productId());
  }

  /** A delivery of more units (the demo and the tests use it); watchers hear of it at once. */
  void restock(String productId, int units) throws SQLException {
    try (Connection c = db.getConnection()) {
      change(c, productId, units);
    }
    tell(productId);
  }

  /** The current level of each product asked for (all of them if none), then every change, until cancelled. */
  @Override
  public void watchStockLevels(WatchStockLevelsRequest request, StreamObserver<StockLevel> observer) {
    ServerCallStreamObserver<StockLevel> watcher = (ServerCallStreamObserver<StockLevel>) observer;
    // The gateway cancels when its browser leaves: forget the watcher, or it leaks.
    watcher.setOnCancelHandler(() -> watchers.remove(watcher));
    synchronized (watcher) { // no change may slip in before the snapshot is out
      watchers.add(watcher);
      for (StockLevel level : levels()) {
        if (request.getProductIdsList().isEmpty() || request.getProductIdsList().contains(level.getProductId())) {
          watcher.onNext(level);
        }
      }
    }
  }

  /** How many WatchStockLevels calls are open right now. */
  int watchers() { return watchers.size(); }

  int stock(String productId) {
    return levels().stream().filter(l -> l.getProductId().equals(productId)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no stock row for " + productId)).getQuantity();
  }

  /** Ends every open watch, e.g. when the service shuts down. */
  void endWatches() {
    for (ServerCallStreamObserver<StockLevel> w : watchers) {
      synchronized (w) {
        if (!w.isCancelled()) w.onCompleted();
      }
    }
    watchers.clear();
  }

  /** One change at a time, so watchers never see an older level after a newer one. */
  private synchronized void tell(String productId) {
    StockLevel level = StockLevel.newBuilder().setProductId(productId).setQuantity(stock(productId)).build();
    for (ServerCallStreamObserver<StockLevel> w : watchers) {
      synchronized (w) { // gRPC observers take one message at a time
        if (!w.isCancelled()) w.onNext(level);
      }
    }
  }

  private static void change(Connection c, String productId, int delta) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE stock SET quantity = quantity + ? WHERE product_id = ?")) {
      s.setInt(1, delta);
      s.setString(2, productId);
      if (s.executeUpdate() != 1) throw new SQLException("no stock row for " + productId);
    }
  }

  private List<StockLevel> levels() {
    List<StockLevel> levels = new ArrayList<>();
    try (Connection c = db.getConnection();
        ResultSet r = c.createStatement().executeQuery("SELECT product_id, quantity FROM stock ORDER BY product_id")) {
      while (r.next()) levels.add(StockLevel.newBuilder().setProductId(r.getString(1)).setQuantity(r.getInt(2)).build());
    } catch (SQLException e) {
      throw new IllegalStateException("could not read stock: " + e.getMessage(), e);
    }
    return levels;
  }
}
