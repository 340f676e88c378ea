import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import workbook.kafka.Broker;
import workbook.net.Ports;

/** Checks a machine before a workshop (doctor) and makes it ready to work offline (prefetch). */
final class Doctor {
  private static final Pattern DEMO_PORT = Pattern.compile("requireFree\\((\\d{4,5})");
  private final Labs labs;
  private int problems;

  Doctor(Labs labs) { this.labs = labs; }

  int doctor() {
    System.out.println("Checking this machine for the workbook...");
    int java = Runtime.version().feature();
    line(java >= 17, "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")",
        "Java 17 or newer is needed: install a JDK 17+ and set JAVA_HOME to it");
    line(true, "JBang works (this command runs on it)", "");
    boolean docker = Broker.dockerLikely();
    info("Docker: " + (docker ? "found; event labs use Redpanda in a container"
        : "not found; event labs use the embedded Apache Kafka broker (nothing to do)"));
    checkPorts();
    checkDisk();
    checkBroker();
    System.out.println(problems == 0
        ? "Ready: this machine can run every lab. Before a workshop, also run ./jbang workbook@. prefetch"
        : "Not ready: fix the " + problems + " line(s) marked ✘ above (docs/troubleshooting.md explains each), then run doctor again.");
    return problems == 0 ? 0 : 1;
  }

  private void checkPorts() {
    Set<Integer> ports = new TreeSet<>();
    try (Stream<Path> files = Files.walk(labs.root.resolve("labs"))) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
        Matcher m = DEMO_PORT.matcher(Labs.read(p));
        while (m.find()) ports.add(Integer.parseInt(m.group(1)));
      });
    } catch (IOException ignored) {
      // no labs folder: nothing to check
    }
    List<Integer> busy = ports.stream().filter(Ports::inUse).toList();
    line(busy.isEmpty(), "the demos' ports are free " + ports,
        "ports " + busy + " are in use: stop what uses them, or pass --port to the demo");
  }

  private void checkDisk() {
    long free = Path.of(System.getProperty("java.io.tmpdir")).toFile().getUsableSpace() / (1024 * 1024);
    line(free > 1024, "disk: " + free + " MB free for temporary files",
        "only " + free + " MB free in " + System.getProperty("java.io.tmpdir") + ": free at least 1 GB");
  }

  private void checkBroker() {
    long t0 = System.nanoTime();
    try {
      String servers = Broker.bootstrapServers();
      String topic = "doctor-" + UUID.randomUUID();
      try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
          ProducerConfig.MAX_BLOCK_MS_CONFIG, 15000), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>(topic, "k", "hello")).get();
      }
      boolean got = consumeOne(servers, topic);
      line(got, String.format(Locale.ROOT, "broker: produced and consumed a record in %.1f s", (System.nanoTime() - t0) / 1e9),
          "the broker started but no record came back within 20 s");
    } catch (Exception e) {
      line(false, "", "the broker did not work: " + e.getMessage());
    }
  }

  private static boolean consumeOne(String servers, String topic) {
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
        ConsumerConfig.GROUP_ID_CONFIG, topic, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) return true;
      }
      return false;
    }
  }

  private void line(boolean ok, String good, String bad) {
    System.out.println((ok ? "  ✔ " : "  ✘ ") + (ok ? good : bad));
    if (!ok) problems++;
  }

  private static void info(String text) {
    System.out.println("  · " + text);
  }

  /** Resolves every dependency and compiles every lab (starter and tests) and the tools. */
  int prefetch() {
    List<Path> files = new ArrayList<>();
    for (Labs.Lab lab : labs.all()) {
      lab.demo().ifPresent(files::add);
      lab.testFile().ifPresent(files::add);
    }
    try (Stream<Path> s = Stream.concat(Files.list(labs.root.resolve("shared/test")), Files.list(labs.root.resolve("shared/tool")))) {
      s.filter(p -> p.getFileName().toString().matches(".*Test\\.java|Generate.*\\.java")).sorted().forEach(files::add);
    } catch (IOException ignored) {
      // nothing more to build
    }
    System.out.println("Downloading dependencies and compiling " + files.size() + " files (the first time takes minutes)...");
    List<String> failed = new ArrayList<>();
    for (Path f : files) {
      Labs.Run r = Labs.run(labs.root, labs.root, List.of("build", f.toString()), Map.of(), null, 900);
      System.out.println((r.ok() ? "  ✔ " : "  ✘ ") + labs.root.relativize(f));
      if (!r.ok()) failed.add(labs.root.relativize(f).toString());
    }
    System.out.println(failed.isEmpty()
        ? "Ready to work offline: every lab and tool is downloaded and compiled."
        : "Could not build " + failed + ": check the network or proxy (docs/troubleshooting.md) and run prefetch again.");
    return failed.isEmpty() ? 0 : 1;
  }
}
