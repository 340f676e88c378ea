///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES StockCodec.java StockServers.java StockClients.java WireMeter.java Harness.java Table.java
//SOURCES ../../shared/src/workbook/rest/*.java

import java.time.Duration;

/**
 * Lab 06: the same stock report over REST (JSON, HTTP/1.1) and gRPC (Protobuf, HTTP/2), measured:
 * bytes, encode and decode time, bytes on the wire, calls per second. Prints medians, asserts nothing.
 */
public class RestVsGrpc {
  private static final int SMALL = 1, LARGE = 1000, CALLERS = 32;
  private static final Table TABLE = new Table();

  public static void main(String[] args) throws Exception {
    boolean slow = args.length == 1 && args[0].equals("--long");
    if (args.length > 1 || args.length == 1 && !slow) {
      System.err.println("Usage: ./jbang lab06@. [--long]   (--long: 5 rounds of 2 s per cell instead of 3 of 0.3 s)");
      System.exit(2);
    }
    System.out.printf("Lab 06: REST vs gRPC on %d cores, Java %s, %s; medians of %s.%n%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        System.getProperty("os.name"), slow ? "5 rounds of 2 s" : "3 rounds of 0.3 s (--long for more)");
    measure(slow ? new Harness(Duration.ofSeconds(2), 5) : new Harness(Duration.ofMillis(300), 3));
    TABLE.footer();
    System.out.println("\nNo test asserts a timing: they vary from machine to machine and from run to run.");
  }

  private static void measure(Harness h) throws Exception {
    // A second pair of servers whose every call takes 5 ms of "work" (a database query, say).
    try (StockServers fast = new StockServers(0, 0, Duration.ZERO);
         StockServers busy = new StockServers(0, 0, Duration.ofMillis(5))) {
      measure(h, new Harness(Duration.ofMillis(500), 1), fast, busy);
    }
  }

  /** Every row of the table: from {@code fast}, servers that do no work, and the last one from {@code busy}. */
  static void measure(Harness h, Harness warm, StockServers fast, StockServers busy) throws Exception {
    // One client per pair of servers: the 5 ms row must call the servers that do the work.
    try (StockClients direct = new StockClients(fast.restPort(), fast.grpcPort());
         StockClients toBusy = new StockClients(busy.restPort(), busy.grpcPort())) {
      TABLE.header();
      encodings(h);
      wire(fast);
      warmUp(warm, direct);
      for (int callers : new int[] {1, CALLERS}) {
        for (int n : new int[] {SMALL, LARGE}) throughput(h, direct, callers, n, "");
      }
      throughput(h, toBusy, 1, SMALL, ", 5 ms work");
    }
  }

  private static void encodings(Harness h) {
    StockCodec.Report small = StockCodec.report("LYON-1", SMALL), large = StockCodec.report("LYON-1", LARGE);
    TABLE.row("payload bytes, " + items(SMALL), false, () -> StockCodec.toJson(small).length,
        () -> StockCodec.toProto(small).getSerializedSize());
    TABLE.row("payload bytes, " + items(LARGE), false, () -> StockCodec.toJson(large).length,
        () -> StockCodec.toProto(large).getSerializedSize());
    TABLE.row("encode µs, " + items(LARGE), false, () -> h.nanosPerCall(encodeJsonCall(large)) / 1e3,
        () -> h.nanosPerCall(encodeProtoCall(large)) / 1e3);
    byte[] json = StockCodec.toJson(large);
    TABLE.row("decode µs, " + items(LARGE), false, () -> h.nanosPerCall(decodeJsonCall(json)) / 1e3,
        () -> h.nanosPerCall(decodeProtoCall(StockCodec.toProto(large).toByteArray())) / 1e3);
  }

  // The timed calls of the encode and decode rows: each call does the whole work, from the report to its bytes or from
  // the bytes to a report, every time; nothing of it is done once outside the call, or the row times less than it says.

  static Harness.Call encodeJsonCall(StockCodec.Report report) { return () -> StockCodec.toJson(report); }

  static Harness.Call encodeProtoCall(StockCodec.Report report) { return () -> StockCodec.toProto(report).toByteArray(); }

  static Harness.Call decodeJsonCall(byte[] json) { return () -> StockCodec.fromJson(json); }

  static Harness.Call decodeProtoCall(byte[] proto) {
    return () -> StockCodec.fromProto(workbook.grpc.measure.StockReport.parseFrom(proto));
  }

  /** Bytes that really cross the connection per call, headers and framing included. */
  private static void wire(StockServers servers) throws Exception {
    try (WireMeter rest = new WireMeter(servers.restPort()); WireMeter grpc = new WireMeter(servers.grpcPort());
         StockClients metered = new StockClients(rest.port(), grpc.port());
         StockClients fresh = new StockClients(rest.port(), grpc.port())) {
      for (int n : new int[] {SMALL, LARGE}) {
        TABLE.row("wire bytes per call, " + items(n), false, () -> perCall(rest, () -> metered.viaRest("LYON-1", n)),
            () -> perCall(grpc, () -> metered.viaGrpc("LYON-1", n)));
      }
      TABLE.row("connections for " + CALLERS + " callers", false,
          () -> connections(rest, () -> fresh.viaRest("LYON-1", SMALL)),
          () -> connections(grpc, () -> fresh.viaGrpc("LYON-1", SMALL)));
    }
  }

  private static double perCall(WireMeter meter, Harness.Call call) throws Exception {
    call.run(); // the first call also pays for connecting; we count the ones after it
    meter.reset();
    for (int i = 0; i < 20; i++) call.run();
    return (meter.bytesUp() + meter.bytesDown()) / 20.0;
  }

  /** Connections opened by clients that had none yet, for CALLERS calls at once. */
  private static double connections(WireMeter meter, Harness.Call call) throws Exception {
    meter.reset();
    new Harness(Duration.ofMillis(200), 1).callsPerSecond(CALLERS, call);
    return meter.connections();
  }

  /** Calls per second with {@code callers} threads calling at once, each call for n items. */
  private static void throughput(Harness h, StockClients c, int callers, int n, String note) {
    TABLE.row("calls/s, " + items(n) + ", " + callers + (callers == 1 ? " caller" : " callers") + note, true,
        () -> h.callsPerSecond(callers, () -> c.viaRest("LYON-1", n)),
        () -> h.callsPerSecond(callers, () -> c.viaGrpc("LYON-1", n)));
  }

  /** Lets the JIT compile both call paths before anything is timed; the first calls are slow. */
  private static void warmUp(Harness warm, StockClients c) {
    for (int n : new int[] {SMALL, LARGE}) {
      TABLE.attempt(() -> warm.callsPerSecond(4, () -> c.viaRest("LYON-1", n)));
      TABLE.attempt(() -> warm.callsPerSecond(4, () -> c.viaGrpc("LYON-1", n)));
    }
  }

  private static String items(int n) { return n == 1 ? "1 item" : n + " items"; }
}
