package workbook.test;

import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * An HttpClient a test puts where a learner's code keeps its own, to answer requests without a
 * network: a subclass says how it answers (send and sendAsync); the rest is a plain HTTP/1.1
 * client with no cookies, proxy, authenticator, TLS, redirects or executor of its own.
 */
public abstract class StandInHttpClient extends HttpClient {
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> push) {
    return sendAsync(request, handler);
  }

  @Override public Optional<CookieHandler> cookieHandler() { return Optional.empty(); }
  @Override public Optional<Duration> connectTimeout() { return Optional.empty(); }
  @Override public Redirect followRedirects() { return Redirect.NEVER; }
  @Override public Optional<ProxySelector> proxy() { return Optional.empty(); }
  @Override public SSLContext sslContext() { return null; }
  @Override public SSLParameters sslParameters() { return null; }
  @Override public Optional<Authenticator> authenticator() { return Optional.empty(); }
  @Override public Version version() { return Version.HTTP_1_1; }
  @Override public Optional<Executor> executor() { return Optional.empty(); }
}
