//SOURCES ../src/workbook/kafka/*.java ../src/workbook/net/*.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
import workbook.kafka.BrokerProblem;
import workbook.kafka.Docker;
import workbook.net.Ports;
import workbook.tool.base.Exit;
import workbook.tool.base.Progress;
import workbook.tool.content.Labs;

/** Checks a machine before a workshop (doctor) and makes it ready to work offline (prefetch). */
final class Doctor {
  /** A call of Ports.requireFree(...): the demos check their fixed ports with it. */
  private static final Pattern REQUIRE_FREE = Pattern.compile("requireFree\\(");
  private static final Pattern PORT_LITERAL = Pattern.compile("\\b(\\d{4,5})\\b");
  private static final Pattern IDENTIFIER = Pattern.compile("\\b([A-Za-z_]\\w*)\\s*(\\()?");
  private final Labs labs;
  private int problems;

  Doctor(Labs labs) { this.labs = labs; }

  int doctor() {
    System.out.println("Checking this machine for the workbook...");
    int java = Runtime.version().feature();
    line(java >= 17, "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")",
        "Java 17 or newer is needed: install a JDK 17+ and set JAVA_HOME to it");
    line(true, "JBang works (this command runs on it)", "");
    checkPorts();
    checkDisk();
    checkDocker();
    checkBroker();
    System.out.println(problems == 0
        ? "Ready: this machine can run every lab. Before a workshop, also run ./jbang workbook@. prefetch"
        : "Not ready: fix the " + problems + " line(s) marked ✘ above (docs/troubleshooting.md explains each), then run doctor again.");
    return problems == 0 ? 0 : Exit.ENVIRONMENT; // this machine needs a fix, not the labs
  }

  private void checkPorts() {
    Set<Integer> ports = demoPorts(labs.root.resolve("labs"));
    List<Integer> busy = ports.stream().filter(Ports::inUse).toList();
    line(busy.isEmpty(), "the demos' ports are free " + ports,
        "ports " + busy + " are in use: stop what uses them, or pass --port to the demo");
  }

  /**
   * The fixed ports the demos serve on: every port a call of Ports.requireFree(...) can get, as
   * a number in the call, a constant it names (DEMO_PORT = 9090) or a number its helper method
   * returns (portFrom(args): return 7002).
   */
  static Set<Integer> demoPorts(Path labsDir) {
    Set<Integer> ports = new TreeSet<>();
    try (Stream<Path> files = Files.walk(labsDir)) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
        String src = Labs.read(p);
        Matcher call = REQUIRE_FREE.matcher(src);
        while (call.find()) {
          String args = balanced(src, call.end() - 1, '(', ')');
          ports.addAll(literalPorts(args));
          Matcher id = IDENTIFIER.matcher(args);
          while (id.find()) {
            String name = Pattern.quote(id.group(1));
            if (id.group(2) == null) {
              Matcher constant = Pattern.compile("\\bint\\s+" + name + "\\s*=\\s*(\\d{4,5})\\b").matcher(src);
              while (constant.find()) ports.add(Integer.parseInt(constant.group(1)));
            } else {
              Matcher method = Pattern.compile("\\bint\\s+" + name + "\\s*\\([^)]*\\)\\s*\\{").matcher(src);
              while (method.find()) {
                Matcher ret = Pattern.compile("return\\s+(\\d{4,5})\\s*;").matcher(balanced(src, method.end() - 1, '{', '}'));
                while (ret.find()) ports.add(Integer.parseInt(ret.group(1)));
              }
            }
          }
        }
      });
    } catch (IOException ignored) {
      // no labs folder: nothing to check
    }
    ports.removeIf(p -> p < 1024 || p > 65535);
    return ports;
  }

  private static Set<Integer> literalPorts(String text) {
    Set<Integer> found = new TreeSet<>();
    Matcher m = PORT_LITERAL.matcher(text);
    while (m.find()) found.add(Integer.parseInt(m.group(1)));
    return found;
  }

  /** The text between the bracket at {@code open} and its match (strings and comments are not special). */
  private static String balanced(String src, int open, char in, char out) {
    int depth = 0;
    for (int i = open; i < src.length(); i++) {
      if (src.charAt(i) == in) depth++;
      else if (src.charAt(i) == out && --depth == 0) return src.substring(open + 1, i);
    }
    return src.substring(open + 1);
  }

  private void checkDisk() {
    long free = Path.of(System.getProperty("java.io.tmpdir")).toFile().getUsableSpace() / (1024 * 1024);
    line(free > 1024, "disk: " + free + " MB free for temporary files",
        "only " + free + " MB free in " + System.getProperty("java.io.tmpdir") + ": free at least 1 GB");
  }

  /** Docker is never needed: say whether it is there, and ready for WORKBOOK_BROKER=redpanda. */
  private void checkDocker() {
    Optional<Docker> found = Docker.find();
    if (found.isEmpty()) {
      info("Docker: not found; not needed (the labs use the embedded Apache Kafka broker unless told otherwise)");
      return;
    }
    Docker docker = found.get();
    String use = "; the labs use it only with WORKBOOK_BROKER=redpanda (docs/brokers.md)";
    long t0 = System.nanoTime();
    try {
      String version = docker.version();
      List<String> missing = docker.missing(Docker.IMAGES);
      info(String.format(Locale.ROOT, "Docker %s answers at %s (asked in %.1f s)%s; %s", version, docker.endpoint(),
          (System.nanoTime() - t0) / 1e9, use,
          missing.isEmpty() ? "its images are here" : "not here yet: " + String.join(", ", missing) + " (prefetch pulls them)"));
    } catch (Docker.Failure f) {
      info("Docker: " + f.getMessage() + use);
    }
  }

  /** The broker every lab gets here, picked by Broker itself, checked end to end. */
  private void checkBroker() {
    try {
      String servers = Broker.bootstrapServers();
      info("broker: " + Broker.picked());
      long t0 = System.nanoTime();
      String topic = "doctor-" + UUID.randomUUID();
      try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
          ProducerConfig.MAX_BLOCK_MS_CONFIG, 15000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20000), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>(topic, "k", "hello")).get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      boolean got = consumeOne(servers, topic);
      line(got, String.format(Locale.ROOT, "broker: a record produced and consumed by a new group in %.1f s", (System.nanoTime() - t0) / 1e9),
          "the broker started but no record came back within 20 s");
    } catch (BrokerProblem p) {
      line(false, "", "broker: " + p.getMessage());
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
      Labs.Run r;
      try (Progress p = Progress.start("building " + labs.root.relativize(f))) {
        r = Labs.run(labs.root, labs.root, List.of("build", f.toString()), Map.of(), null, 900);
      }
      System.out.println((r.ok() ? "  ✔ " : "  ✘ ") + labs.root.relativize(f));
      if (!r.ok()) failed.add(labs.root.relativize(f).toString());
    }
    boolean maven = IdeProject.prefetchMaven(labs);
    System.out.println((maven ? "  ✔ " : "  ✘ ") + "Maven's plugins for the IDE projects of open NN");
    if (!maven) failed.add("the IDE project of lab " + labs.all().get(0).number() + " (mvn test in .workbook/ide/)");
    List<String> notPulled = pullImages();
    if (!failed.isEmpty()) {
      System.out.println("Could not build " + failed + ": check the network or proxy (docs/troubleshooting.md) and run prefetch again.");
    } else if (!notPulled.isEmpty()) {
      System.out.println("Every lab and tool is downloaded and compiled: the labs work offline with the embedded broker."
          + " But Docker could not pull " + String.join(", ", notPulled) + ", so WORKBOOK_BROKER=redpanda and docker compose"
          + " still need the network: run prefetch again where it works (docs/troubleshooting.md).");
    } else {
      System.out.println("Ready to work offline: every lab and tool is downloaded and compiled.");
    }
    return failed.isEmpty() && notPulled.isEmpty() ? 0 : Exit.ENVIRONMENT; // the network or the engine, not the labs
  }

  /**
   * Where Docker answers, pulls the images its paths need (WORKBOOK_BROKER=redpanda and
   * docker-compose.yml), so that a lab never has to; returns the ones it could not pull.
   */
  private static List<String> pullImages() {
    Optional<Docker> found = Docker.find();
    if (found.isEmpty()) {
      System.out.println("Docker: not found, so no images pulled (the labs do not need Docker).");
      return List.of();
    }
    Docker docker = found.get();
    String version;
    try {
      version = docker.version();
    } catch (Docker.Failure f) {
      System.out.println("Docker images skipped: " + f.getMessage() + ". Start Docker and run prefetch again if you want"
          + " WORKBOOK_BROKER=redpanda or docker compose offline (the labs do not need them).");
      return List.of();
    }
    System.out.println("Pulling the Docker images for WORKBOOK_BROKER=redpanda and docker compose into Docker " + version
        + " at " + docker.endpoint() + "...");
    List<String> failed = new ArrayList<>();
    for (String image : Docker.IMAGES) {
      long t0 = System.nanoTime();
      try {
        if (docker.hasImage(image)) {
          System.out.println("  ✔ " + image + " (already here)");
          continue;
        }
        System.out.println("  ↓ " + image + "...");
        docker.pull(image, progress -> System.out.println("      " + progress), Duration.ofSeconds(60));
        System.out.printf(Locale.ROOT, "  ✔ %s pulled in %.0f s%n", image, (System.nanoTime() - t0) / 1e9);
      } catch (Docker.Failure f) {
        System.out.println("  ✘ " + image + ": could not pull it: " + f.getMessage());
        failed.add(image);
      }
    }
    return failed;
  }
}
