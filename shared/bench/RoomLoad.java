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
import workbook.room.Workshop;

/**
 * The room's intake under a workshop's load, on loopback: N simulated learners (default 100) each
 * report a run every 1 to 3 s (a learner in watch saving often) for S seconds (default 60), with
 * the page open on the live stream. A benchmark, not a test: it reports reports per second held,
 * the latency of a report (median, p99, worst), how many were lost (anything but 204), and the
 * room's heap with every learner in it. Where Chromium is found, the page itself is open too, at a
 * projector's 1920 x 1080, and the time it takes to redraw the whole grid is reported with it.
 *
 *   jbang shared/bench/RoomLoad.java [LEARNERS] [SECONDS]      (from the workbook's root)
 */
public class RoomLoad {
  public static void main(String[] args) throws Exception {
    int learners = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    List<Room.Lab> labs = new ArrayList<>(); // the workbook's own labs and their steps, as `room` reads them
    try (var dirs = Files.list(Path.of("labs"))) {
      for (Path d : dirs.filter(Files::isDirectory).sorted().toList())
        labs.add(new Room.Lab(d.getFileName().toString().substring(0, 2), d.getFileName().toString(),
            (int) Files.readAllLines(d.resolve("README.md")).stream().filter(l -> l.matches("## Step \\d+\\b.*")).count()));
    }
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

    Workshop.Result load = Workshop.run(URI.create(base), "LOAD-0000", labs, learners, Duration.ofSeconds(seconds), Duration.ofSeconds(1));
    Thread.sleep(500); // the last push (every 200 ms) reaches the page
    System.gc();
    long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024);
    System.out.printf("Machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    System.out.printf("%d learners for %d s, the page open on the live stream (%d lines of events read)%n", learners, seconds, events.get());
    System.out.printf("reports: %d sent, %.1f per second held, %d lost (not 204 within 1 s)%n", load.sent(), load.sent() / (double) seconds, load.lost());
    System.out.printf("latency of a report: median %.1f ms, p99 %.1f ms, worst %.1f ms%n", load.ms(0.5), load.ms(0.99), load.ms(1));
    System.out.printf("heap after a GC, with %d learners in the room (this JVM, the load's clients included): %d MB%n", room.size(), heap);
    if (browser != null) {
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

}
