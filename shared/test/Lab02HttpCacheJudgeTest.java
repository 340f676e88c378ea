///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../solutions/02-http-caching/ProductApi.java ../src/workbook/test/*.java ../src/workbook/httpcache/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.hc.client5.http.cache.CacheResponseStatus;
import org.apache.hc.client5.http.cache.HttpCacheContext;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.cache.CacheConfig;
import org.apache.hc.client5.http.impl.cache.CachingHttpClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.story.Story;

/**
 * A real judge for lab 02: Apache HttpClient 5's caching client (RFC 9111) talks to the lab's
 * SOLUTION server. It must get cache hits while an answer is fresh, revalidate with a 304, keep the
 * stored answer intact through that 304 (it merges the 304's headers into what it stored), and
 * take a changed product as a new answer.
 */
@DisplayName("Workbook: lab 02's solution judged by Apache HttpClient 5's cache")
@Timeout(60)
class Lab02HttpCacheJudgeTest {
  public static void main(String[] args) { workbook.test.LabTests.run(Lab02HttpCacheJudgeTest.class, args); }

  record Seen(CacheResponseStatus cache, int status, String contentType, String etag, String body) {}

  private ProductApi api;
  private CloseableHttpClient cache;

  @BeforeEach
  void start() {
    api = new ProductApi(0);
    // A shared cache, as a proxy or CDN would be: it keeps only what the server declared public.
    cache = CachingHttpClients.custom()
        .setCacheConfig(CacheConfig.custom().setSharedCache(true).setMaxCacheEntries(100).build())
        .build();
    Story.drain();
  }

  @AfterEach
  void stop() throws Exception {
    cache.close();
    api.close();
  }

  @Test
  @DisplayName("a fresh answer is a cache hit, with the body and headers of the 200")
  void freshIsAHit() throws Exception {
    Seen first = get("/products/1");
    Seen second = get("/products/1");
    assertThat(first.status()).as("first read").isEqualTo(200);
    assertThat(second.cache()).as("second read within max-age=60: %s", Story.drain()).isEqualTo(CacheResponseStatus.CACHE_HIT);
    assertThat(second).as("the hit serves what the server sent").isEqualTo(new Seen(CacheResponseStatus.CACHE_HIT,
        200, first.contentType(), first.etag(), first.body()));
  }

  @Test
  @DisplayName("revalidation gets a 304, and the stored answer keeps its Content-Type and body")
  void revalidationIsA304() throws Exception {
    Seen first = get("/products/1");
    Story.drain();
    Seen again = get("/products/1", "Cache-Control", "min-fresh=3600");  // "only what stays fresh an hour": the entry must be revalidated
    List<String> server = Story.drain();
    assertThat(again.cache()).as("a forced revalidation of an unchanged product; server saw %s", server)
        .isEqualTo(CacheResponseStatus.VALIDATED);
    assertThat(server).as("the server answered the conditional GET").anyMatch(line -> line.contains("If-None-Match") && line.contains("-> 304"));
    // The cache merges the 304's headers into its entry (RFC 9111, 4.3.4): a Content-Type on the 304
    // that differs from the 200's would now label the cached JSON as something else.
    assertThat(again).as("after the 304 the cache serves the 200 it holds, headers included")
        .isEqualTo(new Seen(CacheResponseStatus.VALIDATED, 200, first.contentType(), first.etag(), first.body()));
    assertThat(first.contentType()).as("the 200's Content-Type").startsWith("application/json");
  }

  @Test
  @DisplayName("a changed product is a new 200 with a new ETag, cached from then on")
  void changeIsANewAnswer() throws Exception {
    Seen first = get("/products/1");
    api.changePrice(1, "8.20");
    Story.drain();
    Seen changed = get("/products/1", "Cache-Control", "min-fresh=3600");
    List<String> server = Story.drain();
    assertThat(server).as("the cache revalidated the ETag it holds, and the server said it is outdated")
        .anyMatch(line -> line.contains("If-None-Match: " + first.etag()) && line.contains("-> 200"));
    assertThat(changed.body()).as("the new price").contains("8.20");
    assertThat(changed.etag()).as("a new ETag for a new body").isNotNull().isNotEqualTo(first.etag());
    Seen next = get("/products/1");
    assertThat(next.cache()).as("the new answer is what the cache keeps now").isEqualTo(CacheResponseStatus.CACHE_HIT);
    assertThat(next.body()).contains("8.20");
  }

  @Test
  @DisplayName("a 404 is not kept: a product created later is seen at once")
  void notFoundIsNotKept() throws Exception {
    Seen first = get("/products/99");
    Seen second = get("/products/99");
    assertThat(first.status()).isEqualTo(404);
    assertThat(second.cache()).as("the 404 declared nothing cacheable").isNotEqualTo(CacheResponseStatus.CACHE_HIT);
  }

  private Seen get(String path, String... headers) throws Exception {
    HttpGet request = new HttpGet(api.url() + path);
    for (int i = 0; i + 1 < headers.length; i += 2) request.addHeader(headers[i], headers[i + 1]);
    HttpCacheContext context = HttpCacheContext.create();
    return cache.execute(request, context, response -> new Seen(context.getCacheResponseStatus(), response.getCode(),
        value(response.getFirstHeader("Content-Type")), value(response.getFirstHeader("ETag")),
        response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity())));
  }

  private static String value(Header header) {
    return header == null ? null : header.getValue();
  }
}
