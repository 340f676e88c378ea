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
      // TODO 2: serve GET /order-views/{orderId}?customerId=... as JSON, built with views.concurrent(...).
    });
  }
}
