import java.time.Duration;
import workbook.rest.SimulatedService;

/**
 * A backend-for-frontend: one endpoint that builds the whole order view on the server, so a
 * browser on a slow network pays one round-trip instead of three.
 */
final class ViewService {
  private ViewService() {}

  /** Starts the view service in front of the three services (port 0 picks a free port). */
  static SimulatedService start(OrderViews views, int port) {
    return SimulatedService.start("views", Duration.ZERO, port, cfg -> {
      // Given: a call behind the view failed, so the page gets 502 Bad Gateway and what that service said
      // (Javalin hands this handler the HttpError itself, never the CompletionException join() wrapped it in;
      // an error without a message, such as a refused connection, is named by its class).
      cfg.routes.exception(Exception.class, (e, ctx) ->
          ctx.status(502).result("a service behind the view failed: " + java.util.Objects.toString(e.getMessage(), e.toString())));
      // The server builds the view with the concurrent calls, so the page pays a single round-trip.
      cfg.routes.get("/order-views/{orderId}", ctx -> {
        String customerId = ctx.queryParam("customerId");
        // No customer named: the page's request is at fault, not a service behind the view (400, RFC 9110 15.5.1).
        if (customerId == null || customerId.isBlank()) {
          ctx.status(400).result("missing query parameter customerId: GET /order-views/{orderId}?customerId=...");
          return;
        }
        ctx.json(views.concurrent(ctx.pathParam("orderId"), customerId));
      });
    });
  }
}
