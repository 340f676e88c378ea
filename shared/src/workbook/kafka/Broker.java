//DEPS org.apache.kafka:kafka-clients:4.1.1
//DEPS org.apache.kafka:kafka_2.13:4.1.1
//DEPS org.testcontainers:testcontainers-redpanda:2.0.5
//SOURCES ../log/*.java ../net/*.java ../story/*.java
package workbook.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place that decides where Kafka is, for every lab and tool:
 * 1. KAFKA_BOOTSTRAP_SERVERS (or -Dkafka.bootstrap.servers) set: that cluster (docker-compose's Redpanda, or any real one).
 * 2. Else Docker answers: Redpanda in a container, through Testcontainers.
 * 3. Else: a real Apache Kafka broker (KRaft) from the Kafka jars, in a child JVM.
 * WORKBOOK_BROKER=embedded|redpanda forces 2 or 3. It prints its choice in one line.
 */
public final class Broker {
  private static String bootstrapServers;

  private Broker() {}

  /** bootstrap.servers for this JVM's broker, started on first use and stopped at exit. */
  public static synchronized String bootstrapServers() {
    if (bootstrapServers == null) bootstrapServers = choose();
    return bootstrapServers;
  }

  /**
   * A broker of your own that you can stop and start again on the same address (an outage),
   * always the embedded one: an external cluster cannot be stopped by a test. Close it after.
   */
  public static EmbeddedKafka startOwn() {
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start();
    say(kafka + ", started in " + seconds(t0));
    return kafka;
  }

  private static String choose() {
    // The system property is how the workbook's warm watch hands its broker to each run.
    String external = System.getProperty("kafka.bootstrap.servers", System.getenv("KAFKA_BOOTSTRAP_SERVERS"));
    if (external != null && !external.isBlank()) {
      say("the cluster in KAFKA_BOOTSTRAP_SERVERS at " + external);
      return external;
    }
    String forced = System.getenv().getOrDefault("WORKBOOK_BROKER", "").toLowerCase(Locale.ROOT);
    if (forced.equals("redpanda") || (forced.isEmpty() && dockerLikely() && Redpanda.dockerAnswers())) {
      return Redpanda.start();
    }
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start();
    say(kafka + ", started in " + seconds(t0) + " (no Docker; set KAFKA_BOOTSTRAP_SERVERS to use another)");
    return kafka.bootstrapServers();
  }

  /** A cheap look for a Docker engine, before asking Testcontainers, which takes seconds to say no. */
  public static boolean dockerLikely() {
    if (System.getenv("DOCKER_HOST") != null) return true;
    String home = System.getProperty("user.home");
    return Files.exists(Path.of("/var/run/docker.sock"))
        || Files.exists(Path.of(home, ".docker", "run", "docker.sock"))
        || Files.exists(Path.of(home, ".colima", "default", "docker.sock"))
        || System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("win");
  }

  static void say(String line) {
    System.err.println("[broker] " + line);
  }

  private static String seconds(long t0) {
    return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
  }
}
