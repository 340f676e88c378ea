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
    // TODO 2: answer with the report as JSON: the bytes of StockCodec.toJson, content type application/json.
    throw new UnsupportedOperationException("TODO 2: send the report as JSON (see hint 2)");
  }

  /** StockReports/GetStock, the same report as one Protobuf message. */
  private final class StockService extends StockReportsGrpc.StockReportsImplBase {
    @Override
    public void getStock(StockQuery query, StreamObserver<StockReport> responses) {
      StockCodec.Report report = requested(query.getWarehouse(), String.valueOf(query.getItems()));
      // TODO 3: send the report as one StockReport message (StockCodec.toProto), then end the call; a query that
      // requested(...) refuses (IllegalArgumentException, REST's 400) fails with INVALID_ARGUMENT and its message.
      throw new UnsupportedOperationException("TODO 3: send the report as a StockReport (see hint 3)");
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
