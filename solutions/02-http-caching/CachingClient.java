import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client with its own HTTP cache, like a browser's: it reuses a fresh answer without asking,
 * and revalidates a stale one with If-None-Match, so an unchanged answer costs a 304 and no body.
 */
public final class CachingClient {
  /** What the caller gets: the status and body of a full answer (never a bare 304). */
  record Reply(int status, String body) {}

  /** A stored answer, its validator, and how long it may be reused without asking. */
  record Entry(String body, String etag, Instant storedAt, Duration maxAge) {
    boolean freshAt(Instant now) { return now.isBefore(storedAt.plus(maxAge)); }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();
  private final String baseUrl;
  // The time comes from outside so that tests and the demo can let a minute pass at once.
  private final InstantSource clock;

  CachingClient(String baseUrl, InstantSource clock) {
    this.baseUrl = baseUrl;
    this.clock = clock;
  }

  /** Reads a path: from the cache while the entry is fresh, else revalidated, else fetched. */
  Reply get(String path) throws IOException, InterruptedException {
    Entry entry = cache.get(path);
    if (entry != null && entry.freshAt(clock.instant())) return new Reply(200, entry.body());
    if (entry != null && entry.etag() != null) return revalidate(path, entry);
    return fetch(path);
  }

  private Reply fetch(String path) throws IOException, InterruptedException {
    return handle(path, send(request(path)));
  }

  private Reply handle(String path, HttpResponse<String> response) {
    remember(path, response);
    return new Reply(response.statusCode(), response.body());
  }

  /** Asks the server whether a stale entry still holds: 304 means "yes, keep using it". */
  private Reply revalidate(String path, Entry stale) throws IOException, InterruptedException {
    // The ETag goes back exactly as received, quotes included: the server compares validators, not ids.
    HttpResponse<String> response = send(request(path).header("If-None-Match", stale.etag()));
    if (response.statusCode() != 304) return handle(path, response);
    // 304 says "what you hold is current": it counts as just received, fresh again for the max-age
    // the 304 repeats (the server may have changed it), or the one stored before.
    String maxAge = cacheControl(response).get("max-age");
    Duration fresh = maxAge == null ? stale.maxAge() : Duration.ofSeconds(Long.parseLong(maxAge));
    cache.put(path, new Entry(stale.body(), stale.etag(), clock.instant(), fresh));
    return new Reply(200, stale.body());
  }

  /** Keeps an answer the server allows us to reuse, for as long as it allows. */
  private void remember(String path, HttpResponse<String> response) {
    // Only a 200 the server declared reusable: an error or a no-store answer must be asked for again.
    Map<String, String> directives = cacheControl(response);
    if (response.statusCode() != 200 || directives.containsKey("no-store") || !directives.containsKey("max-age")) return;
    Duration maxAge = Duration.ofSeconds(Long.parseLong(directives.get("max-age")));
    String etag = response.headers().firstValue("ETag").orElse(null);
    cache.put(path, new Entry(response.body(), etag, clock.instant(), maxAge));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The directives of the Cache-Control header: "public, max-age=60" gives {public=, max-age=60}. */
  static Map<String, String> cacheControl(HttpResponse<?> response) {
    Map<String, String> directives = new LinkedHashMap<>();
    for (String part : response.headers().firstValue("Cache-Control").orElse("").split(",")) {
      String[] nameValue = part.trim().split("=", 2);
      if (nameValue[0].isEmpty()) continue;
      directives.put(nameValue[0].toLowerCase(Locale.ROOT), nameValue.length > 1 ? nameValue[1].trim() : "");
    }
    return directives;
  }
}
