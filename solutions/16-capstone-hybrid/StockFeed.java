import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;

/**
 * GET /api/stock: the inventory's gRPC stream of stock levels, passed on to each browser as
 * Server-Sent Events (fact R6: HTTP has no push of its own). One gRPC call per open page; when
 * the page goes away, its call must go too.
 */
final class StockFeed implements AutoCloseable {
  record StockUpdate(String productId, int quantity) {}

  private final InventoryGrpc.InventoryStub inventory;
  private final Set<SseClient> browsers = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService heartbeat =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sse-heartbeat"));

  /** heartbeatEvery: how often an idle stream gets a comment line, so a browser that left is noticed. */
  StockFeed(Channel toInventory, Duration heartbeatEvery) {
    inventory = InventoryGrpc.newStub(toInventory);
    long every = heartbeatEvery.toMillis();
    heartbeat.scheduleAtFixedRate(this::ping, every, every, TimeUnit.MILLISECONDS);
  }

  /** A browser connected (Javalin has sent the text/event-stream headers). */
  void connect(SseClient client) {
    browsers.add(client);
    stream(client);
  }

  /** Streams every stock level to this browser, first a snapshot, then each change, until it leaves. */
  void stream(SseClient client) {
    // A stream, not a snapshot: without keepAlive Javalin ends the response when this method returns.
    client.keepAlive();
    Runnable cancel = watchStock(toBrowser(client));
    // The browser left (or the gateway stops): end its gRPC call too, or inventory streams to nobody.
    client.onClose(cancel);
  }

  /** Starts WatchStockLevels for every product; returns what cancels the call. */
  Runnable watchStock(StreamObserver<StockLevel> observer) {
    // A call started inside a cancellable gRPC Context ends when that Context is cancelled.
    io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
    call.run(() -> inventory.watchStockLevels(WatchStockLevelsRequest.getDefaultInstance(), observer));
    return () -> call.cancel(null);
  }

  /** Forwards each stock level as an SSE event named "stock"; ends the stream when the call ends. */
  StreamObserver<StockLevel> toBrowser(SseClient client) {
    return new StreamObserver<>() {
      @Override public void onNext(StockLevel level) {
        write(client, () -> client.sendEvent("stock", new StockUpdate(level.getProductId(), level.getQuantity())));
      }

      // The browser's EventSource reconnects by itself a few seconds after a stream ends.
      @Override public void onError(Throwable t) { client.close(); }

      @Override public void onCompleted() { client.close(); }
    };
  }

  /** A comment line on every open stream: writing to a browser that left fails, which closes its client. */
  private void ping() {
    browsers.removeIf(SseClient::terminated);
    for (SseClient client : browsers) write(client, () -> client.sendComment("keep-alive"));
  }

  private static void write(SseClient client, Runnable write) {
    synchronized (client) { // one writer at a time: the gRPC stream and the heartbeat share the response
      if (!client.terminated()) write.run();
    }
  }

  /** Ends every stream, which (through onClose) cancels its gRPC call. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    browsers.forEach(SseClient::close);
  }
}
