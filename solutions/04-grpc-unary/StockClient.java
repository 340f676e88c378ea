import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import workbook.grpc.inventory.CheckStockRequest;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;

/**
 * The client side of CheckStock, as checkout would use it: every call bounded by a deadline, and
 * every failure turned into a decision the caller can act on, by its status code.
 */
final class StockClient {
  /** What checkout can do with an answer. */
  sealed interface Answer permits InStock, NoSuchProduct, TryLater {}

  /** The inventory answered: this many units (maybe 0). */
  record InStock(String productId, int quantity) implements Answer {}

  /** The inventory does not know this product: asking again will not change that. */
  record NoSuchProduct(String productId) implements Answer {}

  /** No answer this time (the inventory is slow or down): worth asking again later, or degrading. */
  record TryLater(Status.Code why) implements Answer {}

  private final InventoryGrpc.InventoryBlockingStub stub;
  private final Duration deadline;

  StockClient(Channel channel, Duration deadline) {
    this.stub = InventoryGrpc.newBlockingStub(channel);
    this.deadline = deadline;
  }

  /** One CheckStock call. A failed call throws StatusRuntimeException, whose getStatus() says why. */
  StockLevel fetch(String productId) {
    CheckStockRequest request = CheckStockRequest.newBuilder().setProductId(productId).build();
    // A deadline is a point in time, so it is set per call: one fixed on the stub would be long past for later calls.
    return stub.withDeadlineAfter(deadline).checkStock(request);
  }

  /** The same call, its outcome turned into an Answer (or an exception, for a bug on our side). */
  Answer check(String productId) {
    try {
      StockLevel level = fetch(productId);
      return new InStock(level.getProductId(), level.getQuantity());
    } catch (StatusRuntimeException e) {
      // Each code is a different decision; codes nobody planned for (INTERNAL, UNKNOWN...) stay exceptions, so bugs stay visible.
      Status status = e.getStatus();
      return switch (status.getCode()) {
        case NOT_FOUND -> new NoSuchProduct(productId);
        case UNAVAILABLE, DEADLINE_EXCEEDED -> new TryLater(status.getCode());
        case INVALID_ARGUMENT -> throw new IllegalArgumentException("the inventory refused the request: " + status.getDescription(), e);
        default -> throw e;
      };
    }
  }
}
