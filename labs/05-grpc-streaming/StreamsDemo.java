///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES StockLevels.java StreamingInventory.java StockClient.java ../../shared/src/workbook/net/*.java

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import workbook.grpc.CallStory;
import workbook.grpc.LocalGrpc;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.ReserveStockReply;
import workbook.grpc.inventory.ReserveStockRequest;
import workbook.grpc.inventory.StockAdjustment;
import workbook.net.Ports;

/**
 * The three streaming shapes, one after the other, on one connection: a watch that hears every
 * change (server streaming), a bulk update (client streaming) and reservations answered one by
 * one (bidirectional), then the watch cancelled, which the server notices.
 */
public class StreamsDemo {
  static final int DEMO_PORT = 9090;

  public static void main(String[] args) throws Exception {
    int port = servePort(args);
    StockLevels levels = StockLevels.sample();
    // CallStory only keeps gRPC's stack traces out of the demo's output here (it narrates for the tests).
    Server server = LocalGrpc.serve(port, CallStory.narrate(new StreamingInventory(levels)));
    ManagedChannel channel = LocalGrpc.channel(server.getPort());
    try {
      demo(levels, channel);
      if (port != 0) waitForEnter(port);
    } finally {
      LocalGrpc.close(channel);
      LocalGrpc.stop(server);
    }
  }

  private static void demo(StockLevels levels, ManagedChannel channel) throws Exception {
    StockClient client = new StockClient(channel, Duration.ofSeconds(5));
    System.out.println("1. Server streaming: watch the grinder; the server pushes every change as it happens");
    CountDownLatch started = new CountDownLatch(1);
    StockClient.Watching watching = client.watch(List.of("grinder"),
        level -> { say("   watch <- grinder: " + level.getQuantity() + " units"); started.countDown(); },
        status -> { say("   watch ended: " + LocalGrpc.describe(status)); started.countDown(); });
    started.await(5, TimeUnit.SECONDS); // the first call of a fresh JVM takes a moment; let the watch begin first
    System.out.println("2. Client streaming: a delivery of three adjustments, one summary back");
    attempt(() -> say("   summary <- " + LocalGrpc.text(client.bulkUpdate(List.of(adjust("grinder", 3), adjust("espresso-machine", -1), adjust("grinder", 2))))));
    pause();
    System.out.println("3. Bidirectional: each reservation answered before the next is sent");
    attempt(() -> reserveOneByOne(channel, List.of("order-1", "order-2", "order-3")));
    pause();
    System.out.println("4. The client cancels its watch; open watches on the server: " + levels.openWatches());
    watching.cancel();
    pause();
    System.out.println("   open watches on the server after the cancel: " + levels.openWatches());
  }

  /** A bidirectional call driven by hand: send one request, wait for its answer, then send the next. */
  private static void reserveOneByOne(ManagedChannel channel, List<String> orders) throws Exception {
    BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    StreamObserver<ReserveStockRequest> requests = InventoryGrpc.newStub(channel).withDeadlineAfter(Duration.ofSeconds(10))
        .reserveStock(new StreamObserver<>() {
          @Override public void onNext(ReserveStockReply reply) { replies.add(reply); }
          @Override public void onError(Throwable t) { replies.add(LocalGrpc.describe(t)); }
          @Override public void onCompleted() { replies.add("the server completed the call"); }
        });
    for (String order : orders) {
      say("   reserve -> " + order + ": 4 grinders");
      requests.onNext(ReserveStockRequest.newBuilder().setOrderId(order).setProductId("grinder").setQuantity(4).build());
      Object reply = replies.poll(2, TimeUnit.SECONDS);
      say("   reserve <- " + (reply == null ? "no answer yet, 2 s later (is the server waiting for the end of the stream?)" : LocalGrpc.text(reply)));
      if (reply instanceof String failure) return; // the call has ended
    }
    requests.onCompleted();
    Object last = replies.poll(2, TimeUnit.SECONDS);
    say("   reserve <- " + (last == null ? "nothing after the client completed" : LocalGrpc.text(last)));
  }

  private static StockAdjustment adjust(String productId, int delta) {
    return StockAdjustment.newBuilder().setProductId(productId).setDelta(delta).build();
  }

  interface Step { void run() throws Exception; }

  private static void attempt(Step step) {
    try {
      step.run();
    } catch (Exception e) {
      say("   failed: " + LocalGrpc.describe(e) + (e instanceof UnsupportedOperationException ? " (" + e.getMessage() + ")" : ""));
    }
  }

  /** Streams deliver on gRPC's threads: a short pause lets their lines print before the next step's. */
  private static void pause() throws InterruptedException {
    Thread.sleep(300);
  }

  private static synchronized void say(String line) {
    System.out.println(line);
  }

  /** 0 (a free port) without --serve; the port to serve on with it (9090 unless given). */
  private static int servePort(String[] args) {
    boolean serve = args.length > 0 && args[0].equals("--serve");
    if (args.length > (serve ? 2 : 0) || (args.length == 2 && !args[1].matches("\\d{1,5}"))) {
      System.err.println("Usage: ./jbang lab05@. [--serve [PORT]]   (--serve keeps the inventory up, on port "
          + DEMO_PORT + " unless you give one, for grpcurl)");
      System.exit(2);
    }
    return serve ? Ports.requireFree(args.length == 2 ? Integer.parseInt(args[1]) : DEMO_PORT, "--serve") : 0;
  }

  private static void waitForEnter(int port) throws IOException {
    System.out.println("Serving on 127.0.0.1:" + port + " until you press Enter. In another terminal, watch (Ctrl-C cancels):");
    System.out.println("  grpcurl -plaintext -d '{\"product_ids\": [\"grinder\"]}' localhost:" + port + " inventory.v1.Inventory/WatchStockLevels");
    System.out.println("and in a third, send a client stream (one JSON message per line, Ctrl-D ends it):");
    System.out.println("  grpcurl -plaintext -d @ localhost:" + port + " inventory.v1.Inventory/BulkUpdateStock");
    System.in.read(); // end of input (no terminal) stops the demo too
  }
}
