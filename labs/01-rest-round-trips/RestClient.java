import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small JSON-over-HTTP client: what every service-to-service REST call needs, and no more. */
final class RestClient {
  /** A non-2xx answer, with what the server said, so callers can react to 404 and 503 differently. */
  static final class HttpError extends RuntimeException {
    private final int status;
    private final String body;

    HttpError(int status, String body) {
      super("HTTP " + status + ": " + body);
      this.status = status;
      this.body = body;
    }

    int status() { return status; }

    String body() { return body; }
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  // One client for all calls: it keeps connections open and reuses them (HTTP/1.1 keep-alive).
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final String token;

  /** token: the bearer token to send to every service. */
  RestClient(String token) { this.token = token; }

  <T> T get(String url, Class<T> type) {
    try {
      return parse(http.send(request(url), HttpResponse.BodyHandlers.ofString()), type);
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The same call without blocking: the future completes when the answer is in. */
  <T> CompletableFuture<T> getAsync(String url, Class<T> type) {
    return http.sendAsync(request(url), HttpResponse.BodyHandlers.ofString()).thenApply(r -> parse(r, type));
  }

  private HttpRequest request(String url) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(15))
        .header("Accept", "application/json");
    // TODO 4: send the bearer token in the Authorization header of every request.
    return builder.GET().build();
  }

  // Not private: the tests hand it every status from 100 to 599, even the 1xx that HttpClient keeps to itself.
  static <T> T parse(HttpResponse<String> response, Class<T> type) {
    // TODO 3: turn a non-2xx answer into an HttpError carrying its status and body.
    try {
      T resource = JSON.readValue(response.body(), type);
      // The JSON literal null is no resource either: a null here would be a view with a hole in it.
      if (resource == null) throw new IOException("the body is the JSON null, not " + type.getSimpleName() + " JSON");
      return resource;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + type.getSimpleName() + " from: " + response.body(), e);
    }
  }
}
