///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Services.java RestClient.java ViewService.java
//SOURCES ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/net/*.java ../../shared/src/workbook/demo/*.java

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import workbook.demo.Stages;
import workbook.net.Ports;
import workbook.rest.SimulatedService;

/**
 * The "my order" page needs an order, the customer's profile and the shipment: three resources
 * at three URLs. How many round-trips it costs, and how long, depends on how you ask.
 */
final class OrderViews {
  record OrderView(Services.Order order, Services.Customer customer, Services.Shipment shipment) {}

  private final RestClient client;
  private final String ordersUrl;
  private final String customersUrl;
  private final String shipmentsUrl;

  OrderViews(RestClient client, Services services) {
    this.client = client;
    this.ordersUrl = services.orders.url();
    this.customersUrl = services.customers.url();
    this.shipmentsUrl = services.shipments.url();
  }

  /** Given: one call after the other. Three round-trips, and the page waits for all three in a row. */
  OrderView sequential(String orderId, String customerId) {
    Services.Order order = client.get(ordersUrl + "/orders/" + orderId, Services.Order.class);
    Services.Customer customer = client.get(customersUrl + "/customers/" + customerId, Services.Customer.class);
    Services.Shipment shipment = client.get(shipmentsUrl + "/shipments?orderId=" + orderId, Services.Shipment.class);
    return new OrderView(order, customer, shipment);
  }

  /** The same three calls, all in flight at once: still three round-trips, but one round-trip of waiting. */
  OrderView concurrent(String orderId, String customerId) {
    // TODO 1: start the three calls with client.getAsync(...) before waiting for any of them.
    throw new UnsupportedOperationException("TODO 1: make the three calls concurrently");
  }

  /** One call to the view service, which does the three calls next to the data. */
  static OrderView composite(RestClient client, String viewsUrl, String orderId, String customerId) {
    // TODO 2: GET viewsUrl + "/order-views/{orderId}?customerId={customerId}" as one OrderView.
    throw new UnsupportedOperationException("TODO 2: fetch the whole view in one call");
  }

  public static void main(String[] args) throws Exception {
    boolean serve = args.length > 0 && args[0].equals("--serve");
    if (args.length > 0 && !serve) {
      System.err.println("Usage: ./jbang lab01@. [--serve]   (--serve keeps the services up on ports 7000-7003 for curl)");
      System.exit(2);
    }
    int[] ports = serve ? new int[] {Ports.requireFree(7001), Ports.requireFree(7002),
        Ports.requireFree(7003)} : new int[0];
    Duration latency = Duration.ofMillis(150);
    try (Services services = new Services(latency, ports)) {
      OrderViews views = new OrderViews(new RestClient(Services.TOKEN), services);
      SimulatedService viewService = ViewService.start(views, serve ? Ports.requireFree(7000) : 0);
      System.out.println("Each service answers after " + latency.toMillis() + " ms. Building the view of order 42:");
      show("sequential", services, viewService, () -> views.sequential("42", "7"));
      show("concurrent", services, viewService, () -> views.concurrent("42", "7"));
      show("composite", services, viewService, () -> composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7"));
      if (serve) waitForEnter(services, viewService);
      viewService.close();
    }
  }

  private static void show(String how, Services s, SimulatedService views, Callable<OrderView> build) {
    SimulatedService[] all = {s.orders, s.customers, s.shipments, views};
    for (SimulatedService svc : all) svc.resetCount();
    long t0 = System.nanoTime();
    try {
      OrderView view = build.call();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      int fromPage = views.requests() > 0 ? views.requests() : s.orders.requests() + s.customers.requests() + s.shipments.requests();
      System.out.printf(Locale.ROOT, "  %-10s %4d ms, %d round-trip(s) from the page: %s for %s, %s%n",
          how, ms, fromPage, view.order().item(), view.customer().name(), view.shipment().status());
    } catch (UnsupportedOperationException todo) {
      System.out.printf("  %-10s%s%n", how, Stages.notDoneYet(todo));
    } catch (Exception e) {
      System.out.printf("  %-10s failed: %s%n", how, e.getMessage());
    }
  }

  private static void waitForEnter(Services s, SimulatedService views) throws Exception {
    System.out.println("Serving: curl " + s.orders.url() + "/orders/42   (press Enter to stop)");
    System.out.println("         curl '" + views.url() + "/order-views/42?customerId=7'");
    System.in.read(); // end of input (no terminal) stops the demo too
  }
}
