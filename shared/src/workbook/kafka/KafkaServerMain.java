package workbook.kafka;

import java.io.IOException;
import org.apache.kafka.common.utils.Exit;

/**
 * The main of the embedded broker's child JVM: formats the KRaft storage (once), then starts
 * Apache Kafka through its own public entry points, exactly as the distribution's
 * kafka-storage.sh and kafka-server-start.sh do. Arguments: the properties file, the cluster id.
 */
public final class KafkaServerMain {
  private KafkaServerMain() {}

  /** What the parent writes on the lifeline before closing it when it stops the broker itself: keep the folder. */
  static final int KEEP_DATA = 'k';

  public static void main(String[] args) throws Exception {
    String properties = args[0];
    String clusterId = args[1];
    exitWhenParentGoes(java.nio.file.Path.of(properties).toAbsolutePath().getParent());
    format(properties, clusterId);
    kafka.Kafka.main(new String[] {properties});
  }

  /**
   * The parent holds our standard input open for as long as it wants the broker. When it closes
   * it, or dies without a chance to clean up, we read end-of-file and shut down: no orphans. A
   * parent that stops us says so first ({@link #KEEP_DATA}) and deletes the folder itself when it
   * is done with it; a parent that was killed (a run stopped at once, a closed terminal) said
   * nothing, and nobody else will delete the broker's folder: we take it with us.
   */
  private static void exitWhenParentGoes(java.nio.file.Path folder) {
    Thread watcher = new Thread(() -> {
      boolean keep = false;
      try {
        for (int b; (b = System.in.read()) != -1; ) keep |= b == KEEP_DATA;
      } catch (IOException ignored) {
        // a broken pipe means the same thing as EOF
      }
      if (!keep) {
        workbook.files.Folders.delete(folder);
        Runtime.getRuntime().halt(0); // nobody is left to read a controlled shutdown's logs
      }
      System.exit(0); // runs Kafka's shutdown hook: a controlled shutdown, logs flushed
    }, "parent-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** kafka-storage format --ignore-formatted: a restart on the same folder keeps the data. */
  private static void format(String properties, String clusterId) {
    // StorageTool.main ends with Exit.exit(code); turn that into an exception we can read.
    Exit.setExitProcedure((code, message) -> { throw new FormatDone(code); });
    try {
      kafka.tools.StorageTool.main(new String[] {
          "format", "--cluster-id", clusterId, "--config", properties, "--ignore-formatted"});
    } catch (FormatDone done) {
      if (done.code != 0) {
        System.err.println("kafka-storage format failed with exit code " + done.code);
        Runtime.getRuntime().halt(done.code);
      }
    } finally {
      Exit.resetExitProcedure();
    }
  }

  private static final class FormatDone extends RuntimeException {
    final int code;

    FormatDone(int code) {
      super(null, null, false, false);
      this.code = code;
    }
  }
}
