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
    PlaceOrderRequest request = PlaceOrderRequest.newBuilder()
        .setProductId(form.productId()).setQuantity(form.quantity()).build();
    // A deadline per call, from now: a slow order service costs this request its budget at most, never a
    // hung page. (Set once on the stub, it would be one instant that every later call has already passed.)
    PlaceOrderReply reply = orders.withDeadlineAfter(budget).placeOrder(request);
    Story.add("gateway      POST /api/orders " + form.quantity() + " x " + form.productId() + ": 202, " + reply.getOrderId());
    // 202 Accepted: the order is stored, but what follows from it (stock, email) happens later, by event.
    ctx.status(202).json(new Accepted(reply.getOrderId()));
  }

  /** The HTTP status a browser gets when the order service's call ended with {@code code}. */
  static int httpStatus(Status.Code code) {
    // As google/rpc/code.proto maps them: 4xx when the request must change, 5xx when we failed it.
    return switch (code) {
      case INVALID_ARGUMENT -> 400;
      case NOT_FOUND -> 404;
      case DEADLINE_EXCEEDED -> 504; // the service behind the gateway was too slow (408 would blame the browser)
      case UNAVAILABLE -> 503; // worth trying again later
      case UNIMPLEMENTED -> 501;
      default -> 500;
    };
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
