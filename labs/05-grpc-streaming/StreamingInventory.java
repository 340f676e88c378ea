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
    // TODO 1: open levels.watch(...) on the products asked for, sending each level with onNext; leave the call open.
    // TODO 2: when the client cancels, close the watch: call.setOnCancelHandler(...).
    throw new UnsupportedOperationException("TODO 1: stream the stock levels with onNext, and keep the stream open");
  }

  /** Client streaming: many adjustments in, one summary out, once the client has sent them all. */
  @Override
  public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
    // TODO 3: return an observer that applies and counts each adjustment, and answers with one summary when the client completes.
    throw new UnsupportedOperationException("TODO 3: apply the adjustments as they come, answer once at the end");
  }

  /** Bidirectional streaming: every reservation answered as soon as it arrives, while the client keeps sending. */
  @Override
  public StreamObserver<ReserveStockRequest> reserveStock(StreamObserver<ReserveStockReply> responseObserver) {
    // TODO 4: return an observer that answers each request at once with levels.reserve(...), and completes when the client does.
    throw new UnsupportedOperationException("TODO 4: answer each reservation as it arrives");
  }
}
