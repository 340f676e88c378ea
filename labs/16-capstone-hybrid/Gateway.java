import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import workbook.grpc.orders.OrdersGrpc;
import workbook.grpc.orders.PlaceOrderReply;
import workbook.grpc.orders.PlaceOrderRequest;
import workbook.rest.Rest;
import workbook.story.Story;

/**
 * The API gateway: REST and Server-Sent Events for the browser, which cannot call gRPC itself
 * (fact G4), and gRPC to the services behind it. It translates both ways: the request, the
 * failure (a gRPC status becomes an HTTP status) and the stream (StockFeed).
 */
final class Gateway implements AutoCloseable {
  /** The demo's budget: how long one browser request waits for the order service before its 504. */
  static final Duration DEADLINE = Duration.ofSeconds(2);

  record OrderForm(String productId, int quantity) {}
  record Accepted(String orderId) {}
  record Problem(String status, String message) {}

  private final OrdersGrpc.OrdersBlockingStub orders;
  private final Duration budget;
  private final StockFeed stock;
  private final Javalin app;

  /** budget: how long one browser request may wait for the order service (the demo passes DEADLINE). */
  Gateway(int port, Channel toOrders, Channel toInventory, Duration budget, Duration heartbeatEvery) {
    orders = OrdersGrpc.newBlockingStub(toOrders);
    this.budget = budget;
    stock = new StockFeed(toInventory, heartbeatEvery);
    app = Rest.start(port, cfg -> {
      cfg.routes.get("/", ctx -> ctx.html(Page.HTML));
      cfg.routes.get("/api/products", ctx -> ctx.json(Catalog.PRODUCTS));
      cfg.routes.post("/api/orders", this::placeOrder);
      cfg.routes.sse("/api/stock", stock::connect);
      cfg.routes.exception(StatusRuntimeException.class, this::failed);
      cfg.routes.exception(UnsupportedOperationException.class, Gateway::notBuiltYet);
    });
  }

  /** POST /api/orders {"productId": "...", "quantity": 1}: 202 and the order id. A failed call goes to failed(). */
  void placeOrder(Context ctx) {
    OrderForm form = ctx.bodyAsClass(OrderForm.class);
    // TODO 1: call orders.placeOrder with the form's productId and quantity, on this call a deadline of budget; answer 202 with Accepted.
    throw new UnsupportedOperationException("TODO 1: call the order service over gRPC, with a deadline");
  }

  /** The HTTP status a browser gets when the order service's call ended with {@code code}. */
  static int httpStatus(Status.Code code) {
    // TODO 2: return the HTTP status for INVALID_ARGUMENT, NOT_FOUND, DEADLINE_EXCEEDED and UNAVAILABLE, and a 5xx for the rest.
    throw new UnsupportedOperationException("TODO 2: map the gRPC status code to an HTTP status");
  }

  /** A failed gRPC call, told to the browser in HTTP terms: the status, and what the service said. */
  private void failed(StatusRuntimeException e, Context ctx) {
    Status status = e.getStatus();
    Story.add("gateway      the order service answered " + status.getCode() + ": " + status.getDescription());
    try {
      ctx.status(httpStatus(status.getCode())).json(new Problem(status.getCode().name(), status.getDescription()));
    } catch (UnsupportedOperationException todo) {
      notBuiltYet(todo, ctx);
    }
  }

  /** A step not done yet shows on the page and in the tests as a 501 naming its TODO. */
  private static void notBuiltYet(UnsupportedOperationException todo, Context ctx) {
    ctx.status(501).json(new Problem("NOT_BUILT_YET", todo.getMessage()));
  }

  String url() { return Rest.url(app); }

  /** Ends the browsers' streams (which cancels their gRPC calls), then stops the server. */
  @Override
  public void close() {
    stock.close();
    app.stop();
  }
}
