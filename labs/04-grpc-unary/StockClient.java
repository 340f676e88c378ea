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
    // TODO 3: give this call its own deadline: stub.withDeadlineAfter(...) with this.deadline, made anew for every call.
    return stub.checkStock(request);
  }

  /** The same call, its outcome turned into an Answer (or an exception, for a bug on our side). */
  Answer check(String productId) {
    // TODO 4: call fetch; map NOT_FOUND, UNAVAILABLE and DEADLINE_EXCEEDED to Answers, INVALID_ARGUMENT to IllegalArgumentException.
    throw new UnsupportedOperationException("TODO 4: turn the status of a failed call into an Answer");
  }
}
