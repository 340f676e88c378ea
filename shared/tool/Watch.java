import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import workbook.kafka.Broker;

/**
 * Runs a lab's tests again every time one of its .java files is saved. The broker, when the lab
 * needs one, is started once and kept warm for every run, which is most of an event lab's wait.
 */
final class Watch {
  private final Labs labs;
  private final Labs.Lab lab;

  Watch(Labs labs, Labs.Lab lab) {
    this.labs = labs;
    this.lab = lab;
  }

  int run() {
    Path test = lab.testFile().orElseThrow(() -> new Workbook.UserError("Lab " + lab.number() + " has no test file."));
    Map<String, String> env = lab.usesBroker() ? Map.of("KAFKA_BOOTSTRAP_SERVERS", Broker.bootstrapServers()) : Map.of();
    try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
      lab.dir().register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
      while (true) {
        long t0 = System.nanoTime();
        Labs.Run r = Workbook.runTests(labs, lab, test, List.of(), env, null);
        System.out.printf("%s in %.1f s. Watching labs/%s for changes (Ctrl-C to stop)...%n",
            r.ok() ? "Green" : "Not green yet", (System.nanoTime() - t0) / 1e9, lab.slug());
        awaitJavaChange(watcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not watch " + lab.dir(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  /** Blocks until a .java file changes, then lets the editor finish writing (editors save in bursts). */
  private static void awaitJavaChange(WatchService watcher) throws InterruptedException {
    while (true) {
      WatchKey key = watcher.take();
      boolean java = key.pollEvents().stream().anyMatch(e -> e.context().toString().endsWith(".java"));
      key.reset();
      if (!java) continue;
      TimeUnit.MILLISECONDS.sleep(150);
      WatchKey more;
      while ((more = watcher.poll(150, TimeUnit.MILLISECONDS)) != null) {
        more.pollEvents();
        more.reset();
      }
      return;
    }
  }
}
