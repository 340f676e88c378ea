import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import workbook.grpc.inventory.BulkUpdateSummary;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockAdjustment;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;

/**
 * The client side of two streams: watching stock levels (given: read it) and sending a bulk
 * update (yours). Streams use the asynchronous stub: you get and give StreamObservers, and
 * gRPC calls yours on its own threads as messages arrive.
 */
final class StockClient {
  private final InventoryGrpc.InventoryStub stub;
  private final Duration deadline;

  StockClient(Channel channel, Duration deadline) {
    this.stub = InventoryGrpc.newStub(channel);
    this.deadline = deadline;
  }

  /** A watch in progress; cancel() ends it from the client's side, which the server hears about. */
  interface Watching {
    void cancel();
  }

  /**
   * Given: watches products, calling {@code onLevel} for every level the server sends and
   * {@code onEnd} with the status the stream ends with. No deadline: a watch is meant to stay open.
   * ClientResponseObserver.beforeStart hands us the request side of the call, where cancel() lives.
   */
  Watching watch(List<String> productIds, Consumer<StockLevel> onLevel, Consumer<Status> onEnd) {
    CompletableFuture<ClientCallStreamObserver<WatchStockLevelsRequest>> call = new CompletableFuture<>();
    stub.watchStockLevels(WatchStockLevelsRequest.newBuilder().addAllProductIds(productIds).build(),
        new ClientResponseObserver<WatchStockLevelsRequest, StockLevel>() {
          @Override public void beforeStart(ClientCallStreamObserver<WatchStockLevelsRequest> requests) { call.complete(requests); }
          @Override public void onNext(StockLevel level) { onLevel.accept(level); }
          @Override public void onError(Throwable t) { onEnd.accept(Status.fromThrowable(t)); } // CANCELLED after cancel()
          @Override public void onCompleted() { onEnd.accept(Status.OK); }
        });
    return () -> call.join().cancel("the client stopped watching", null);
  }

  /** Sends every adjustment on one client stream and returns the server's summary. */
  BulkUpdateSummary bulkUpdate(List<StockAdjustment> adjustments) throws Exception {
    CompletableFuture<BulkUpdateSummary> summary = new CompletableFuture<>();
    StreamObserver<BulkUpdateSummary> answers = new StreamObserver<>() {
      // The summary is the answer only of a call that ends OK: kept here until the call's status says so.
      private BulkUpdateSummary received;
      @Override public void onNext(BulkUpdateSummary s) { received = s; }
      // The call failed, after its summary too: the failure is the caller's, as gRPC's own stubs give it.
      @Override public void onError(Throwable t) { summary.completeExceptionally(t); }
      // The call ended OK: with its summary, or without one (a server's bug), which fails it, as gRPC's own stubs do.
      @Override public void onCompleted() {
        if (received != null) {
          summary.complete(received);
        } else {
          summary.completeExceptionally(Status.INTERNAL.withDescription("the server completed the call without a summary").asRuntimeException());
        }
      }
    };
    // One deadline covers the whole stream; onCompleted is the half-close that tells the server "that was all".
    StreamObserver<StockAdjustment> requests = stub.withDeadlineAfter(deadline).bulkUpdateStock(answers);
    adjustments.forEach(requests::onNext);
    requests.onCompleted();
    return await(summary);
  }

  /**
   * Waits for the summary: the call's deadline ends the wait, the extra second only guards against a lost one. A deadline
   * that has passed (0 or below, however far) gets that second too: the call's own DEADLINE_EXCEEDED is on its way.
   */
  private BulkUpdateSummary await(CompletableFuture<BulkUpdateSummary> summary) throws Exception {
    try {
      return summary.get(Math.max(deadline.toMillis(), 0) + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (TimeoutException e) {
      throw new IllegalStateException("no summary, and no error, within the deadline: was the call started with one?", e);
    }
  }
}
