//DEPS io.javalin:javalin:7.2.3
//SOURCES ../log/*.java ../story/*.java ../json/*.java
package workbook.rest;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.util.AsyncExecutor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import kotlin.LazyKt;

/**
 * Javalin servers the way every lab wants them: bound to 127.0.0.1, quiet, and quick to stop.
 * Tests start them on port 0 and read {@code app.port()}; demos pass a fixed port.
 */
public final class Rest {
  private Rest() {}

  /** Starts a server on 127.0.0.1:port (0 picks a free port) with the given routes. */
  public static Javalin start(int port, Consumer<JavalinConfig> config) {
    // Javalin runs async work (Server-Sent Events streams among it) on a pool whose idle threads
    // would keep a demo's JVM alive for a minute after stop(): each server gets its own pool of
    // daemon threads instead, shut down with the server.
    ExecutorService async = Executors.newCachedThreadPool(runnable -> {
      Thread t = new Thread(runnable, "javalin-async");
      t.setDaemon(true);
      return t;
    });
    Javalin app = Javalin.create(cfg -> {
      // Without this, a short-lived program waits 5 s for Javalin's startup watcher to give up.
      cfg.startup.startupWatcherEnabled = false;
      cfg.startup.showJavalinBanner = false;
      cfg.concurrency.executor = LazyKt.lazyOf(new AsyncExecutor(async));
      cfg.events.serverStopped(async::shutdownNow);
      config.accept(cfg);
    });
    return app.start("127.0.0.1", port);
  }

  /** Starts a server on a free port of 127.0.0.1. */
  public static Javalin start(Consumer<JavalinConfig> config) {
    return start(0, config);
  }

  /** The base URL of a started server, e.g. {@code http://127.0.0.1:40123}. */
  public static String url(Javalin app) {
    return "http://127.0.0.1:" + app.port();
  }
}
