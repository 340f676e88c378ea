//DEPS org.apache.httpcomponents.client5:httpclient5-cache:5.6.5
package workbook.httpcache;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hc.client5.http.cache.CacheResponseStatus;
import org.apache.hc.client5.http.cache.HttpCacheCASOperation;
import org.apache.hc.client5.http.cache.HttpCacheContext;
import org.apache.hc.client5.http.cache.HttpCacheEntry;
import org.apache.hc.client5.http.cache.HttpCacheStorage;
import org.apache.hc.client5.http.cache.ResourceIOException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.cache.CacheConfig;
import org.apache.hc.client5.http.impl.cache.CachingHttpClientBuilder;
import org.apache.hc.client5.http.impl.cache.CachingHttpClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.client5.http.utils.DateUtils;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.message.HeaderGroup;

/**
 * A real HTTP cache to compare a lab's cache with: Apache HttpClient 5's caching client (RFC 9111),
 * configured as a private cache (a browser's, not a proxy's), on a clock the test moves.
 * HttpClient dates its entries with the system clock; its storage here moves every entry back by
 * the simulated time that passed since it was stored, so an entry ages exactly as the test says.
 * The server it talks to should send a Date of real time (as servers do).
 */
public final class RealCache implements AutoCloseable {
  /** What the caller got, and whether the cache answered it without asking the server. */
  public record Reply(int status, String body, CacheResponseStatus cache) {
    public boolean hit() { return cache == CacheResponseStatus.CACHE_HIT; }
  }

  private final CloseableHttpClient client;

  public RealCache(InstantSource clock) {
    CacheConfig config = CacheConfig.custom().setSharedCache(false).setMaxCacheEntries(100_000)
        .setMaxObjectSize(1 << 20).build();
    // No retries and no redirects followed: one read, one answer, as the lab's client does.
    CachingHttpClientBuilder builder = CachingHttpClients.custom().setCacheConfig(config)
        .setHttpCacheStorage(new SimulatedTimeStorage(clock));
    client = builder.disableAutomaticRetries().disableRedirectHandling().build();
  }

  /** A GET through the cache. */
  public Reply get(String url) throws IOException {
    HttpCacheContext context = HttpCacheContext.create();
    return client.execute(new HttpGet(url), context, response -> new Reply(response.getCode(),
        response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity()), context.getCacheResponseStatus()));
  }

  @Override
  public void close() throws IOException { client.close(); }

  /**
   * Keeps entries in simulated time: an entry read back is moved into the past by the simulated
   * time that passed since it was stored (its request and response instants, and its Date), less
   * the real time that passed meanwhile, so it has aged by what the test's clock says, to the second.
   */
  private static final class SimulatedTimeStorage implements HttpCacheStorage {
    private record Stored(HttpCacheEntry entry, Instant simulated, Instant real) {}

    private final Map<String, Stored> entries = new java.util.concurrent.ConcurrentHashMap<>();
    private final InstantSource simulated;

    SimulatedTimeStorage(InstantSource simulated) { this.simulated = simulated; }

    private HttpCacheEntry aged(Stored stored) {
      if (stored == null) return null;
      HttpCacheEntry e = stored.entry();
      Duration passed = Duration.between(stored.simulated(), simulated.instant());
      Duration by = passed.minus(Duration.between(stored.real(), Instant.now()));
      HeaderGroup request = new HeaderGroup();
      request.setHeaders(e.requestHeaders().getHeaders());
      HeaderGroup response = new HeaderGroup();
      response.setHeaders(e.getHeaders());
      // Date moves with it, to the second the (moved) response arrived in: HttpClient adds the whole
      // seconds between Date and arrival to the age, and the real time spent here must not count.
      Instant arrived = e.getResponseInstant().minus(by);
      if (e.getInstant() != null) response.setHeader(new BasicHeader("Date", DateUtils.formatStandardDate(arrived.truncatedTo(ChronoUnit.SECONDS))));
      return new HttpCacheEntry(e.getRequestInstant().minus(by), arrived, e.getRequestMethod(),
          e.getRequestURI(), request, e.getStatus(), response, e.getResource(), e.hasVariants() ? e.getVariants() : null);
    }

    private Stored now(HttpCacheEntry entry) { return entry == null ? null : new Stored(entry, simulated.instant(), Instant.now()); }

    @Override
    public void putEntry(String key, HttpCacheEntry entry) { entries.put(key, now(entry)); }

    @Override
    public HttpCacheEntry getEntry(String key) { return aged(entries.get(key)); }

    @Override
    public void removeEntry(String key) { entries.remove(key); }

    @Override
    public void updateEntry(String key, HttpCacheCASOperation operation) throws ResourceIOException {
      HttpCacheEntry updated = operation.execute(aged(entries.get(key)));
      if (updated == null) entries.remove(key);
      else entries.put(key, now(updated));
    }

    @Override
    public Map<String, HttpCacheEntry> getEntries(Collection<String> keys) {
      Map<String, HttpCacheEntry> found = new LinkedHashMap<>();
      for (String key : keys) {
        HttpCacheEntry entry = getEntry(key);
        if (entry != null) found.put(key, entry);
      }
      return found;
    }
  }
}
