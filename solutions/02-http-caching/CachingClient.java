import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
  // Given: each request's number, in the order they leave, and per path the number of the newest answer handled.
  private final AtomicLong sent = new AtomicLong();
  private final Map<HttpResponse<String>, Long> askedAs = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
  private final Map<String, Long> newest = new ConcurrentHashMap<>();
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
    // Given: two answers for one path can be on their way at once; the one to the request sent last wins
    // (RFC 9111, 4: the most recent), and an older one that arrives after it is passed on, never stored over it.
    Long number = askedAs.remove(response);
    long asked = number != null ? number : sent.incrementAndGet();  // a response not from send(): as if asked now
    newest.compute(path, (p, handled) -> {
      if (handled != null && handled > asked) return handled;
      remember(path, response);
      return asked;
    });
    return new Reply(response.statusCode(), response.body());
  }

  /** Asks the server whether a stale entry still holds: 304 means "yes, keep using it". */
  private Reply revalidate(String path, Entry stale) throws IOException, InterruptedException {
    // The ETag goes back exactly as received, quotes included: the server compares validators, not ids.
    HttpResponse<String> response = send(request(path).header("If-None-Match", stale.etag()));
    if (response.statusCode() != 304) {
      // The server did not vouch for the stale copy: drop it (only it: a newer answer another reader stored meanwhile
      // stays), and keep the new answer if it may be kept.
      cache.remove(path, stale);
      return handle(path, response);
    }
    // A 304 naming another version (its ETag, W/ aside, is not ours) vouches for bytes we do not hold (RFC 9111, 4.3.4).
    if (!response.headers().firstValue("ETag").orElse(stale.etag()).replaceFirst("^W/", "").equals(stale.etag().replaceFirst("^W/", ""))) {
      cache.remove(path, stale);
      return fetch(path);
    }
    // 304 says "what you hold is current": it counts as just received (minus its Age), fresh again for
    // the max-age the 304 repeats (0 s if it says no-cache), or the one stored before if it repeats no
    // Cache-Control; its Cache-Control replaces the stored one (RFC 9111, 4.3.4): without max-age, 0 s.
    Map<String, String> directives = cacheControl(response);
    String maxAge = directives.get("max-age");
    Duration fresh = directives.containsKey("no-cache") ? Duration.ZERO
        : maxAge == null ? (directives.isEmpty() ? stale.maxAge() : Duration.ZERO) : Duration.ofSeconds(Long.parseLong(maxAge));
    // Only the entry this 304 vouches for: a newer answer another reader stored meanwhile stays (RFC 9111, 4.3.4).
    cache.replace(path, stale, new Entry(stale.body(), stale.etag(), clock.instant().minusSeconds(age(response)), fresh));
    return new Reply(200, stale.body());
  }

  /** Keeps an answer the server allows us to reuse, for as long as it allows. */
  private void remember(String path, HttpResponse<String> response) {
    // Only a 200 the server declared reusable: an error or a no-store answer must be asked for again.
    Map<String, String> directives = cacheControl(response);
    if (response.statusCode() != 200 || directives.containsKey("no-store")) return;
    if (!directives.containsKey("max-age") && !directives.containsKey("no-cache")) return;  // no freshness promised
    String etag = response.headers().firstValue("ETag").orElse(null);
    // no-cache (with or without max-age): keep it, but ask before every reuse. Age: it was already that old when it arrived.
    Duration maxAge = directives.containsKey("no-cache") ? Duration.ZERO : Duration.ofSeconds(Long.parseLong(directives.get("max-age")));
    cache.put(path, new Entry(response.body(), etag, clock.instant().minusSeconds(age(response)), maxAge));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    long number = sent.incrementAndGet();
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    askedAs.put(response, number);
    return response;
  }

  /**
   * The directives of Cache-Control: "public, Max-Age=60" gives {public=, max-age=60}. Names are
   * compared in lower case, every Cache-Control line counts (two lines are one comma-separated
   * list), a quoted value loses its quotes, and a directive given twice keeps its first value. A
   * max-age or s-maxage that is not a number of seconds reads as "0" (stale, RFC 9111, 4.2.1), and one
   * too large to count as "2147483648" (1.2.2), so Long.parseLong can always read them (leading zeros
   * count for nothing: "000000000060" is 60).
   */
  static Map<String, String> cacheControl(HttpResponse<?> response) {
    Map<String, String> directives = new LinkedHashMap<>();
    for (String part : splitOutsideQuotes(String.join(",", response.headers().allValues("Cache-Control")))) {
      String[] nameValue = part.trim().split("=", 2);
      if (nameValue[0].isEmpty()) continue;
      String value = nameValue.length > 1 ? nameValue[1].trim() : "";
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
      String name = nameValue[0].trim().toLowerCase(Locale.ROOT);
      if (name.equals("max-age") || name.equals("s-maxage")) value = deltaSeconds(value);
      directives.putIfAbsent(name, value);
    }
    return directives;
  }

  /**
   * How many seconds the answer already spent in caches on its way here (its Age header), or 0. A value
   * too large to count is taken as 2^31 seconds, never as 0 (RFC 9111, 1.2.2).
   */
  static long age(HttpResponse<?> response) {
    String age = response.headers().firstValue("Age").orElse("0").trim();
    if (!age.matches("\\d+")) return 0;
    return age.replaceFirst("^0+(?=\\d)", "").length() > 10 ? 2147483648L : Math.min(Long.parseLong(age), 2147483648L);
  }

  /** Delta-seconds as Long.parseLong can read them: "0" when not a number, at most "2147483648". */
  private static String deltaSeconds(String value) {
    if (!value.matches("\\d+")) return "0";
    return value.replaceFirst("^0+(?=\\d)", "").length() > 10 || Long.parseLong(value) > 2147483648L ? "2147483648" : value;
  }

  /** Splits a list on the commas that are not inside a quoted string: private="a, b" stays whole. */
  private static List<String> splitOutsideQuotes(String list) {
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    for (char c : list.toCharArray()) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    parts.add(part.toString());
    return parts;
  }
}
