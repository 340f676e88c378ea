///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ProductApi.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.rest.Rest;
import workbook.story.Story;

@DisplayName("Lab 02: HTTP caching")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class ProductCacheTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ProductCacheTest.class, args); }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private ProductApi api;

  @BeforeEach
  void startApi() { api = new ProductApi(0); }

  @AfterEach
  void stopApi() { api.close(); }

  @Test
  @DisplayName("a product answers 200 with its JSON")
  void answersJson() throws Exception {
    HttpResponse<String> response = get("/products/1");
    assertThat(response.statusCode()).as("GET /products/1").isEqualTo(200);
    assertThat(response.body()).as("GET /products/1").contains("\"price\":7.50");
  }

  @Test
  @DisplayName("an unknown product answers 404")
  void unknownIs404() throws Exception {
    assertThat(get("/products/99").statusCode()).as("GET /products/99").isEqualTo(404);
  }

  @Test
  @DisplayName("HEAD is GET without the body: 200 for a product, 404 for an unknown one")
  void headIsGetWithoutBody() throws Exception {
    HttpResponse<String> head = head("/products/1");
    assertThat(head.statusCode()).as("HEAD /products/1").isEqualTo(200);
    assertThat(head.body()).as("HEAD /products/1 has no body").isEmpty();
    assertThat(head.headers().firstValue("Content-Type")).as("HEAD says what GET would send").hasValue("application/json");
    assertThat(head("/products/99").statusCode()).as("HEAD /products/99").isEqualTo(404);
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: Cache-Control")
  class Step1 {
    @Test
    @DisplayName("a product says Cache-Control: public, max-age=60")
    void publicForSixtySeconds() throws Exception {
      String header = get("/products/1").headers().firstValue("Cache-Control").orElse(null);
      assertThat(directives(header))
          .as("TODO 1: Cache-Control should be \"public, max-age=60\" (see hint 1), but was %s", header)
          .containsExactlyInAnyOrder("public", "max-age=60");
    }

    @Test
    @DisplayName("HEAD says the same Cache-Control as GET")
    void headSaysTheSame() throws Exception {
      String header = head("/products/1").headers().firstValue("Cache-Control").orElse(null);
      assertThat(directives(header))
          .as("TODO 1: a HEAD answer carries the headers GET would send; Cache-Control was %s", header)
          .containsExactlyInAnyOrder("public", "max-age=60");
    }

    @Test
    @DisplayName("a 404 is not made cacheable for 60 s (a new product would stay invisible)")
    void notFoundIsNotCacheable() throws Exception {
      String header = get("/products/99").headers().firstValue("Cache-Control").orElse("");
      assertThat(header)
          .as("TODO 1: set Cache-Control on the 200 answer only; the 404 said \"%s\"", header)
          .doesNotContain("max-age=60");
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: ETag")
  class Step2 {
    @Test
    @DisplayName("the ETag is a strong validator in quotes")
    void quotedStrongEtag() throws Exception {
      String etag = etagOf("/products/1");
      assertThat(etag)
          .as("TODO 2: ETag must look like \"3a7bd3e2\": quotes included, no W/ prefix (see hint 2); it was %s", etag)
          .matches("\"[\\x21\\x23-\\x7E]+\"");
    }

    @Test
    @DisplayName("reading the same product twice gives the same ETag")
    void stableEtag() throws Exception {
      String first = etagOf("/products/1");
      assertThat(etagOf("/products/1"))
          .as("TODO 2: an unchanged product must keep its ETag, or no cache can ever revalidate it")
          .isNotNull().isEqualTo(first);
    }

    @Test
    @DisplayName("a price change gives a new ETag")
    void changeChangesEtag() throws Exception {
      String before = etagOf("/products/1");
      api.changePrice(1, "8.20");
      assertThat(etagOf("/products/1"))
          .as("TODO 2: the body changed but the ETag did not, so caches would keep the old price; "
              + "derive the ETag from the body, not from the id or a constant (see hint 2)")
          .isNotNull().isNotEqualTo(before);
    }

    @Test
    @DisplayName("two products have different ETags, and HEAD gives the same ETag as GET")
    void etagPerRepresentation() throws Exception {
      String one = etagOf("/products/1");
      assertThat(etagOf("/products/2")).as("TODO 2: products 1 and 2 have different bodies, so different ETags")
          .isNotNull().isNotEqualTo(one);
      assertThat(head("/products/1").headers().firstValue("ETag"))
          .as("TODO 2: HEAD describes the same representation as GET, so it has the same ETag").hasValue(one);
    }

    @Test
    @DisplayName("two replicas with the same product agree on its ETag")
    void replicasAgree() throws Exception {
      try (ProductApi replica = new ProductApi(0)) {
        String fromReplica = etagOf(replica.url() + "/products/1");
        assertThat(etagOf("/products/1"))
            .as("TODO 2: behind a load balancer the next request may reach another replica; an ETag "
                + "made from a counter, a clock or a random value differs there (see hint 2)")
            .isNotNull().isEqualTo(fromReplica);
      }
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: conditional GET")
  class Step3 {
    @Test
    @DisplayName("If-None-Match with the current ETag is a 304 with an empty body")
    void notModifiedHasNoBody() throws Exception {
      String raw = rawGet("/products/1", currentEtag());
      String head = raw.split("\r\n\r\n", 2)[0];
      String body = raw.contains("\r\n\r\n") ? raw.split("\r\n\r\n", 2)[1] : "";
      assertThat(head.lines().findFirst().orElse(""))
          .as("TODO 3: If-None-Match named the current ETag, so the answer should be 304 (see hint 3)")
          .contains(" 304 ");
      assertThat(body).as("TODO 3: a 304 has no body; nothing may follow the headers").isEmpty();
      assertThat(api.bodiesOn304())
          .as("TODO 3: the handler set a body on the 304; Jetty drops it from the wire, but HTTP says a 304 "
              + "has none, so do not set a result at all (see hint 3)")
          .isZero();
    }

    @Test
    @DisplayName("the 304 repeats ETag and Cache-Control, so caches can refresh their entry")
    void notModifiedKeepsHeaders() throws Exception {
      String etag = currentEtag();
      HttpResponse<String> response = get("/products/1", "If-None-Match", etag);
      assertThat(response.statusCode()).as("TODO 3: If-None-Match: %s should get a 304", etag).isEqualTo(304);
      assertThat(response.headers().firstValue("ETag"))
          .as("TODO 3: set the headers before you decide to answer 304").hasValue(etag);
      assertThat(response.headers().firstValue("Cache-Control"))
          .as("TODO 3: a 304 must carry the same Cache-Control as the 200 would (see hint 3)")
          .hasValueSatisfying(value -> assertThat(value).contains("max-age=60"));
    }

    @Test
    @DisplayName("an outdated ETag gets a 200 with the new body and the new ETag")
    void outdatedEtagGetsFullAnswer() throws Exception {
      String old = currentEtag();
      api.changePrice(1, "8.20");
      HttpResponse<String> response = get("/products/1", "If-None-Match", old);
      assertThat(response.statusCode())
          .as("TODO 3: the product changed since ETag %s, so the answer must be a full 200", old).isEqualTo(200);
      assertThat(response.body()).as("TODO 3: the 200 must carry the new price").contains("8.20");
      assertThat(response.headers().firstValue("ETag")).as("TODO 3: and the new ETag").isNotEqualTo(java.util.Optional.of(old));
    }

    @Test
    @DisplayName("a list of ETags that includes the current one is a 304")
    void listOfEtags() throws Exception {
      String header = "\"some-older-one\", " + currentEtag();
      assertThat(get("/products/1", "If-None-Match", header).statusCode())
          .as("TODO 3: If-None-Match may list several ETags separated by commas (a proxy holding "
              + "several versions); any match means 304. Sent: %s (see hint 3)", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("the weak form W/\"...\" of the current ETag is a 304 too")
    void weakFormMatches() throws Exception {
      String header = "W/" + currentEtag();
      assertThat(get("/products/1", "If-None-Match", header).statusCode())
          .as("TODO 3: If-None-Match compares weakly: a proxy that compresses the body marks your ETag "
              + "W/ and the browser sends it back like that. Sent: %s (see hint 3)", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("a list written without spaces, with the weak form, still matches")
    void compactListMatches() throws Exception {
      String header = "\"some-older-one\",W/" + currentEtag();
      assertThat(get("/products/1", "If-None-Match", header).statusCode())
          .as("TODO 3: the commas in If-None-Match may have no space after them; split on the comma and trim "
              + "each part. Sent: %s (see hint 3)", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("another product's ETag is not a match")
    void otherProductsEtagIsNoMatch() throws Exception {
      currentEtag();
      String other = etagOf("/products/2");
      HttpResponse<String> response = get("/products/1", "If-None-Match", other);
      assertThat(response.statusCode())
          .as("TODO 3: If-None-Match: %s names product 2's answer, not product 1's; only the current ETag of "
              + "this resource gives a 304", other)
          .isEqualTo(200);
    }

    @Test
    @DisplayName("If-None-Match: * is a 304 for a product that exists, and a 404 for one that does not")
    void starMatchesAnyCurrentRepresentation() throws Exception {
      currentEtag();
      assertThat(get("/products/1", "If-None-Match", "*").statusCode())
          .as("TODO 3: If-None-Match: * means \"any version you have\"; product 1 exists, so 304 (RFC 9110, 13.1.2)")
          .isEqualTo(304);
      assertThat(get("/products/99", "If-None-Match", "*").statusCode())
          .as("TODO 3: with no product 99 there is no version to match: the answer stays 404, never a 304 "
              + "(decide on 304 only after you found the product)")
          .isEqualTo(404);
    }

    @Test
    @DisplayName("HEAD with the current ETag is a 304 too")
    void headIsConditionalToo() throws Exception {
      // The weak form: Javalin itself answers 304 when If-None-Match is exactly the ETag set, so only
      // the weak form shows what the handler decides.
      String header = "W/" + currentEtag();
      HttpResponse<String> response = send(request("/products/1", "If-None-Match", header).method("HEAD",
          HttpRequest.BodyPublishers.noBody()));
      assertThat(response.statusCode())
          .as("TODO 3: If-None-Match applies to GET and HEAD alike (RFC 9110, 13.1.2): HEAD with %s is a 304 "
              + "too; do not test the method", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("the 304 has no Content-Type or Content-Length of its own")
    void notModifiedHasNoRepresentationHeaders() throws Exception {
      HttpResponse<String> full = get("/products/1");
      String raw = rawGet("/products/1", currentEtag());
      String head = raw.split("\r\n\r\n", 2)[0].toLowerCase(Locale.ROOT);
      assertThat(head.lines().findFirst().orElse("")).as("TODO 3: the current ETag gets a 304").contains(" 304 ");
      String contentType = field(head, "content-type");
      assertThat(contentType == null || contentType.equals(full.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT)))
          .as("TODO 3: the 304 stands for the 200 the client holds (application/json); its own Content-Type "
              + "\"%s\" would relabel that answer (RFC 9110, 15.4.5)", contentType)
          .isTrue();
      String length = field(head, "content-length");
      assertThat(length == null || length.equals(String.valueOf(full.body().getBytes(StandardCharsets.UTF_8).length)))
          .as("TODO 3: a 304 may only repeat the Content-Length of the 200 it stands for, never its own %s "
              + "(RFC 9110, 8.6)", length)
          .isTrue();
    }

    private String currentEtag() throws Exception {
      String etag = etagOf("/products/1");
      assertThat(etag).as("Step 3 needs the ETag of step 2: do step 2 first").isNotNull();
      return etag;
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: the client reuses fresh answers")
  class Step4 extends ClientSteps {
    @Test
    @DisplayName("a fresh answer is served from the cache, without a request")
    void freshFromCache() throws Exception {
      CachingClient.Reply first = client.get("/products/1");
      later(30);
      CachingClient.Reply second = client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: 30 s after a max-age=60 answer the client must not ask again (see hint 4)").isEqualTo(1);
      assertThat(second).as("TODO 4: the cached answer is the one the server gave").isEqualTo(first);
    }

    @Test
    @DisplayName("max-age counts in seconds: still fresh at 59 s")
    void freshForWholeMaxAge() throws Exception {
      client.get("/products/1");
      later(59);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: max-age=60 means 60 seconds from the moment you stored it, on the client's clock")
          .isEqualTo(1);
    }

    @Test
    @DisplayName("an error is never reused, even when it says max-age")
    void errorsAreNotCached() throws Exception {
      origin.status = 500;
      assertThat(client.get("/products/1").status()).as("the origin answers 500 first").isEqualTo(500);
      origin.status = 200;
      CachingClient.Reply next = client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: keep only 200 answers; the 500 was reused instead of asking again, which hides "
              + "the recovery (see hint 4)").isEqualTo(2);
      assertThat(next.status()).as("TODO 4: the second read gets the server's new answer").isEqualTo(200);
    }

    @Test
    @DisplayName("an answer without max-age is not reused")
    void noMaxAgeIsNotReused() throws Exception {
      origin.cacheControl = "public";
      client.get("/products/1");
      later(1);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: without max-age the server promised no freshness at all: ask again (store only answers "
              + "that have a max-age)").isEqualTo(2);
    }

    @Test
    @DisplayName("stale after max-age: 6 s after a max-age=5 answer the client asks again")
    void staleAfterMaxAge() throws Exception {
      origin.cacheControl = "public, max-age=5";
      client.get("/products/1");
      later(6);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: max-age=5 is 5 seconds: 6 s later the copy is stale and must not be served without asking")
          .isEqualTo(2);
    }

    @Test
    @DisplayName("no-store is never kept")
    void noStoreIsNotCached() throws Exception {
      origin.cacheControl = "max-age=60, no-store";
      client.get("/products/1");
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: Cache-Control: %s forbids keeping the answer at all: no-store wins over max-age "
              + "(RFC 9111, 5.2.2.5)", origin.cacheControl).isEqualTo(2);
    }

    @Test
    @DisplayName("every URL has its own entry")
    void entryPerUrl() throws Exception {
      client.get("/products/1");
      CachingClient.Reply other = client.get("/products/2");
      assertThat(other.body()).as("TODO 4: key the cache by path").contains("/products/2");
      assertThat(client.get("/products/2")).as("TODO 4: /products/2 is now cached too").isEqualTo(other);
      assertThat(origin.requests()).as("TODO 4: two URLs, two requests").isEqualTo(2);
    }
  }

  @Nested
  @Tag("step5")
  @DisplayName("Step 5: the client revalidates stale answers")
  class Step5 extends ClientSteps {
    @Test
    @DisplayName("after max-age it asks with If-None-Match, the ETag sent exactly as received")
    void revalidatesWithEtag() throws Exception {
      CachingClient.Reply first = client.get("/products/1");
      later(61);
      CachingClient.Reply second = client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the second request must carry If-None-Match: \"v1\", quotes included (see hint 5)")
          .containsExactly("(none)", "\"v1\"");
      assertThat(second)
          .as("TODO 5: on 304 the caller gets the cached 200 and its body, never an empty 304").isEqualTo(first);
    }

    @Test
    @DisplayName("a 304 makes the entry fresh again: the next read needs no request")
    void notModifiedRefreshes() throws Exception {
      client.get("/products/1");
      later(61);
      client.get("/products/1");
      later(30);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: after the 304 the entry is fresh for another max-age; store it again with now as its time")
          .isEqualTo(2);
    }

    @Test
    @DisplayName("a 304 that brings a new max-age is fresh for that long")
    void notModifiedUpdatesMaxAge() throws Exception {
      client.get("/products/1");
      later(61);
      origin.cacheControl = "public, max-age=600";
      client.get("/products/1");
      later(300);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: the 304 said max-age=600: a cache updates its entry with the 304's headers "
              + "(RFC 9111, 4.3.4), so 300 s later it is still fresh")
          .isEqualTo(2);
    }

    @Test
    @DisplayName("a changed answer replaces the entry, and its new ETag is used next time")
    void changedReplaces() throws Exception {
      client.get("/products/1");
      origin.version = 2;
      later(61);
      assertThat(client.get("/products/1").body())
          .as("TODO 5: the server sent a new 200; the caller must get the new body").contains("\"version\":2");
      later(61);
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the next revalidation must send the new ETag").endsWith("\"v2\"");
    }
  }

  /** The client's steps run against a scripted origin server and a clock the test moves. */
  abstract static class ClientSteps {
    private static final Instant START = Instant.parse("2030-01-01T12:00:00Z");
    final Origin origin = new Origin();
    final AtomicReference<Instant> now = new AtomicReference<>(START);
    final CachingClient client = new CachingClient(origin.url(), now::get);

    void later(int seconds) {
      now.set(now.get().plusSeconds(seconds));
      Story.add("client: clock moves on " + seconds + " s");
    }

    @AfterEach
    void stopOrigin() { origin.close(); }
  }

  /** A product server whose answers the test scripts: status, Cache-Control, version of the body. */
  static final class Origin implements AutoCloseable {
    volatile int status = 200;
    volatile String cacheControl = "public, max-age=60";
    volatile int version = 1;
    final List<String> ifNoneMatchSeen = new CopyOnWriteArrayList<>();
    private final Javalin app = Rest.start(cfg -> cfg.routes.get("/products/{id}", this::answer));

    private void answer(Context ctx) {
      String asked = ctx.header("If-None-Match");
      ifNoneMatchSeen.add(asked == null ? "(none)" : asked);
      String etag = "\"v" + version + "\"";
      ctx.header("Cache-Control", cacheControl).header("ETag", etag);
      boolean same = status == 200 && etag.equals(asked);  // strict: the client must echo the ETag as is
      if (same) ctx.status(304);
      else ctx.status(status).result("{\"path\":\"" + ctx.path() + "\",\"version\":" + version + "}");
      Story.add("origin: GET " + ctx.path() + (asked == null ? "" : " If-None-Match: " + asked)
          + " -> " + ctx.statusCode() + ", Cache-Control: " + cacheControl + ", ETag: " + etag);
    }

    int requests() { return ifNoneMatchSeen.size(); }

    String url() { return Rest.url(app); }

    @Override
    public void close() { app.stop(); }
  }

  private HttpResponse<String> get(String pathOrUrl, String... headers) throws Exception {
    return send(request(pathOrUrl, headers));
  }

  private HttpResponse<String> head(String path) throws Exception {
    return send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
  }

  private HttpRequest.Builder request(String pathOrUrl, String... headers) {
    String url = pathOrUrl.startsWith("http") ? pathOrUrl : api.url() + pathOrUrl;
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(25));
    if (headers.length > 0) request.headers(headers);
    return request;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A header's value in a raw head (lower case), or null. */
  private static String field(String head, String name) {
    return head.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).trim())
        .findFirst().orElse(null);
  }

  private String etagOf(String pathOrUrl) throws Exception {
    return get(pathOrUrl).headers().firstValue("ETag").orElse(null);
  }

  /** The answer exactly as sent, from a plain socket: HttpClient never shows a 304's body. */
  private String rawGet(String path, String ifNoneMatch) throws IOException {
    URI uri = URI.create(api.url());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(25_000);
      String request = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nIf-None-Match: "
          + ifNoneMatch + "\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private static List<String> directives(String header) {
    if (header == null) return List.of();
    return List.of(header.toLowerCase(Locale.ROOT).replace(" ", "").split(","));
  }
}
