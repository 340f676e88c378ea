package workbook.rest;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import workbook.story.Story;

/**
 * A stand-in for another team's service: real HTTP on 127.0.0.1, a latency you choose (the
 * network plus their work), a switch that takes it down (503), and a count of the requests it
 * served, so a test can see round-trips instead of guessing them.
 */
public final class SimulatedService implements AutoCloseable {
  private final String name;
  private final AtomicReference<Duration> latency;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile boolean down;
  private final Javalin app;

  private SimulatedService(String name, Duration latency, int port, Consumer<JavalinConfig> routes) {
    this.name = name;
    this.latency = new AtomicReference<>(latency);
    this.app = Rest.start(port, cfg -> {
      // Jetty's default pool is plenty; concurrent calls each get their own thread.
      cfg.routes.before(ctx -> {
        int n = requests.incrementAndGet();
        String correlation = correlation(ctx.headerMap());
        Story.entry(Story.Kind.CALL, "client").peer(name).eventType(ctx.method() + " " + ctx.path())
            .correlationId(correlation).line(name + " <- " + ctx.method() + " " + ctx.path() + " (request #" + n + ")").add();
        sleep(this.latency.get());
        if (down) {
          ctx.status(503).result(name + " is down");
          answered(ctx.path(), 503, correlation); // the after-handler is skipped with the rest
          ctx.skipRemainingHandlers();
        }
      });
      // The answer, drawn in the run's diagram (no text line: the request line above says enough).
      cfg.routes.after(ctx -> answered(ctx.path(), ctx.statusCode(), correlation(ctx.headerMap())));
      routes.accept(cfg);
    });
  }

  /** Starts a service on a free port that answers with {@code routes} after {@code latency}. */
  public static SimulatedService start(String name, Duration latency, Consumer<JavalinConfig> routes) {
    return new SimulatedService(name, latency, 0, routes);
  }

  /** The same on a fixed port, for demos. */
  public static SimulatedService start(String name, Duration latency, int port, Consumer<JavalinConfig> routes) {
    return new SimulatedService(name, latency, port, routes);
  }

  public String name() { return name; }

  public String url() { return Rest.url(app); }

  public int port() { return app.port(); }

  /** How many requests reached this service so far (including ones answered 503). */
  public int requests() { return requests.get(); }

  public void resetCount() { requests.set(0); }

  public void latency(Duration latency) { this.latency.set(latency); }

  /** Takes the service down (every request gets 503 after the latency) or brings it back. */
  public void down(boolean down) { this.down = down; }

  @Override
  public void close() { app.stop(); }

  private void answered(String path, int status, String correlation) {
    Story.entry(Story.Kind.ANSWER, name).peer("client").eventType(status + " " + path).correlationId(correlation)
        .failed(status >= 500).add();
  }

  private static String correlation(java.util.Map<String, String> headers) {
    for (var h : headers.entrySet()) {
      if (h.getKey().toLowerCase(java.util.Locale.ROOT).contains("correlation")) return h.getValue();
    }
    return null;
  }

  private static void sleep(Duration d) {
    if (d.isZero() || d.isNegative()) return;
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
