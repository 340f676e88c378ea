package workbook.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import workbook.net.Ports;

/**
 * A real Apache Kafka broker (KRaft, one node acting as broker and controller) in a child JVM,
 * started from the Kafka jars on Maven Central. It can be stopped and started again on the same
 * address with its data kept, which is what an outage looks like to a client.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private final String clusterId = Uuid.randomUuid().toString();
  private Process process;
  private OutputStream lifeline;
  private final Thread cleanup = new Thread(this::close, "embedded-kafka-cleanup");

  private EmbeddedKafka() {
    try {
      dir = Files.createTempDirectory("workbook-kafka-");
      // who made it: the workbook's next command removes it if this JVM was killed before its hook ran
      Files.writeString(dir.resolve(".workbook-owner"), String.valueOf(ProcessHandle.current().pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a folder for the embedded broker", e);
    }
    // Outside the ephemeral range: the broker gets the same port back after stop() (BrokerTest and
    // lab 10 restart it), where a server binding port 0 in a test running beside it could take it.
    port = Ports.freeForRestarts();
    controllerPort = Ports.freeForRestarts();
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /** Starts a new broker on a free port of 127.0.0.1 and waits until it answers. */
  public static EmbeddedKafka start() {
    EmbeddedKafka kafka = new EmbeddedKafka();
    try {
      kafka.startAgain();
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /** host:port for bootstrap.servers; the same before and after a restart. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the broker again (after {@link #stop()}) on the same address, with the same data. */
  public synchronized void startAgain() {
    if (isRunning()) return;
    if (Ports.inUse(port)) {
      throw new IllegalStateException("Port " + port + " was taken by another program while the broker was"
          + " stopped: run the test again (it picks a new port).");
    }
    writeProperties();
    launch();
    awaitReady();
  }

  /** Stops the broker the way an operator would (controlled shutdown); data stays on disk. */
  public synchronized void stop() {
    if (process == null) return;
    try {
      lifeline.write(KafkaServerMain.KEEP_DATA); // a stop we asked for: the folder stays, for startAgain() or close()
      lifeline.flush();
    } catch (IOException ignored) {
      // already gone
    }
    try {
      lifeline.close(); // the child sees end-of-file and exits through Kafka's shutdown hook
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Stops the broker and deletes its data. */
  @Override
  public synchronized void close() {
    stop();
    deleteDir();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException alreadyShuttingDown) {
      // called from the hook itself
    }
  }

  private void writeProperties() {
    Properties p = new Properties();
    p.putAll(Map.ofEntries(
        Map.entry("process.roles", "broker,controller"),
        Map.entry("node.id", "1"),
        Map.entry("controller.quorum.voters", "1@127.0.0.1:" + controllerPort),
        Map.entry("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort),
        Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port),
        Map.entry("controller.listener.names", "CONTROLLER"),
        Map.entry("inter.broker.listener.name", "PLAINTEXT"),
        Map.entry("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"),
        Map.entry("log.dirs", dir.resolve("data").toString()),
        // One node cannot hold three replicas: without these, the internal topics are never
        // created, consumer groups never form and poll() waits forever with no error.
        Map.entry("offsets.topic.replication.factor", "1"),
        Map.entry("transaction.state.log.replication.factor", "1"),
        Map.entry("transaction.state.log.min.isr", "1"),
        Map.entry("share.coordinator.state.topic.replication.factor", "1"),
        Map.entry("share.coordinator.state.topic.min.isr", "1"),
        // A handful of partitions for __consumer_offsets instead of 50: groups form faster.
        Map.entry("offsets.topic.num.partitions", "5"),
        // Production waits 3 s for more members before the first rebalance; tests cannot wait.
        Map.entry("group.initial.rebalance.delay.ms", "0"),
        // The log cleaner compacts __consumer_offsets with a 128 MB map by default, held on the heap
        // for the broker's whole life; 4 MB maps 170,000 keys, far more than a lab's groups commit.
        Map.entry("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024)),
        // Writes of the metadata log (a new topic) and of the group coordinator (a join, a commit)
        // wait 25 ms and 5 ms for company before they are flushed; a test's one write cannot wait.
        Map.entry("controller.quorum.append.linger.ms", "0"),
        Map.entry("group.coordinator.append.linger.ms", "0"),
        Map.entry("num.partitions", "1"),
        Map.entry("auto.create.topics.enable", "true"),
        Map.entry("log.segment.bytes", String.valueOf(16 * 1024 * 1024))));
    try (var out = Files.newBufferedWriter(dir.resolve("server.properties"))) {
      p.store(out, "written by workbook.kafka.EmbeddedKafka");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void launch() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java,
        // A small heap, one GC thread and the quick JIT tier: a test broker should start fast
        // and leave memory for the lab's own JVM.
        "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-Dorg.slf4j.simpleLogger.logFile=" + dir.resolve("broker.log"),
        "-cp", System.getProperty("java.class.path"),
        KafkaServerMain.class.getName(), dir.resolve("server.properties").toString(), clusterId));
    try {
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("Could not start a JVM for the embedded Kafka broker: " + e.getMessage(), e);
    }
    lifeline = process.getOutputStream();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    // Wait for the listener first: an admin client asked too early only logs connection errors.
    while (!Ports.inUse(port) && System.nanoTime() < deadline) {
      if (!process.isAlive()) throw startFailure("the broker process exited with code " + process.exitValue());
      sleep(50);
    }
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) throw startFailure("the broker process exited with code " + process.exitValue());
        try {
          if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes()
              .get(3, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception notYet) {
          sleep(100);
        }
      }
    }
    stop();
    throw startFailure("it did not answer within " + START_TIMEOUT.toSeconds() + " s");
  }

  private IllegalStateException startFailure(String why) {
    return new IllegalStateException("The embedded Kafka broker did not start: " + why
        + ". Run `./jbang workbook@. doctor`, or see docs/troubleshooting.md. Last lines of its log:\n"
        + tail(dir.resolve("console.log"), 15) + tail(dir.resolve("broker.log"), 15));
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    } catch (IOException e) {
      return "";
    }
  }

  private void deleteDir() {
    workbook.files.Folders.delete(dir);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The broker's folder (its data and logs): close() deletes it, and so does the broker if its JVM is killed. */
  public Path folder() {
    return dir;
  }

  @Override
  public String toString() {
    return "embedded Apache Kafka (KRaft, one node) at " + bootstrapServers();
  }
}
