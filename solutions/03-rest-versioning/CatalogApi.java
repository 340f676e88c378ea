///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ProductReader.java OpenApiV2.java ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/story/*.java ../../shared/src/workbook/net/*.java

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import io.javalin.validation.ValidationException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import workbook.net.Ports;
import workbook.rest.Rest;

/**
 * One product, two contracts: v1 sends the price as a number, v2 as {amount, currency}. Both
 * stay online, chosen by URL (/api/v1, /api/v2) or by the Accept header, so every client moves
 * to v2 when it is ready, not on the day v2 ships.
 */
public final class CatalogApi implements AutoCloseable {
  static final String V1 = "application/vnd.shop.v1+json";
  static final String V2 = "application/vnd.shop.v2+json";
  static final String ANY_TYPE = "*/*";

  record Product(int id, String name, BigDecimal amount, String currency) {}
  record ProductV1(int id, String name, BigDecimal price) {}
  record ProductV2(int id, String name, Price price) {}
  record Price(BigDecimal amount, String currency) {}
  /** An error as a problem document (RFC 9457), the one shape of every error this API sends. */
  record Problem(String type, String title, int status, String detail) {}

  private static final Map<Integer, Product> PRODUCTS = Map.of(
      1, new Product(1, "Espresso cup", new BigDecimal("7.50"), "EUR"),
      2, new Product(2, "Milk jug", new BigDecimal("12.90"), "EUR"));
  private final Map<Integer, Product> products;
  private final Javalin app;

  CatalogApi(int port) { this(port, PRODUCTS); }

  /** The same API over other products: the tests add one priced in another currency. */
  CatalogApi(int port, Map<Integer, Product> products) {
    this.products = products;
    app = Rest.start(port, cfg -> {
      cfg.routes.get("/api/v1/products/{id}", ctx -> ctx.json(v1(find(ctx))));
      // v2 gets a URL of its own next to v1: old clients keep theirs, new clients opt in by path.
      cfg.routes.get("/api/v2/products/{id}", ctx -> ctx.json(v2(find(ctx))));
      cfg.routes.get("/api/products/{id}", this::byAcceptHeader);
      cfg.routes.get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(OpenApiV2.YAML));
      // Given: errors come as application/problem+json whatever the Accept header says, so the
      // contract can describe them (Javalin's own would be text, HTML or JSON depending on Accept).
      cfg.routes.exception(ValidationException.class, (e, ctx) -> problem(ctx, 400, "the product id must be a whole number"));
      cfg.routes.exception(NotFoundResponse.class, (e, ctx) -> problem(ctx, 404, e.getMessage()));
    });
  }

  /** The unversioned URL: the client says which version it wants in the Accept header. */
  private void byAcceptHeader(Context ctx) {
    // One URL, two bodies: caches must key on Accept as well, or a v1 client gets a cached v2 body.
    ctx.header("Vary", "Accept");
    String type = negotiate(acceptedTypes(ctx));
    if (type == null) {
      problem(ctx, 406, "this API serves " + V1 + " and " + V2);
      return;
    }
    Product product = find(ctx);
    // The Content-Type names the version sent, so a client can check what it got.
    ctx.json(type.equals(V2) ? v2(product) : v1(product)).contentType(type);
  }

  /**
   * The first type in the client's list that we serve, or null. A client that names no version
   * was written against v1, so it gets v1 as application/json, exactly as before v2 existed.
   */
  static String negotiate(List<String> accepted) {
    for (String type : accepted) {
      if (type.equals(V1) || type.equals(V2)) return type;
      if (List.of("application/json", "application/*", "*/*").contains(type)) return "application/json";
    }
    return null;
  }

  /** Answers with a problem document (RFC 9457): the status, its title, and what went wrong. */
  static void problem(Context ctx, int status, String detail) {
    ctx.status(status).json(new Problem("about:blank", HttpStatus.forStatus(status).getMessage(), status, detail))
        .contentType("application/problem+json");
  }

  /** One media range of an Accept header, in lower case without parameters, and its q. */
  private record Range(String type, double q) {}

  /**
   * The media ranges of the Accept header in the client's order of preference (RFC 9110, 12.5.1):
   * highest q first, the client's order among equal q, in lower case and without parameters. A
   * range refused with q=0 is left out. A type takes its q from the most specific range that
   * matches it, whatever that q is, so a wildcard stands only for the types no more specific range
   * speaks for: application/json as itself, else the v1 type, else the v2 type, else nothing (next
   * to application/json;q=0.5, a wildcard of q=1 stands for V1, and application/json comes after
   * it). No Accept header at all takes any type.
   */
  static List<String> acceptedTypes(Context ctx) {
    // Accept sent on several lines is one list, as if joined by commas (RFC 9110, 5.3).
    String accept = String.join(",", Collections.list(ctx.req().getHeaders("Accept")));
    if (accept.isBlank()) return List.of(ANY_TYPE);
    List<Range> ranges = new ArrayList<>();
    for (String element : split(accept, ',')) {
      String[] parts = split(element, ';');
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      if (!type.isEmpty()) ranges.add(new Range(type, weight(parts)));
    }
    List<Range> wanted = new ArrayList<>(ranges.stream().filter(range -> range.q() > 0).toList());
    wanted.sort(Comparator.comparingDouble(Range::q).reversed());  // a stable sort: equal q keep their order
    List<String> types = new ArrayList<>();
    for (Range range : wanted) {
      if (specificity(range.type(), "application/json") < 0) {
        // A type, or a range of none of this API's types (text/*): where its q comes from (a type listed twice, once).
        if (decides(range.type(), ranges) == range) types.add(range.type());
        continue;
      }
      // application/json, application/* and the any-type range stand for those of this API's types whose q
      // they give, as application/json first: a client that names no version gets v1.
      List<String> standsFor = WIDE_TYPES.stream().filter(type -> decides(type, ranges) == range).toList();
      if (standsFor.isEmpty()) continue;
      types.add(standsFor.get(0).equals("application/json") ? range.type() : standsFor.get(0));
    }
    return types;
  }

  /** What a range that holds application/json can stand for, in the order a client that names no version wants it. */
  private static final List<String> WIDE_TYPES = List.of("application/json", V1, V2);

  /** The range that gives the type its q (RFC 9110, 12.5.1): the most specific that matches it, the first of equals; null if none. */
  private static Range decides(String type, List<Range> ranges) {
    Range decides = null;
    for (Range range : ranges) {
      if (specificity(range.type(), type) > (decides == null ? -1 : specificity(decides.type(), type))) decides = range;
    }
    return decides;
  }

  /** How closely a range matches a type: 2 the type itself, 1 its "type/*" range, 0 the any-type range, -1 no match. */
  private static int specificity(String range, String type) {
    if (range.equals(type)) return 2;
    if (range.equals(type.substring(0, type.indexOf('/') + 1) + "*")) return 1;
    return range.equals(ANY_TYPE) ? 0 : -1;
  }

  /** The pieces of text between separators; one inside a quoted string ("a,b;c") separates nothing (RFC 9110, 5.6.4). */
  private static String[] split(String text, char separator) {
    List<String> pieces = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted && c == '\\') {
        i++;  // a quoted-pair: the next character stands for itself
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == separator && !quoted) {
        pieces.add(text.substring(start, i));
        start = i + 1;
      }
    }
    pieces.add(text.substring(start));
    return pieces.toArray(String[]::new);
  }

  /** The q parameter of one element (its name in any case), 1 without one or with a malformed one. */
  private static double weight(String[] parameters) {
    for (int i = 1; i < parameters.length; i++) {
      String[] pair = parameters[i].trim().split("=", 2);
      boolean q = pair.length == 2 && pair[0].trim().equalsIgnoreCase("q");
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      if (q && pair[1].trim().matches("0(\\.\\d{0,3})?|1(\\.0{0,3})?")) return Double.parseDouble(pair[1].trim());
    }
    return 1;
  }

  /**
   * The product the URL's id names. An id is a whole number of any size: one past an int is no product (the catalog's ids
   * are ints), a 404 as any unknown id, never a 400 nor the product its digits wrap onto; one that is no number is the
   * client's mistake, a 400 (the ValidationException of pathParamAsClass, answered by the given handler).
   */
  private Product find(Context ctx) {
    String id = ctx.pathParam("id");
    if (id.matches("[+-]?[0-9]+") && new BigInteger(id).bitLength() > 31) throw new NotFoundResponse("no such product");
    Product product = products.get(ctx.pathParamAsClass("id", Integer.class).get());
    if (product == null) throw new NotFoundResponse("no such product");
    return product;
  }

  static ProductV1 v1(Product p) { return new ProductV1(p.id(), p.name(), p.amount()); }

  static ProductV2 v2(Product p) { return new ProductV2(p.id(), p.name(), new Price(p.amount(), p.currency())); }

  String url() { return Rest.url(app); }

  @Override
  public void close() { app.stop(); }

  /** The demo: what a v1 and a v2 client get, by URL and by Accept header. */
  public static void main(String[] args) throws Exception {
    try (CatalogApi api = new CatalogApi(Ports.requireFree(portFrom(args), "--port"))) {
      System.out.println("Lab 03: versioning REST. Catalog API on " + api.url());
      show(api, "/api/v1/products/1", null);
      show(api, "/api/v2/products/1", null);
      for (String accept : new String[] {null, V1, V2, "application/vnd.shop.v3+json"}) show(api, "/api/products/1", accept);
      String fromTheFuture = "{\"id\":1,\"name\":\"Espresso cup\",\"price\":{\"amount\":7.50},\"stock\":4}";
      System.out.println("\nThe reader meets " + fromTheFuture);
      try {
        System.out.println("  -> " + ProductReader.read(fromTheFuture));
      } catch (RuntimeException e) {
        System.out.println("  -> fails: " + e.getMessage());
      }
      System.out.println("\nThe v2 contract: curl " + api.url() + "/openapi.yaml\nPress Enter to stop.");
      System.in.read();  // returns at once when standard input is closed
    }
  }

  private static void show(CatalogApi api, String path, String accept) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path));
    if (accept != null) request.header("Accept", accept);
    HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    System.out.printf("%nGET %s%s%n  -> %d %s  %s%n", path, accept == null ? "" : "  Accept: " + accept,
        response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
  }

  private static int portFrom(String[] args) {
    if (args.length == 0) return 7003;
    if (args.length == 2 && args[0].equals("--port") && args[1].matches("\\d{1,5}")) return Integer.parseInt(args[1]);
    System.err.println("Usage: ./jbang lab03@. [--port 7003]");
    System.exit(2);
    return -1;
  }
}
