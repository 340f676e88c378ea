///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES CachingClient.java ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/story/*.java ../../shared/src/workbook/net/*.java

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import workbook.net.Ports;
import workbook.rest.Rest;
import workbook.story.Story;

/**
 * A product endpoint that tells every cache on the way how long it may reuse an answer
 * (Cache-Control), and how to ask cheaply whether the answer changed (ETag, If-None-Match, 304).
 */
public final class ProductApi implements AutoCloseable {
  record Product(int id, String name, BigDecimal price) {}

  private final Map<Integer, Product> products = new ConcurrentHashMap<>();
  private final AtomicInteger bodiesOn304 = new AtomicInteger();
  private final Javalin app;

  ProductApi(int port) {
    products.put(1, new Product(1, "Espresso cup", new BigDecimal("7.50")));
    products.put(2, new Product(2, "Milk jug", new BigDecimal("12.90")));
    app = Rest.start(port, cfg -> {
      cfg.routes.get("/products/{id}", this::getProduct);
      // HEAD is GET without the body (RFC 9110, 9.3.2): same status, same headers, same 304s and 404s.
      cfg.routes.head("/products/{id}", this::getProduct);
      cfg.routes.after(this::tell);
      cfg.routes.after(ProductApi::bareNotModified);
    });
  }

  private void getProduct(Context ctx) {
    Product product = products.get(ctx.pathParamAsClass("id", Integer.class).get());
    if (product == null) {
      ctx.status(404).result("no such product");
      return;
    }
    String body = ctx.jsonMapper().toJsonString(product, Product.class);
    String etag = etagOf(body);
    // public: shared caches (a CDN, a proxy) may keep it too; 60 s bounds how old a price can get.
    ctx.header("Cache-Control", "public, max-age=60");
    // Computed from the bytes we send: same body, same ETag on every replica; any change, a new one.
    ctx.header("ETag", etag);
    // The client holds these very bytes already: confirm them with headers only (set above), no body.
    if (matches(ifNoneMatch(ctx), etag)) {
      ctx.status(304);
      return;
    }
    ctx.contentType("application/json").result(body);
  }

  /** A quoted hash of the body: a strong validator, since equal hashes mean equal bytes. */
  static String etagOf(String body) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
      return "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"";  // 128 bits are plenty, and shorter to read
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** If-None-Match lists one or more ETags (or *) and compares weakly: W/"x" matches "x". */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) return false;
    return Arrays.stream(ifNoneMatch.split(","))
        .map(String::trim)
        .map(tag -> tag.startsWith("W/") ? tag.substring(2) : tag)
        .anyMatch(tag -> tag.equals(etag) || tag.equals("*"));
  }

  /**
   * Given: the request's If-None-Match as one list, every line of it (two If-None-Match lines mean the same
   * as one line with a comma between them, RFC 9110, 5.3), or null when there is none.
   */
  static String ifNoneMatch(Context ctx) {
    List<String> lines = java.util.Collections.list(ctx.req().getHeaders("If-None-Match"));
    return lines.isEmpty() ? null : String.join(", ", lines);
  }

  /** One line per exchange, shown under a failing test and printed by the demo. */
  private void tell(Context ctx) {
    String asked = ctx.header("If-None-Match");
    String etag = ctx.res().getHeader("ETag");
    Story.add("server: " + ctx.method() + " " + ctx.path() + (asked == null ? "" : " If-None-Match: " + asked)
        + " -> " + ctx.statusCode() + (etag == null ? ", no ETag" : ", ETag: " + etag));
    String result = ctx.result();
    if (ctx.statusCode() == 304 && result != null && !result.isEmpty()) {
      bodiesOn304.incrementAndGet();  // Jetty drops it from the wire, so only here can we see it
      Story.add("server: that 304 was given a body of " + result.length() + " characters; HTTP never sends one");
    }
  }

  /**
   * Given: a 304 stands for the 200 the client already holds, so it carries that answer's ETag and
   * Cache-Control but no Content-Type or Content-Length of its own (RFC 9110, 15.4.5 and 8.6).
   * Javalin would add its default text/plain, and Jetty "Content-Length: 0": the headers are sent
   * here, before either can.
   */
  private static void bareNotModified(Context ctx) throws java.io.IOException {
    if (ctx.statusCode() != 304) return;
    ctx.res().setContentType(null);
    ctx.res().flushBuffer();
  }

  /** How many 304 answers the handler gave a body to. */
  int bodiesOn304() { return bodiesOn304.get(); }

  void changePrice(int id, String price) {
    products.computeIfPresent(id, (k, p) -> new Product(p.id(), p.name(), new BigDecimal(price)));
  }

  void rename(int id, String name) {
    products.computeIfPresent(id, (k, p) -> new Product(p.id(), name, p.price()));
  }

  String url() { return Rest.url(app); }

  @Override
  public void close() { app.stop(); }

  /** The demo: reads through the caching client while a simulated clock moves on. */
  public static void main(String[] args) throws Exception {
    try (ProductApi api = new ProductApi(Ports.requireFree(portFrom(args), "--port"))) {
      System.out.println("Lab 02: HTTP caching. Product API on " + api.url() + "/products/1");
      AtomicReference<Instant> now = new AtomicReference<>(DEMO_START);
      CachingClient client = new CachingClient(api.url(), now::get);
      read(client, now, 0);
      read(client, now, 30);
      read(client, now, 61);
      api.changePrice(1, "8.20");
      System.out.println("\n(the price of product 1 changes to 8.20)");
      read(client, now, 122);
      System.out.println("\nTry it: curl -i " + api.url() + "/products/1");
      System.out.println("   then: curl -i -H 'If-None-Match: <the ETag you got>' " + api.url() + "/products/1");
      System.out.println("Press Enter to stop.");
      System.in.read();  // returns at once when standard input is closed
    }
  }

  private static final Instant DEMO_START = Instant.parse("2030-01-01T12:00:00Z");

  private static void read(CachingClient client, AtomicReference<Instant> now, int second) throws Exception {
    now.set(DEMO_START.plusSeconds(second));
    CachingClient.Reply reply = client.get("/products/1");
    System.out.printf("%nread at %3d s -> %d %s%n", second, reply.status(), reply.body());
    List<String> seen = Story.drain();
    if (seen.isEmpty()) System.out.println("    (no request: answered from the client's cache)");
    seen.forEach(line -> System.out.println("    " + line));
  }

  private static int portFrom(String[] args) {
    if (args.length == 0) return 7002;
    if (args.length == 2 && args[0].equals("--port") && args[1].matches("\\d{1,5}")) return Integer.parseInt(args[1]);
    System.err.println("Usage: ./jbang lab02@. [--port 7002]");
    System.exit(2);
    return -1;
  }
}
