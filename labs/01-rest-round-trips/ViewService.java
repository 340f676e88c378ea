import java.time.Duration;
import java.util.concurrent.CompletionException;
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
      // Given: a call behind the view failed, so the page gets 502 Bad Gateway and what that service said.
      cfg.routes.exception(Exception.class, (e, ctx) -> {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        ctx.status(502).result("a service behind the view failed: " + cause.getMessage());
      });
      // TODO 2: serve GET /order-views/{orderId}?customerId=... as JSON, built with views.concurrent(...).
    });
  }
}
