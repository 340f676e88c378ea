import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import workbook.rest.SimulatedService;

/**
 * The three services behind the order page, given and complete: orders, customers (profiles)
 * and shipments, each a real HTTP server with a latency that stands for the network and its work.
 */
final class Services implements AutoCloseable {
  record Order(String id, String customerId, String item, int totalCents) {}
  record Customer(String id, String name, String email) {}
  record Shipment(String id, String orderId, String status, String carrier) {}

  static final Map<String, Order> ORDERS = Map.of("42", new Order("42", "7", "espresso machine", 24900),
      "43", new Order("43", "8", "milk frother", 3900));
  static final Map<String, Customer> CUSTOMERS = Map.of("7", new Customer("7", "Ada", "ada@example.com"),
      "8", new Customer("8", "Grace", "grace@example.com"));
  static final Map<String, Shipment> SHIPMENTS = Map.of("42", new Shipment("s-9", "42", "in transit", "PostNL"),
      "43", new Shipment("s-10", "43", "delivered", "DHL"));

  /** The token every service expects when requireToken is on (between services, not from browsers). */
  static final String TOKEN = "lab01-service-token";

  final SimulatedService orders;
  final SimulatedService customers;
  final SimulatedService shipments;
  private volatile boolean requireToken;
  private volatile CountDownLatch together;
  private volatile boolean apart;
  private final Map<String, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();

  /** Starts the services on free ports (ports[] empty) or on the given three ports. */
  Services(Duration latency, int... ports) {
    orders = SimulatedService.start("orders", latency, port(ports, 0), cfg -> {
      cfg.routes.before(this::checkToken);
      cfg.routes.before(this::meet);
      cfg.routes.before(ctx -> answerAs(ctx, "orders"));
      cfg.routes.get("/orders/{id}", ctx -> found(ctx, ORDERS.get(ctx.pathParam("id")), "order"));
    });
    customers = SimulatedService.start("customers", latency, port(ports, 1), cfg -> {
      cfg.routes.before(this::checkToken);
      cfg.routes.before(this::meet);
      cfg.routes.before(ctx -> answerAs(ctx, "customers"));
      cfg.routes.get("/customers/{id}", ctx -> found(ctx, CUSTOMERS.get(ctx.pathParam("id")), "customer"));
    });
    shipments = SimulatedService.start("shipments", latency, port(ports, 2), cfg -> {
      cfg.routes.before(this::checkToken);
      cfg.routes.before(this::meet);
      cfg.routes.before(ctx -> answerAs(ctx, "shipments"));
      // Shipments are found by the order they ship: the caller needs only the order id.
      cfg.routes.get("/shipments", ctx -> found(ctx, SHIPMENTS.get(ctx.queryParam("orderId")), "shipment"));
    });
  }

  /** Sets the simulated latency of all three services. */
  void latency(Duration latency) {
    orders.latency(latency);
    customers.latency(latency);
    shipments.latency(latency);
  }

  /** From now on, a request without "Authorization: Bearer TOKEN" gets 401. */
  void requireToken(boolean on) { requireToken = on; }

  /**
   * For tests: from now on each of the next three requests waits (up to a few seconds) until all
   * three have arrived. Calls that are really in flight together meet at once; calls made one
   * after the other cannot, and {@link #metTogether()} then says false. No timing is measured.
   */
  void expectTogether() { expectTogether(3); }

  /** The same for the next {@code requests} requests (two views built at once make six). */
  void expectTogether(int requests) {
    apart = false;
    together = new CountDownLatch(requests);
  }

  /** Back to normal: requests wait for nobody. */
  void dontWait() {
    together = null;
    apart = false;
  }

  /**
   * For tests: from now on the service named {@code service} ("orders", "customers", "shipments")
   * answers every request with {@code status} and a body that says so ("shipments answered 404"),
   * as a real one answers a 404 or a 401; {@code 0} brings back its real answers.
   */
  void answer(String service, int status) {
    if (status == 0) answers.remove(service);
    else answers.put(service, status);
  }

  /** Whether the requests since {@link #expectTogether()} were all in flight at the same time. */
  boolean metTogether() {
    CountDownLatch latch = together;
    return latch != null && latch.getCount() == 0 && !apart;
  }

  /**
   * How many of the requests since {@link #expectTogether()} have yet to come while those that came wait for them: 0 when
   * none is expected or the meeting is over (met, or given up).
   */
  int stillToMeet() {
    CountDownLatch latch = together;
    return latch == null || apart ? 0 : (int) latch.getCount();
  }

  /**
   * For tests that have seen the missing requests cannot come while the others wait (their callers are held behind a
   * caller whose request waits here): {@link #metTogether()} says false, and the requests waiting go on at once.
   */
  void neverTogether() {
    CountDownLatch latch = together;
    apart = true;
    if (latch != null) while (latch.getCount() > 0) latch.countDown();
  }

  private void meet(io.javalin.http.Context ctx) throws InterruptedException {
    CountDownLatch latch = together;
    // Once some requests waited in vain, nobody waits any more: metTogether() says false already.
    if (latch == null || latch.getCount() == 0 || apart) return;
    latch.countDown();
    if (!latch.await(3, TimeUnit.SECONDS)) apart = true;
  }

  private void answerAs(io.javalin.http.Context ctx, String service) {
    Integer status = answers.get(service);
    if (status == null) return;
    ctx.status(status).result(service + " answered " + status);
    ctx.skipRemainingHandlers();
  }

  private void checkToken(io.javalin.http.Context ctx) {
    // Exactly one Authorization header: the scheme Bearer (in any case, RFC 9110 11.1), one or more spaces,
    // exactly this token. A second header (or a list) is no identity.
    List<String> sent = Collections.list(ctx.req().getHeaders("Authorization"));
    boolean valid = sent.size() == 1 && sent.get(0).matches("(?i:bearer) +" + java.util.regex.Pattern.quote(TOKEN));
    if (requireToken && !valid) {
      ctx.status(401).result("missing or wrong bearer token");
      ctx.skipRemainingHandlers();
    }
  }

  private static void found(io.javalin.http.Context ctx, Object body, String what) {
    if (body == null) ctx.status(404).result("no " + what + " with that id");
    else ctx.json(body);
  }

  private static int port(int[] ports, int i) { return ports.length > i ? ports[i] : 0; }

  @Override
  public void close() {
    orders.close();
    customers.close();
    shipments.close();
  }
}
