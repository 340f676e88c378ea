import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import workbook.grpc.inventory.CheckStockRequest;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;

/**
 * The server side of CheckStock. The generated InventoryImplBase gives one method per rpc of
 * inventory.proto; a unary call answers through its StreamObserver: one onNext, then onCompleted,
 * or a single onError carrying a Status.
 */
final class StockService extends InventoryGrpc.InventoryImplBase {
  record Item(int quantity, Instant updatedAt) {}

  static final Map<String, Item> STOCK = Map.of(
      "espresso-machine", new Item(12, Instant.parse("2026-03-02T09:30:00Z")),
      "grinder", new Item(5, Instant.parse("2026-03-01T16:05:00Z")),
      "milk-frother", new Item(0, Instant.parse("2026-02-27T11:45:00Z")));

  private final Map<String, Item> stock;
  private final Duration latency;

  /** A service over {@code stock} that needs {@code latency} to look a product up (a slow database). */
  StockService(Map<String, Item> stock, Duration latency) {
    this.stock = stock;
    this.latency = latency;
  }

  @Override
  public void checkStock(CheckStockRequest request, StreamObserver<StockLevel> responseObserver) {
    if (!lookUpTakes(latency)) return; // the caller gave up while we worked: nobody is waiting for an answer
    String productId = request.getProductId();
    Item item = stock.get(productId);
    // A status travels only through onError (a thrown exception reaches the client as UNKNOWN), and then the call is over.
    if (productId.isBlank()) {
      responseObserver.onError(Status.INVALID_ARGUMENT.withDescription("product_id is blank").asRuntimeException());
      return;
    }
    if (item == null) {
      responseObserver.onError(Status.NOT_FOUND.withDescription("no product '" + productId + "'").asRuntimeException());
      return;
    }
    // One message, then onCompleted: the client's call returns only when the server says it is done.
    responseObserver.onNext(level(productId, item));
    responseObserver.onCompleted();
  }

  private static StockLevel level(String productId, Item item) {
    return StockLevel.newBuilder()
        .setProductId(productId)
        .setQuantity(item.quantity())
        .setUpdatedAt(timestamp(item.updatedAt()))
        .build();
  }

  /** protobuf's Timestamp is seconds and nanos since 1970, like Instant, in a message both sides can read. */
  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  /**
   * Waits as long as the look-up would take. The client's deadline travels with the call (the
   * grpc-timeout header), and gRPC cancels this call's Context when it passes or the client
   * cancels: we stop early then, instead of working for nobody. False if the call was cancelled.
   */
  private static boolean lookUpTakes(Duration latency) {
    if (latency.isZero()) return true;
    Context call = Context.current();
    CountDownLatch cancelled = new CountDownLatch(1);
    call.addListener(c -> cancelled.countDown(), Runnable::run);
    try {
      return !cancelled.await(latency.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
