///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/room/*.java ../src/workbook/browser/*.java

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import workbook.browser.Browser;
import workbook.room.Report;
import workbook.room.Room;
import workbook.room.RoomPage;
import workbook.room.RoomServer;

/**
 * The room's intake under a workshop's load, on loopback: N simulated learners (default 100) each
 * report a run every 1 to 3 s (a learner in watch saving often) for S seconds (default 60), with
 * the page open on the live stream. A benchmark, not a test: it reports reports per second held,
 * the latency of a report (median, p99, worst), how many were lost (anything but 204), and the
 * room's heap with every learner in it. Where Chromium is found, the page itself is open too, at a
 * projector's 1920 x 1080, and the time it takes to redraw the whole grid is reported with it.
 *
 *   jbang shared/bench/RoomLoad.java [LEARNERS] [SECONDS]
 */
public class RoomLoad {
  public static void main(String[] args) throws Exception {
    int learners = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    List<Room.Lab> labs = new ArrayList<>();
    int[] steps = {4, 5, 4, 5, 5, 5, 5, 4, 2, 3, 3, 4, 2, 4, 3, 5};
    for (int i = 0; i < steps.length; i++) labs.add(new Room.Lab(String.format("%02d", i + 1), "lab " + (i + 1), steps[i]));
    Path dir = Files.createTempDirectory("workbook-room-load-");
    Room room = new Room(labs, dir.resolve("session.jsonl"), learners, System::currentTimeMillis);
    RoomServer server = RoomServer.start(room, "LOAD-0000", RoomPage.html("join", 10),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), line -> {});
    String base = "http://127.0.0.1:" + server.port();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    AtomicInteger events = new AtomicInteger();
    Thread page = new Thread(() -> { // the instructor's page, reading the live stream
      try (InputStream in = http.send(HttpRequest.newBuilder(URI.create(base + "/api/events")).build(),
          HttpResponse.BodyHandlers.ofInputStream()).body()) {
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) > 0; ) for (int i = 0; i < n; i++) if (buf[i] == '\n') events.incrementAndGet();
      } catch (Exception closed) {
        // the benchmark is over
      }
    });
    page.setDaemon(true);
    page.start();
    Browser browser = Browser.find().map(chromium -> {
      try {
        Browser b = Browser.start(chromium, 1920, 1080);
        b.open(base + "/");
        for (int tries = 0; tries < 100 && !b.evaluate("typeof draw === 'function'").asBoolean(false); tries++) Thread.sleep(50);
        // Time every redraw of the grid: draw() is the page's one function that builds it.
        b.evaluate("window.draws = []; { const whole = draw; draw = function () { const t = performance.now(); whole();"
            + " draws.push(performance.now() - t); }; } true");
        return b;
      } catch (Exception e) {
        System.out.println("Chromium did not start (" + e.getMessage() + "): the page's figures are left out");
        return null;
      }
    }).orElse(null);

    ObjectMapper json = new ObjectMapper();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger sent = new AtomicInteger(), lost = new AtomicInteger();
    ScheduledExecutorService runs = Executors.newScheduledThreadPool(8);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (int i = 0; i < learners; i++) {
      String id = String.format("learner-%06d", i);
      Random random = new Random(i);
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        if (System.nanoTime() > end) return;
        int lab = 1 + random.nextInt(16);
        int step = 1 + random.nextInt(steps[lab - 1]);
        String body = new Report("LOAD-0000", id, "Learner " + i(id), String.format("%02d", lab), step, random.nextInt(5) == 0,
            "a test of step " + step, "TODO " + step + ": expected something, got something else", 1.2, "bench")
            .toJson(json.createObjectNode()).toString();
        long t0 = System.nanoTime();
        sent.incrementAndGet();
        http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/report")).timeout(Duration.ofSeconds(1))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding())
            .whenComplete((r, e) -> {
              latencies.add(System.nanoTime() - t0);
              if (e != null || r.statusCode() != 204) lost.incrementAndGet();
              runs.schedule(next[0], 1000 + random.nextInt(2000), TimeUnit.MILLISECONDS);
            });
      };
      runs.schedule(next[0], random.nextInt(1000), TimeUnit.MILLISECONDS);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) + 1500);
    runs.shutdownNow();
    System.gc();
    long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024);
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    System.out.printf("Machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    System.out.printf("%d learners for %d s, the page open on the live stream (%d lines of events read)%n", learners, seconds, events.get());
    System.out.printf("reports: %d sent, %.1f per second held, %d lost (not 204)%n", sent.get(), sent.get() / (double) seconds, lost.get());
    System.out.printf("latency of a report: median %.1f ms, p99 %.1f ms, worst %.1f ms%n", ms(sorted, 0.5), ms(sorted, 0.99),
        sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e6);
    System.out.printf("heap after a GC, with %d learners in the room (this JVM, the load's clients included): %d MB%n", room.size(), heap);
    if (browser != null) {
      Thread.sleep(500); // the last push (every 200 ms) reaches the page
      var draws = browser.evaluate("draws.slice().sort((a, b) => a - b)");
      int n = draws.size();
      System.out.printf("the page at 1920 x 1080: %d redraws of the whole grid (%d rows), median %.1f ms, p99 %.1f ms, worst %.1f ms%n", n,
          browser.evaluate("document.querySelectorAll('#grid tbody tr').length").asInt(),
          n == 0 ? 0 : draws.get(n / 2).asDouble(), n == 0 ? 0 : draws.get(Math.max(0, (int) Math.ceil(0.99 * n) - 1)).asDouble(),
          n == 0 ? 0 : draws.get(n - 1).asDouble());
      browser.close();
    }
    server.close();
    room.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    System.exit(0);
  }

  private static String i(String id) { return id.substring(id.length() - 3); }

  private static double ms(List<Long> sorted, double q) {
    if (sorted.isEmpty()) return 0;
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1e6;
  }
}
