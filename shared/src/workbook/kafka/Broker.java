//DEPS org.apache.kafka:kafka-clients:4.1.1
//DEPS org.apache.kafka:kafka_2.13:4.1.1
//SOURCES ../log/*.java ../net/*.java ../story/*.java ../files/*.java
package workbook.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import workbook.log.Logging;

/**
 * The one place that decides where Kafka is, for every lab and tool:
 * 1. KAFKA_BOOTSTRAP_SERVERS (or -Dkafka.bootstrap.servers) set: that cluster, checked to answer.
 * 2. Otherwise the embedded Apache Kafka broker (KRaft) from the Kafka jars, in a child JVM: the
 *    default, the broker CI runs every lab against.
 * 3. WORKBOOK_BROKER=redpanda: Redpanda in Docker through Testcontainers, if Docker has its
 *    images; if anything about Docker fails, one line says what and (2) starts instead.
 * It prints its choice and the reason in one line, "[broker] ...", which doctor repeats.
 */
public final class Broker {
  /** The values of WORKBOOK_BROKER (empty means the first). */
  public static final List<String> CHOICES = List.of("embedded", "redpanda");
  /** How long an external cluster gets to answer before a lab stops with a sentence. */
  static final Duration EXTERNAL_ANSWER = Duration.ofSeconds(10); // a loaded laptop (or CI) can take 6 s for the first answer

  private static String bootstrapServers;
  private static String picked;
  private static BrokerProblem problem;

  private Broker() {}

  /**
   * bootstrap.servers for this JVM's broker, started on first use and stopped at exit. Throws a
   * {@link BrokerProblem} (one sentence, no stack) when the settings are wrong, at every call.
   */
  public static synchronized String bootstrapServers() {
    if (problem != null) throw problem;
    if (bootstrapServers == null) {
      try {
        bootstrapServers = choose();
      } catch (BrokerProblem p) {
        problem = p;
        say(p.getMessage());
        throw p;
      }
    }
    return bootstrapServers;
  }

  /** The broker this JVM uses and why: the text of the "[broker]" line. Starts it if needed. */
  public static synchronized String picked() {
    bootstrapServers();
    return picked;
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
    String choice = choice(System.getenv("WORKBOOK_BROKER"));
    // The system property is how the workbook's warm watch hands its broker to each run.
    String property = System.getProperty("kafka.bootstrap.servers");
    String env = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    String external = property != null && !property.isBlank() ? property : env;
    if (external != null && !external.isBlank()) {
      String variable = property != null && !property.isBlank() ? "-Dkafka.bootstrap.servers" : "KAFKA_BOOTSTRAP_SERVERS";
      long t0 = System.nanoTime();
      requireAnswer(external.strip(), variable, EXTERNAL_ANSWER);
      return pick(external.strip(), "the cluster in " + variable + " at " + external.strip() + ", answered in " + seconds(t0)
          + (choice.equals("redpanda") ? " (it comes before WORKBOOK_BROKER=redpanda)" : ""));
    }
    if (choice.equals("redpanda")) {
      long t0 = System.nanoTime();
      Optional<Docker> docker = Docker.find();
      Optional<String> why = Redpanda.cannotStart(docker);
      if (why.isEmpty()) {
        try {
          Redpanda.Started started = Redpanda.start();
          return pick(started.bootstrapServers(), started.line() + " (WORKBOOK_BROKER=redpanda)");
        } catch (Docker.Failure f) {
          why = Optional.of(f.getMessage());
        }
      }
      say("Redpanda not used (checked in " + seconds(t0) + "): " + why.get() + ". The embedded Apache Kafka starts instead"
          + " (WORKBOOK_BROKER=embedded or unset chooses it directly; docs/brokers.md).");
      return embedded("instead of Redpanda, which could not start: see the line above");
    }
    return embedded(choice.isEmpty() ? "the default; WORKBOOK_BROKER=redpanda or KAFKA_BOOTSTRAP_SERVERS choose another, see docs/brokers.md"
        : "WORKBOOK_BROKER=embedded");
  }

  private static String embedded(String why) {
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start();
    return pick(kafka.bootstrapServers(), kafka + ", started in " + seconds(t0) + " (" + why + ")");
  }

  private static String pick(String servers, String line) {
    picked = line;
    say(line);
    return servers;
  }

  /**
   * WORKBOOK_BROKER's value as one of {@link #CHOICES} ("" when unset); a {@link BrokerProblem}
   * listing the valid values for anything else.
   */
  public static String choice(String value) {
    String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    if (v.isEmpty() || CHOICES.contains(v)) return v;
    throw new BrokerProblem("WORKBOOK_BROKER is '" + value + "', which is not a broker the workbook knows: set it to "
        + String.join(" or ", CHOICES) + ", or unset it for the default (embedded); docs/brokers.md explains each.");
  }

  /**
   * Checks that a Kafka broker answers at {@code servers} (it lists the cluster's nodes), or
   * throws a {@link BrokerProblem} that names {@code variable} and says what to do.
   */
  public static void requireAnswer(String servers, String variable, Duration within) {
    String fix = ": start that broker (for docker-compose.yml's Redpanda: docker compose up -d), or unset " + variable
        + " so the labs start their own.";
    Admin admin;
    try {
      admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(within.toMillis(), 5_000),
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) within.toMillis()));
    } catch (KafkaException e) {
      throw new BrokerProblem(variable + " is '" + servers + "', which is not a list of host:port this machine can resolve"
          + " (" + e.getMessage() + ")" + fix);
    }
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) within.toMillis())).nodes()
          .get(within.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new BrokerProblem(variable + " is '" + servers + "', but no Kafka broker answered there within "
          + within.toSeconds() + " s" + fix);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerProblem("Interrupted while checking the broker in " + variable);
    } finally {
      admin.close(Duration.ofSeconds(1));
    }
  }

  static void say(String line) {
    System.err.println("[broker] " + line);
  }

  private static String seconds(long t0) {
    return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
  }

  static {
    // Before any Testcontainers class can load (only WORKBOOK_BROKER=redpanda loads it).
    Logging.quietDocker();
  }
}
