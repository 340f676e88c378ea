///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/kafka/*.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.redpanda.RedpandaContainer;
import workbook.kafka.Broker;
import workbook.kafka.BrokerProblem;
import workbook.kafka.Docker;
import workbook.net.Ports;

/**
 * The workbook's own check of how the broker is chosen, and of the Docker path's failures, with
 * no Docker engine needed: a fake engine on a Unix socket answers (or does not) like a real one.
 */
@DisplayName("Workbook: choosing the broker, and Docker failing fast")
@Timeout(60)
class BrokerChoiceTest {
  public static void main(String[] args) { workbook.test.LabTests.run(BrokerChoiceTest.class, args); }

  @Test
  @DisplayName("docker-compose.yml names the same image tags as the code")
  void composeAndCodeAgree() throws IOException {
    String compose = Files.readString(root().resolve("docker-compose.yml"));
    assertThat(images(compose)).as("the image: lines of docker-compose.yml (Docker.java must name the same)")
        .containsExactlyInAnyOrder(Docker.REDPANDA_IMAGE, Docker.CONSOLE_IMAGE);
  }

  @Test
  @DisplayName("the Ryuk image prefetch pulls is the one this Testcontainers starts, and it accepts our Redpanda")
  void imagesMatchTestcontainers() throws IOException {
    String ryukClass;
    try (InputStream in = RedpandaContainer.class.getClassLoader()
        .getResourceAsStream("org/testcontainers/utility/RyukContainer.class")) {
      assertThat(in).as("Testcontainers' RyukContainer class").isNotNull();
      ryukClass = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    Matcher m = Pattern.compile("testcontainers/ryuk:[\\w.\\-]+").matcher(ryukClass);
    assertThat(m.find()).as("an image name in RyukContainer.class").isTrue();
    assertThat(Docker.RYUK_IMAGE).as("Docker.RYUK_IMAGE: update it with Testcontainers").isEqualTo(m.group());
    // The constructor checks the image's name and version without Docker (anything more would pull it).
    assertThatCode(() -> new RedpandaContainer(Docker.REDPANDA_IMAGE)).as("Testcontainers' check of our Redpanda image")
        .doesNotThrowAnyException();
  }

  @Test
  @DisplayName("WORKBOOK_BROKER takes embedded or redpanda; anything else gets a sentence listing both")
  void unknownChoice() {
    assertThat(Broker.choice(null)).isEmpty();
    assertThat(Broker.choice(" Redpanda ")).isEqualTo("redpanda");
    assertThat(Broker.choice("embedded")).isEqualTo("embedded");
    assertThatThrownBy(() -> Broker.choice("kafka")).isInstanceOf(BrokerProblem.class)
        .hasMessageContaining("WORKBOOK_BROKER is 'kafka'").hasMessageContaining("embedded or redpanda")
        .satisfies(e -> assertThat(e.getStackTrace()).as("a stack trace").isEmpty());
  }

  @Test
  @DisplayName("a KAFKA_BOOTSTRAP_SERVERS where nothing answers fails in seconds, naming the variable")
  void externalNothingThere() {
    long t0 = System.nanoTime();
    Throwable e = catchThrowable(() -> Broker.requireAnswer("127.0.0.1:" + Ports.free(), "KAFKA_BOOTSTRAP_SERVERS", Duration.ofSeconds(3)));
    assertThat(e).isInstanceOf(BrokerProblem.class).hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS is '127.0.0.1:")
        .hasMessageContaining("no Kafka broker answered").hasMessageContaining("unset KAFKA_BOOTSTRAP_SERVERS");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThatThrownBy(() -> Broker.requireAnswer("no-such-host.invalid:9092", "KAFKA_BOOTSTRAP_SERVERS", Duration.ofSeconds(3)))
        .isInstanceOf(BrokerProblem.class).hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS is 'no-such-host.invalid:9092'");
  }

  @Test
  @DisplayName("an engine that accepts but never answers is given up within its time limit")
  void silentEngine() throws Exception {
    try (FakeEngine engine = new FakeEngine(request -> null)) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> engine.docker().version()).isInstanceOf(Docker.Failure.class)
          .hasMessageContaining("did not answer within");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  @DisplayName("an engine without the images says which are missing; a failed pull is its reason in one line")
  void missingImagesAndFailedPull() throws Exception {
    Function<String, String> engine = request -> {
      if (request.startsWith("GET /version")) return reply(200, "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\"}");
      if (request.startsWith("GET /images/" + Docker.RYUK_IMAGE + "/json")) return reply(200, "{\"Id\":\"sha256:1\"}");
      if (request.startsWith("GET /images/")) return reply(404, "{\"message\":\"No such image\"}");
      if (request.startsWith("POST /images/create")) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk("{\"status\":\"Pulling from redpandadata/redpanda\",\"id\":\"v26.1.2\"}\n")
            + chunk("{\"errorDetail\":{\"message\":\"dial tcp: lookup docker.redpanda.com: no such host\"},"
                + "\"error\":\"dial tcp: lookup docker.redpanda.com: no such host\"}\n")
            + "0\r\n\r\n";
      }
      return reply(500, "{\"message\":\"unexpected\"}");
    };
    try (FakeEngine fake = new FakeEngine(engine)) {
      Docker docker = fake.docker();
      assertThat(docker.version()).isEqualTo("20.10.24");
      assertThat(docker.missing(List.of(Docker.REDPANDA_IMAGE, Docker.RYUK_IMAGE))).containsExactly(Docker.REDPANDA_IMAGE);
      List<String> progress = new ArrayList<>();
      assertThatThrownBy(() -> docker.pull(Docker.REDPANDA_IMAGE, progress::add, Duration.ofSeconds(5)))
          .isInstanceOf(Docker.Failure.class).hasMessage("dial tcp: lookup docker.redpanda.com: no such host");
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  private static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("docker-compose.yml")) && Files.isDirectory(p.resolve("shared"))) return p;
    }
    throw new AssertionError("run from inside the workbook: no docker-compose.yml found above " + Path.of("").toAbsolutePath());
  }

  private static List<String> images(String compose) {
    List<String> images = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s*image:\\s*[\"']?([^\\s\"'#]+)").matcher(compose);
    while (m.find()) images.add(m.group(1));
    return images;
  }

  private static String reply(int status, String json) {
    return "HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: "
        + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
  }

  private static String chunk(String text) {
    return Integer.toHexString(text.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + text + "\r\n";
  }

  /** A Docker engine's Unix socket that answers each request with what {@code answer} says (null: silence). */
  private static final class FakeEngine implements AutoCloseable {
    private final Path dir = Files.createTempDirectory("fake-docker-");
    private final Path socket = dir.resolve("docker.sock");
    private final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);

    FakeEngine(Function<String, String> answer) throws IOException {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread t = new Thread(() -> {
        while (server.isOpen()) {
          try {
            SocketChannel client = server.accept();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            StringBuilder request = new StringBuilder();
            while (!request.toString().contains("\r\n\r\n") && client.read(buf) > 0) {
              request.append(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
              buf.clear();
            }
            String reply = answer.apply(request.toString());
            if (reply == null) continue; // keep it open and say nothing
            client.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
            client.close();
          } catch (IOException closed) {
            return;
          }
        }
      }, "fake-docker");
      t.setDaemon(true);
      t.start();
    }

    Docker docker() {
      return Docker.at("unix://" + socket, "a fake engine");
    }

    @Override public void close() throws IOException {
      server.close();
      Files.deleteIfExists(socket);
      Files.deleteIfExists(dir);
    }
  }
}
