import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import workbook.grpc.inventory.ReserveStockReply;
import workbook.grpc.inventory.ReserveStockRequest;
import workbook.grpc.inventory.StockLevel;
import workbook.story.Story;

/**
 * The inventory's data, given and complete: stock per product, changed by adjustments and
 * reservations, and watched by anyone who wants to hear of every change. One lock orders
 * everything, so each watcher hears the changes one at a time, in the order they happened.
 */
final class StockLevels {
  private final Map<String, StockLevel> levels = new LinkedHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  /** A registered interest in some products; close it to stop hearing about them. */
  interface Watch extends AutoCloseable {
    @Override void close();
  }

  private record Watcher(Set<String> productIds, Consumer<StockLevel> listener) {}

  StockLevels(Map<String, Integer> initial) {
    initial.forEach((id, quantity) -> levels.put(id, level(id, quantity)));
  }

  static StockLevels sample() {
    return new StockLevels(Map.of("espresso-machine", 12, "grinder", 5, "milk-frother", 0));
  }

  synchronized boolean knows(String productId) {
    return levels.containsKey(productId);
  }

  synchronized int quantity(String productId) {
    StockLevel level = levels.get(productId);
    return level == null ? 0 : level.getQuantity();
  }

  /**
   * Calls {@code listener} with the current level of each product, then with every change to
   * them, until the Watch is closed. Calls come one at a time (never two at once), which matters
   * to a gRPC StreamObserver: it is not safe to call from two threads at the same time.
   */
  synchronized Watch watch(Collection<String> productIds, Consumer<StockLevel> listener) {
    Watcher watcher = new Watcher(Set.copyOf(productIds), listener);
    for (String id : productIds) if (levels.containsKey(id)) listener.accept(levels.get(id));
    watchers.add(watcher);
    Story.add("stock: a watch on " + named(productIds) + " starts (" + watchers.size() + " open)");
    return () -> {
      synchronized (this) { // once close() returns, the listener is never called again
        if (watchers.remove(watcher)) Story.add("stock: the watch on " + named(productIds) + " is closed (" + watchers.size() + " open)");
      }
    };
  }

  /** The ids of a watch as the story tells them: a long list shortened, and a long id. */
  private static String named(Collection<String> productIds) {
    String shown = productIds.stream().limit(8).map(id -> id.length() <= 40 ? id : id.substring(0, 20) + "... (" + id.length() + " characters)").toList().toString();
    return productIds.size() <= 8 ? shown : shown.substring(0, shown.length() - 1) + ", ... (" + productIds.size() + " ids)]";
  }

  /** How many watches are open: a watch nobody closes is a leak that grows with every client. */
  int openWatches() {
    return watchers.size();
  }

  /** Adds {@code delta} units (negative: takes them away; a new product starts at 0) and tells the watchers. */
  synchronized StockLevel adjust(String productId, int delta) {
    return change(productId, quantity(productId) + delta);
  }

  /** Takes {@code quantity} units for an order if there are enough; the reply says what happened. */
  synchronized ReserveStockReply reserve(ReserveStockRequest request) {
    int available = quantity(request.getProductId());
    boolean reserved = request.getQuantity() > 0 && request.getQuantity() <= available;
    int remaining = reserved ? change(request.getProductId(), available - request.getQuantity()).getQuantity() : available;
    return ReserveStockReply.newBuilder()
        .setOrderId(request.getOrderId()).setReserved(reserved).setRemaining(remaining).build();
  }

  private StockLevel change(String productId, int quantity) {
    StockLevel level = level(productId, quantity);
    levels.put(productId, level);
    for (Watcher w : watchers) if (w.productIds().contains(productId)) w.listener().accept(level);
    return level;
  }

  private static StockLevel level(String productId, int quantity) {
    Instant now = Instant.now();
    return StockLevel.newBuilder().setProductId(productId).setQuantity(quantity)
        .setUpdatedAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .build();
  }
}
