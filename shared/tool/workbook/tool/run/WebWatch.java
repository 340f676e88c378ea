package workbook.tool.run;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The run's story page, found without looking: {@link #page} is where the test launcher draws a
 * lab's last run (.workbook/story/NN.html), {@link #tellIfDrawn} names it after a red run, and
 * {@code watch NN --web} serves it on 127.0.0.1, telling the open page to reload (Server-Sent
 * Events) each time a run writes it again.
 */
public final class WebWatch implements AutoCloseable {
  private final Path page;
  private final HttpServer server;
  private final ExecutorService pool;
  private final List<OutputStream> listeners = new CopyOnWriteArrayList<>();
  private final Thread watcher;
  private volatile boolean closed;

  /** The page the launcher writes for a lab's runs (see LabTests.pageFile). */
  static Path page(Path root, String labNumber) {
    return root.resolve(".workbook/story/" + labNumber + ".html");
  }

  /** After a red run: one line naming the page, if this run wrote it. */
  static void tellIfDrawn(Path root, String labNumber, long runStartedMillis) {
    Path page = page(root, labNumber);
    try {
      if (Files.exists(page) && Files.getLastModifiedTime(page).toMillis() >= runStartedMillis - 1000) {
        System.out.println("What happened, drawn as a diagram: " + page.toUri());
      }
    } catch (IOException ignored) {
      // no page, nothing to say
    }
  }

    /** Serves {@code page} at http://127.0.0.1:port/ (0: a free port) until closed. */
  public static WebWatch serve(Path page, int port) throws IOException {
    return new WebWatch(page, port);
  }

  private WebWatch(Path page, int port) throws IOException {
    this.page = page;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "web-watch");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    server.createContext("/", this::page);
    server.createContext("/events", this::events);
    server.start();
    watcher = new Thread(this::watchPage, "web-watch-page");
    watcher.setDaemon(true);
    watcher.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  private void page(HttpExchange x) throws IOException {
    try (x) {
      byte[] body = Files.exists(page) ? Files.readAllBytes(page)
          : ("<!DOCTYPE html><meta charset=\"utf-8\"><title>No run yet</title><p>No run has drawn this page yet: it"
              + " appears after the first run.</p><script>new EventSource('/events').onmessage=function(){location.reload();};"
              + "</script>").getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      x.getResponseHeaders().set("Cache-Control", "no-store");
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
    }
  }

  /** An event stream: one "data: reload" message each time the page is written again. */
  private void events(HttpExchange x) throws IOException {
    x.getResponseHeaders().set("Content-Type", "text/event-stream");
    x.getResponseHeaders().set("Cache-Control", "no-store");
    x.sendResponseHeaders(200, 0);
    OutputStream out = x.getResponseBody();
    out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
    listeners.add(out); // kept open; closed when the browser leaves (a failed write) or we close
  }

  /** Polls the page's time stamp (bounded, 4 times a second): simpler than a file watch, and enough. */
  private void watchPage() {
    FileTime last = stamp();
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
      FileTime now = stamp();
      if (now != null && !now.equals(last)) {
        last = now;
        tellListeners("data: reload\n\n");
      }
    }
  }

  private FileTime stamp() {
    try {
      return Files.exists(page) ? Files.getLastModifiedTime(page) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private void tellListeners(String message) {
    for (OutputStream out : listeners) {
      try {
        out.write(message.getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException gone) {
        listeners.remove(out);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    watcher.interrupt();
    for (OutputStream out : listeners) {
      try {
        out.close();
      } catch (IOException ignored) {
        // the browser left already
      }
    }
    server.stop(0);
    pool.shutdownNow();
  }
}
