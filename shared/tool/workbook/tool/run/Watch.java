//SOURCES ../../../../src/workbook/kafka/*.java

package workbook.tool.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import workbook.kafka.Broker;
import workbook.tool.base.UserError;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/**
 * Runs a lab's tests again every time one of its .java files is saved, in one warm JVM: the
 * compiler, the libraries and the broker (when the lab needs one) are loaded once, and each run
 * compiles the lab and runs its tests in a fresh class loader (see WarmRunner). That JVM is the
 * warm runner behind test (Daemon), so the two share one broker; with it off, this one.
 */
public final class Watch {
  private final Labs labs;
  private final Labs.Lab lab;
  private final int webPort;

  /** webPort: -1 serves nothing; 0 or a port serves each run's story page there (watch --web). */
  public Watch(Labs labs, Labs.Lab lab, int webPort) {
    this.labs = labs;
    this.lab = lab;
    this.webPort = webPort;
  }

  /** Set while a run is under way in the warm runner: Ctrl-C then says the run is not recorded. */
  private volatile boolean inFlight;
  /** The runs go to the warm runner, which says itself where a red run's story is drawn. */
  private boolean viaDaemon;

  public int run() {
    Path test = lab.testFile().orElseThrow(() -> new UserError("Lab " + lab.number() + " has no test file."));
    System.out.println("Getting lab " + lab.number() + " ready to watch...");
    BooleanSupplier once = Daemon.enabled() ? throughDaemon(test) : alone(test);
    try (WatchService watcher = FileSystems.getDefault().newWatchService();
        WebWatch web = webPort < 0 ? null : WebWatch.serve(WebWatch.page(labs.root, lab.number()), webPort)) {
      if (web != null) System.out.println("Each run's story, drawn: " + web.url() + " (the page reloads after every run)");
      lab.dir().register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
      while (true) {
        long t0 = System.nanoTime();
        long started = System.currentTimeMillis();
        boolean green = once.getAsBoolean();
        if (!green && web == null && !viaDaemon) WebWatch.tellIfDrawn(labs.root, lab.number(), started);
        System.out.printf(Locale.ROOT, "%s in %.1f s. Watching labs/%s for changes (Ctrl-C to stop)...%n",
            green ? "Green" : "Not green yet", (System.nanoTime() - t0) / 1e9, lab.slug());
        awaitJavaChange(watcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not watch " + lab.dir(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  /**
   * Each run goes to the workbook's warm runner (the one behind test, started if need be): one JVM
   * and one broker for test and watch, where a watch of its own started a second broker beside it.
   */
  private BooleanSupplier throughDaemon(Path test) {
    Optional<String[]> daemon = Daemon.ensureRunning(labs);
    if (daemon.isEmpty()) {
      System.out.println("(The warm runner did not answer: this watch runs the tests itself.)");
      return alone(test);
    }
    viaDaemon = true;
    System.out.println("(Each run goes to the warm runner, process " + daemon.get()[2] + ": test and watch share one JVM"
        + (lab.usesBroker() ? " and one broker" : "") + ".)");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // The warm runner sees this end of the socket close and does not record the run.
      if (inFlight) System.out.println(Results.INTERRUPTED.formatted(lab.number()));
    }, "watch-interrupted"));
    List<String> request = List.of("test", lab.number());
    return () -> {
      inFlight = true;
      try {
        OptionalInt exit = Daemon.request(labs.root, request, System.out::println);
        // It had stopped (idle for long, or the workbook's code changed): a new one, asked once more.
        if (exit.isEmpty() && Daemon.ensureRunning(labs).isPresent()) exit = Daemon.request(labs.root, request, System.out::println);
        if (exit.isPresent()) return exit.getAsInt() == 0;
        return LabRun.test(labs, lab.number(), List.of(), LabRun::jbangRun) == 0; // through JBang, as without it
      } finally {
        inFlight = false;
      }
    };
  }

  /** This JVM runs the tests itself (WORKBOOK_DAEMON=off, CI): its own warm runner and, if needed, broker. */
  private BooleanSupplier alone(Path test) {
    RoomReport.longLived = true; // this JVM runs every save's tests: a slow report may finish behind a run
    Map<String, String> env = Map.of();
    if (lab.usesBroker()) {
      String servers = Broker.bootstrapServers();
      env = Map.of("KAFKA_BOOTSTRAP_SERVERS", servers);
      System.setProperty("kafka.bootstrap.servers", servers); // for the warm runs in this JVM
    }
    Optional<WarmRunner> warm = WarmRunner.prepare(labs.root, test);
    if (warm.isEmpty()) System.out.println("(Running each time through JBang: slower, but the same tests.)");
    Map<String, String> brokerEnv = env;
    return () -> {
      try {
        return warm.isPresent() ? warmRun(warm.get()) : LabRun.runTests(labs, lab, test, List.of(), brokerEnv, null).ok();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  /**
   * One warm run, recorded only when complete (Ctrl-C in the middle keeps the last result); a run
   * that does not compile is recorded as red, so list never shows an old green.
   */
  private boolean warmRun(WarmRunner warm) throws IOException {
    long started = System.currentTimeMillis();
    boolean green;
    try (Results.Pending pending = new Results.Pending(Results.file(labs.root, lab), lab.number())) {
      green = warm.run(pending.file);
      if (!java.nio.file.Files.exists(pending.file)) Results.markUnfinished(pending.file, false);
      pending.commit(false);
    }
    RoomReport.after(labs, lab, (System.currentTimeMillis() - started) / 1000.0); // only in a workbook that joined a room
    return green;
  }

  /**
   * Blocks until a .java file changes, then lets the editor finish writing: editors save in
   * bursts (a temporary file, a rename, a second file) a few milliseconds apart, so 60 ms with no
   * further change ends the burst without making the learner wait.
   */
  private static void awaitJavaChange(WatchService watcher) throws InterruptedException {
    while (true) {
      WatchKey key = watcher.take();
      boolean java = key.pollEvents().stream().anyMatch(e -> e.context().toString().endsWith(".java"));
      key.reset();
      if (!java) continue;
      WatchKey more;
      while ((more = watcher.poll(60, TimeUnit.MILLISECONDS)) != null) {
        more.pollEvents();
        more.reset();
      }
      return;
    }
  }
}
