import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import workbook.grpc.LocalGrpc;
import workbook.grpc.measure.StockQuery;
import workbook.grpc.measure.StockReport;
import workbook.grpc.measure.StockReportsGrpc;
import workbook.rest.Rest;

/**
 * The same stock served twice, from the same data: as JSON over HTTP/1.1 by Javalin
 * (GET /stock/{warehouse}?items=20) and as Protobuf over HTTP/2 by gRPC (StockReports/GetStock).
 */
final class StockServers implements AutoCloseable {
  private final Duration work;
  /** Where the stock comes from: StockCodec.report (a test may put stock of its own in its place). */
  java.util.function.BiFunction<String, Integer, StockCodec.Report> stock = StockCodec::report;
  private final Javalin rest;
  private final Server grpc;

  /** Starts both on 127.0.0.1 (port 0: a free port); each call takes {@code work} on the server. */
  StockServers(int restPort, int grpcPort, Duration work) {
    this.work = work;
    rest = Rest.start(restPort, cfg -> {
      cfg.routes.get("/stock/{warehouse}", this::stockAsJson);
      cfg.routes.exception(IllegalArgumentException.class, (e, ctx) -> ctx.status(400).result(e.getMessage()));
      // A step not done yet answers 501 Not Implemented with its TODO, instead of a stack trace.
      cfg.routes.exception(UnsupportedOperationException.class, (e, ctx) -> ctx.status(501).result(e.getMessage()));
    });
    grpc = LocalGrpc.serve(grpcPort, new StockService());
  }

  int restPort() { return rest.port(); }

  int grpcPort() { return grpc.getPort(); }

  /** GET /stock/{warehouse}?items=n */
  private void stockAsJson(Context ctx) {
    StockCodec.Report report = requested(ctx.pathParam("warehouse"), ctx.queryParam("items"));
    // The content type tells the client how to read the body: compact JSON, field names and all.
    ctx.contentType("application/json").result(StockCodec.toJson(report));
  }

  /** StockReports/GetStock, the same report as one Protobuf message. */
  private final class StockService extends StockReportsGrpc.StockReportsImplBase {
    @Override
    public void getStock(StockQuery query, StreamObserver<StockReport> responses) {
      StockCodec.Report report;
      try {
        report = requested(query.getWarehouse(), String.valueOf(query.getItems()));
      } catch (IllegalArgumentException e) {
        // What REST says with a 400: a thrown exception would reach the client as UNKNOWN, the code of a server bug.
        responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        return;
      }
      // A unary call: exactly one message, then onCompleted, or the client waits until its deadline.
      responses.onNext(StockCodec.toProto(report));
      responses.onCompleted();
    }
  }

  /** The report asked for (20 items unless said otherwise), after the server's simulated work. */
  private StockCodec.Report requested(String warehouse, String items) {
    int count = items == null || items.isBlank() || items.equals("0") ? 20 : Integer.parseInt(items);
    if (count < 1 || count > 10_000) throw new IllegalArgumentException("items must be 1..10000, was " + count);
    sleep(work);
    return stock.apply(warehouse, count);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    rest.stop();
    LocalGrpc.stop(grpc);
  }
}
