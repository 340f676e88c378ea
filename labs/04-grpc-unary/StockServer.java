///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES StockService.java StockClient.java ../../shared/src/workbook/net/*.java

import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;
import workbook.grpc.CallStory;
import workbook.grpc.LocalGrpc;
import workbook.grpc.inventory.StockLevel;
import workbook.net.Ports;
import workbook.story.Story;

/**
 * The inventory's gRPC server, and a demo of CheckStock: an answer, each way a unary call fails,
 * and (with --serve) a server to poke with grpcurl, as lab 01's services were poked with curl.
 */
public class StockServer {
  static final int DEMO_PORT = 9090;
  static final Duration DEADLINE = Duration.ofMillis(500);

  /** Starts {@code service} on 127.0.0.1:port (0 picks a free port: read it with getPort()). */
  static Server start(int port, BindableService service) {
    // Plaintext on the loopback address: nothing leaves this machine. Between real services, TLS credentials go here.
    NettyServerBuilder builder = NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create())
        // A status description travels in a header, and a caller refuses a call's headers beyond 8 KiB (it sees
        // INTERNAL instead): ShortDescriptions cuts a long one (a NOT_FOUND quoting a 10,000-character id) to fit.
        .addService(ServerInterceptors.intercept(service, new ShortDescriptions()));
    // TODO 5: add server reflection (ProtoReflectionServiceV1.newInstance()) so grpcurl can list and call the service.
    try {
      return builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the gRPC server on 127.0.0.1:" + port, e);
    }
  }

  /**
   * Sends every status description of at most {@link #MAX_DESCRIPTION} characters as it is, and a longer one as its
   * first {@code MAX_DESCRIPTION} characters, then "..." and its length. gRPC percent-encodes a description into the
   * grpc-message header (up to 9 bytes a character), and a caller accepts at most 8 KiB of headers per call.
   */
  static final class ShortDescriptions implements ServerInterceptor {
    static final int MAX_DESCRIPTION = 200;

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override public void close(Status status, Metadata trailers) {
          String description = status.getDescription();
          if (description != null && description.length() > MAX_DESCRIPTION) {
            int end = Character.isHighSurrogate(description.charAt(MAX_DESCRIPTION - 1)) ? MAX_DESCRIPTION - 1 : MAX_DESCRIPTION;
            status = status.withDescription(description.substring(0, end) + "... (" + description.length() + " characters)");
          }
          super.close(status, trailers);
        }
      }, headers);
    }
  }

  public static void main(String[] args) throws Exception {
    int port = servePort(args);
    // CallStory notes what each service does; the demo prints what a service threw, instead of gRPC's stack traces.
    Server server = start(port, CallStory.narrate(new StockService(StockService.STOCK, Duration.ZERO)));
    Server slow = start(0, CallStory.narrate(new StockService(StockService.STOCK, Duration.ofSeconds(3))));
    ManagedChannel channel = LocalGrpc.channel(server.getPort());
    ManagedChannel slowChannel = LocalGrpc.channel(slow.getPort());
    try {
      demo(new StockClient(channel, DEADLINE), new StockClient(slowChannel, DEADLINE), slow);
      if (port != 0) waitForEnter(port);
    } finally {
      LocalGrpc.close(channel);
      LocalGrpc.close(slowChannel);
      LocalGrpc.stop(server);
      LocalGrpc.stop(slow);
    }
  }

  private static void demo(StockClient client, StockClient slowClient, Server slow) {
    thrownAway(() -> client.fetch("grinder")); // the first call opens the connection: keep that out of the timings
    System.out.println("CheckStock with a " + DEADLINE.toMillis() + " ms deadline per call: what came back, then what checkout decides");
    for (String id : new String[] {"espresso-machine", "milk-frother", "unicorn", ""}) show("\"" + id + "\"", client, id);
    show("\"grinder\", on a slow inventory (3 s)", slowClient, "grinder");
    LocalGrpc.stop(slow);
    show("\"grinder\", on an inventory that is down", slowClient, "grinder");
  }

  /** One call, shown twice: what came over the wire (a status), and the caller's decision (step 4). */
  private static void show(String what, StockClient client, String productId) {
    Story.drain();
    long t0 = System.nanoTime();
    Object result = outcome(() -> client.fetch(productId));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    String wire = result instanceof StockLevel level ? "OK " + LocalGrpc.text(level) : String.valueOf(result);
    System.out.printf("  %-40s %5d ms  %s%n", what, ms, wire);
    Story.drain().stream().filter(line -> line.contains(" threw ")).findFirst().ifPresent(line ->
        System.out.println("      (the service " + line.substring(line.indexOf("threw ")).replaceFirst("  <-.*", "") + ")"));
    System.out.println("      checkout decides: " + outcome(() -> client.check(productId)));
  }

  /** What the call returned, or how it failed, as text. */
  private static Object outcome(Supplier<Object> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      return LocalGrpc.describe(e);
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static void thrownAway(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException ignored) {
      // only the connection mattered
    }
  }

  /** 0 (a free port) without --serve; the port to serve on with it (9090 unless given). */
  private static int servePort(String[] args) {
    boolean serve = args.length > 0 && args[0].equals("--serve");
    if (args.length > (serve ? 2 : 0) || (args.length == 2 && !args[1].matches("\\d{1,5}"))) {
      System.err.println("Usage: ./jbang lab04@. [--serve [PORT]]   (--serve keeps the inventory up, on port "
          + DEMO_PORT + " unless you give one, for grpcurl)");
      System.exit(2);
    }
    return serve ? Ports.requireFree(args.length == 2 ? Integer.parseInt(args[1]) : DEMO_PORT, "--serve") : 0;
  }

  private static void waitForEnter(int port) throws IOException {
    System.out.println("Serving on 127.0.0.1:" + port + " until you press Enter. Where lab 01 had");
    System.out.println("  curl http://localhost:7001/orders/42");
    System.out.println("gRPC has grpcurl (github.com/fullstorydev/grpcurl), which learns the contract by reflection:");
    System.out.println("  grpcurl -plaintext localhost:" + port + " list");
    System.out.println("  grpcurl -plaintext localhost:" + port + " describe inventory.v1.Inventory");
    System.out.println("  grpcurl -plaintext -d '{\"product_id\": \"espresso-machine\"}' localhost:" + port + " inventory.v1.Inventory/CheckStock");
    System.in.read(); // end of input (no terminal) stops the demo too
  }
}
