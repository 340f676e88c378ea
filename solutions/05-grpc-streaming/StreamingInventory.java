import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import workbook.grpc.inventory.BulkUpdateSummary;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.ReserveStockReply;
import workbook.grpc.inventory.ReserveStockRequest;
import workbook.grpc.inventory.StockAdjustment;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;

/**
 * The three streaming calls of inventory.proto, on the server. A stream is a StreamObserver in
 * each direction: the server writes to the one it is given, and reads the client's messages
 * through the one it returns (client and bidirectional streaming).
 */
final class StreamingInventory extends InventoryGrpc.InventoryImplBase {
  private final StockLevels levels;

  StreamingInventory(StockLevels levels) {
    this.levels = levels;
  }

  /** Server streaming: the current level of each product asked for, then every change, for as long as the client listens. */
  @Override
  public void watchStockLevels(WatchStockLevelsRequest request, StreamObserver<StockLevel> responseObserver) {
    List<String> unknown = request.getProductIdsList().stream().filter(id -> !levels.knows(id)).toList();
    if (!unknown.isEmpty()) {
      responseObserver.onError(Status.NOT_FOUND.withDescription("no products " + unknown).asRuntimeException());
      return;
    }
    // gRPC hands a server call this richer observer; it tells you when the client has gone.
    ServerCallStreamObserver<StockLevel> call = (ServerCallStreamObserver<StockLevel>) responseObserver;
    // No onCompleted: the stream stays open and every change is pushed as it happens, until the client leaves.
    StockLevels.Watch watch = levels.watch(request.getProductIdsList(), responseObserver::onNext);
    // The client's cancel (or its deadline, or a dropped connection) arrives here; without it the watch would leak
    // and the next change would be sent to a call that is gone.
    call.setOnCancelHandler(watch::close);
  }

  /** Client streaming: many adjustments in, one summary out, once the client has sent them all. */
  @Override
  public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
    return new StreamObserver<>() {
      // gRPC calls one observer's methods one at a time, so these need no lock.
      private int adjustments;
      private int netChange;
      private final Set<String> products = new HashSet<>();

      @Override public void onNext(StockAdjustment adjustment) {
        levels.adjust(adjustment.getProductId(), adjustment.getDelta());
        adjustments++;
        netChange += adjustment.getDelta();
        products.add(adjustment.getProductId());
      }

      // The client's half-close: only now is the count final, so this is where the one answer goes.
      @Override public void onCompleted() {
        responseObserver.onNext(BulkUpdateSummary.newBuilder()
            .setAdjustments(adjustments).setProducts(products.size()).setNetChange(netChange).build());
        responseObserver.onCompleted();
      }

      @Override public void onError(Throwable t) { } // the client cancelled: the call is over, nobody to answer
    };
  }

  /** Bidirectional streaming: every reservation answered as soon as it arrives, while the client keeps sending. */
  @Override
  public StreamObserver<ReserveStockRequest> reserveStock(StreamObserver<ReserveStockReply> responseObserver) {
    return new StreamObserver<>() {
      // Answer inside onNext: the reply leaves while the client is still sending, which is what bidirectional buys.
      @Override public void onNext(ReserveStockRequest request) { responseObserver.onNext(levels.reserve(request)); }

      @Override public void onCompleted() { responseObserver.onCompleted(); }

      @Override public void onError(Throwable t) { } // the client cancelled: nothing more to send
    };
  }
}
