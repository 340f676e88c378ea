package workbook.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The room's HTTP side, on the JDK's own server: the intake learners' runs post to, the page the
 * instructor projects, its live updates (server-sent events) and the session as CSV.
 *
 * <pre>
 *   POST /api/report       one run's report (JSON, at most 4 KB): 204, or a 4xx and one sentence
 *   GET  /api/ping?code=C  204 when C is this room's code (join asks it), else 403
 *   GET  /                 the page
 *   GET  /api/state        the room as JSON
 *   GET  /api/events       the same, again on every change (text/event-stream)
 *   GET  /api/session.csv  every accepted report (only from the instructor's own machine)
 * </pre>
 */
public final class RoomServer implements AutoCloseable {
  /** A learner may report this many runs at once, then one a second (watch saves often; a loop must not flood the room). */
  public static final int BURST = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Room room;
  private final String code;
  private volatile String page;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(8, daemon("room-http"));
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("room-events"));
  private final List<OutputStream> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean changed = new AtomicBoolean(true);
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Consumer<String> log;
  private final AtomicInteger logged = new AtomicInteger(), unlogged = new AtomicInteger();

  private static final class Bucket {
    double tokens = BURST;
    long at = System.nanoTime();

    synchronized boolean take() {
      long now = System.nanoTime();
      tokens = Math.min(BURST, tokens + (now - at) / 1e9);
      at = now;
      if (tokens < 1) return false;
      tokens--;
      return true;
    }
  }

  private RoomServer(Room room, String code, String page, InetSocketAddress bind, Consumer<String> log) throws IOException {
    this.room = room;
    this.code = code;
    this.page = page;
    this.log = log;
    server = HttpServer.create(bind, 64);
    server.setExecutor(pool);
    server.createContext("/", this::route);
    ticker.scheduleWithFixedDelay(this::push, 200, 200, TimeUnit.MILLISECONDS);
    ticker.scheduleWithFixedDelay(this::heartbeat, 15, 15, TimeUnit.SECONDS);
    ticker.scheduleWithFixedDelay(() -> {
      int dropped = unlogged.getAndSet(0);
      logged.set(0);
      if (dropped > 0) log.accept("(" + dropped + " more refused reports in the last second, not shown)");
    }, 1, 1, TimeUnit.SECONDS);
    server.start();
  }

  /** Serves the room on bind (port 0 for any free one); the page is the HTML to serve at /. */
  public static RoomServer start(Room room, String code, String page, InetSocketAddress bind, Consumer<String> log) throws IOException {
    return new RoomServer(room, code, page, bind, log);
  }

  public int port() { return server.getAddress().getPort(); }

  /** Replaces the page (the join command names the port, known only once the server has bound it). */
  public void page(String html) { this.page = html; }

  private void route(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    if (path.equals("/api/events")) { // stays open: push() writes to it until the page goes away
      try {
        subscribe(x);
      } catch (IOException gone) {
        x.close();
      }
      return;
    }
    try (x) {
      String method = x.getRequestMethod();
      switch (path) {
        case "/api/report" -> { if (method.equals("POST")) intake(x); else send(x, 405, "text/plain", "POST a report here"); }
        case "/api/ping" -> ping(x);
        case "/", "/index.html" -> send(x, 200, "text/html; charset=utf-8", page);
        case "/api/state" -> send(x, 200, "application/json", JSON.writeValueAsString(room.snapshot()));
        case "/api/session.csv" -> csv(x);
        default -> send(x, 404, "text/plain", "nothing here: the room's page is /");
      }
    } catch (IOException gone) {
      // the client went away mid-answer: nothing to tell it
    }
  }

  private void intake(HttpExchange x) throws IOException {
    String from = x.getRemoteAddress().getAddress().getHostAddress();
    String length = x.getRequestHeaders().getFirst("Content-Length");
    byte[] body;
    try (InputStream in = x.getRequestBody()) {
      if (length != null && length.matches("\\d{1,12}") && Long.parseLong(length) > Report.MAX_BYTES) body = null;
      else body = in.readNBytes(Report.MAX_BYTES + 1);
    }
    try {
      if (body == null || body.length > Report.MAX_BYTES) throw new Report.Refused(413, "a report is at most " + Report.MAX_BYTES + " bytes");
      JsonNode json;
      try {
        json = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new Report.Refused(400, "the report is not JSON");
      }
      Report r = Report.read(json, room.steps());
      if (!r.code().equals(code)) {
        room.wrongCode();
        changed.set(true);
        throw new Report.Refused(403, "wrong room code: join again with the code the instructor shows");
      }
      if (!buckets.computeIfAbsent(r.learner(), k -> new Bucket()).take())
        throw new Report.Refused(429, "too many reports: at most " + BURST + " at once, then one a second");
      room.accept(r);
      changed.set(true);
      x.sendResponseHeaders(204, -1);
    } catch (Report.Refused e) {
      if (e.status != 403) room.refused();
      refuse(x, from, e);
    }
  }

  private void refuse(HttpExchange x, String from, Report.Refused e) throws IOException {
    if (logged.incrementAndGet() <= 10) log.accept("refused " + e.status + " from " + from + ": " + e.getMessage());
    else unlogged.incrementAndGet();
    if (e.status == 429) x.getResponseHeaders().set("Retry-After", "1");
    send(x, e.status, "text/plain; charset=utf-8", e.getMessage());
  }

  private void ping(HttpExchange x) throws IOException {
    String query = x.getRequestURI().getQuery();
    if (query != null && query.equals("code=" + code)) x.sendResponseHeaders(204, -1);
    else send(x, 403, "text/plain; charset=utf-8", "wrong room code: check the code the instructor shows");
  }

  private void csv(HttpExchange x) throws IOException {
    if (!x.getRemoteAddress().getAddress().isLoopbackAddress()) {
      send(x, 403, "text/plain; charset=utf-8", "the session's CSV is for the instructor's own machine only");
      return;
    }
    x.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"room-session.csv\"");
    send(x, 200, "text/csv; charset=utf-8", room.csv());
  }

  private void subscribe(HttpExchange x) throws IOException {
    x.getResponseHeaders().set("Content-Type", "text/event-stream");
    x.getResponseHeaders().set("Cache-Control", "no-store");
    x.sendResponseHeaders(200, 0);
    OutputStream out = x.getResponseBody();
    String first = "data: " + JSON.writeValueAsString(room.snapshot()) + "\n\n";
    synchronized (out) {
      out.write(first.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
    listeners.add(out);
  }

  /** Sends the room to every open page when something changed (at most five times a second). */
  private void push() {
    if (!changed.getAndSet(false) || listeners.isEmpty()) return;
    try {
      write("data: " + JSON.writeValueAsString(room.snapshot()) + "\n\n");
    } catch (JsonProcessingException e) {
      log.accept("could not write the room's state: " + e.getMessage());
    }
  }

  private void heartbeat() {
    write(": still here\n\n"); // keeps proxies and sleeping Wi-Fi from closing an idle stream
  }

  private void write(String event) {
    byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
    for (OutputStream out : listeners) {
      try {
        synchronized (out) {
          out.write(bytes);
          out.flush();
        }
      } catch (IOException gone) {
        listeners.remove(out);
        try {
          out.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }
  }

  private static void send(HttpExchange x, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", type);
    x.getResponseHeaders().set("Cache-Control", "no-store");
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops serving: open pages are closed, the session file is kept. */
  @Override
  public void close() {
    ticker.shutdownNow();
    for (OutputStream out : listeners) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
    server.stop(0);
    pool.shutdownNow();
  }
}
