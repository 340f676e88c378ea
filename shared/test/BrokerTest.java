///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/kafka/*.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.kafka.Broker;
import workbook.kafka.EmbeddedKafka;

/** The workbook's own check that the broker every event lab stands on really works. */
@DisplayName("Workbook: the broker")
@Timeout(120)
class BrokerTest {
  public static void main(String[] args) { workbook.test.LabTests.run(BrokerTest.class, args); }

  @Test
  @DisplayName("a record produced is consumed by a new consumer group within seconds")
  void roundTrip() throws Exception {
    String servers = Broker.bootstrapServers();
    String topic = "roundtrip-" + UUID.randomUUID();
    send(servers, topic, "order-1", "confirmed");
    long t0 = System.nanoTime();
    List<String> got = readAll(servers, topic, 1, Duration.ofSeconds(30));
    assertThat(got).as("the record sent to %s", topic).containsExactly("order-1=confirmed");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time for the group to form and read")
        .isLessThan(Duration.ofSeconds(15));
  }

  @Test
  @DisplayName("a run killed at once (no shutdown hook runs) leaves neither its broker nor the broker's folder behind")
  void killedRunLeavesNothing() throws Exception {
    List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), StartsABroker.class.getName());
    Process run = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(run.getInputStream()))) {
      String line;
      java.nio.file.Path folder = null;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("folder ")) { folder = java.nio.file.Path.of(line.substring(7)); break; }
      }
      assertThat(folder).as("the folder the run's broker printed").isNotNull();
      assertThat(folder).as("the broker's folder while the run is alive").exists();
      List<ProcessHandle> broker = run.descendants().toList();
      run.destroyForcibly().waitFor(); // SIGKILL on Unix: no shutdown hook, no close()
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while ((java.nio.file.Files.exists(folder) || broker.stream().anyMatch(ProcessHandle::isAlive)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(broker.stream().filter(ProcessHandle::isAlive).toList()).as("the broker's JVM, 20 s after its run was killed").isEmpty();
      assertThat(folder).as("the broker's folder, 20 s after its run was killed").doesNotExist();
    } finally {
      run.destroyForcibly();
    }
  }

  /** A run that starts a broker, says where its folder is, and waits to be killed. */
  public static final class StartsABroker {
    public static void main(String[] args) throws Exception {
      EmbeddedKafka kafka = EmbeddedKafka.start();
      System.out.println("folder " + kafka.folder());
      System.out.flush();
      Thread.sleep(Duration.ofMinutes(2).toMillis());
    }
  }

  @Test
  @DisplayName("a stopped and restarted broker keeps its address and its data")
  void restartKeepsAddressAndData() throws Exception {
    try (EmbeddedKafka kafka = Broker.startOwn()) {
      String before = kafka.bootstrapServers();
      String topic = "restart-" + UUID.randomUUID();
      send(before, topic, "k", "before the outage");
      kafka.stop();
      assertThat(kafka.isRunning()).as("stopped").isFalse();
      kafka.startAgain();
      assertThat(kafka.bootstrapServers()).as("address after restart").isEqualTo(before);
      send(before, topic, "k", "after the outage");
      assertThat(readAll(before, topic, 2, Duration.ofSeconds(30)))
          .as("both records, the one from before the outage kept on disk")
          .containsExactly("k=before the outage", "k=after the outage");
    }
  }

  private static void send(String servers, String topic, String key, String value) throws Exception {
    Map<String, Object> cfg = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
        ProducerConfig.ACKS_CONFIG, "all");
    try (var producer = new KafkaProducer<>(cfg, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  private static List<String> readAll(String servers, String topic, int expected, Duration max) {
    Map<String, Object> cfg = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> got = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + max.toNanos();
      while (got.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          got.add(r.key() + "=" + r.value());
        }
      }
    }
    return got;
  }
}
