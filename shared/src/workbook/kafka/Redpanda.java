package workbook.kafka;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;
import org.testcontainers.redpanda.RedpandaContainer;
import workbook.log.Logging;

/**
 * Redpanda (a Kafka-compatible broker) in a container through Testcontainers, only when asked
 * (WORKBOOK_BROKER=redpanda), and only when its images are already on the machine: a lab never
 * pulls an image (prefetch does). Every failure is one sentence; the broker then falls back.
 */
final class Redpanda {
  /** Testcontainers, its Docker client and Ryuk get this long to start Redpanda, or we give up. */
  private static final Duration START_LIMIT = Duration.ofSeconds(120);

  static {
    Logging.quietDocker();
  }

  private Redpanda() {}

  /** Testcontainers' Ryuk is needed too, unless it is switched off (TESTCONTAINERS_RYUK_DISABLED=true). */
  static List<String> neededImages() {
    return Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
        ? List.of(Docker.REDPANDA_IMAGE) : List.of(Docker.REDPANDA_IMAGE, Docker.RYUK_IMAGE);
  }

  /**
   * Why Redpanda cannot start here, in one sentence, or empty when it can. Asks the engine itself
   * (a few seconds at most), without Testcontainers, which takes seconds just to load.
   */
  static Optional<String> cannotStart(Optional<Docker> found) {
    if (found.isEmpty()) return Optional.of("no Docker engine was found (no DOCKER_HOST, no Docker socket)");
    Docker docker = found.get();
    if (!docker.canAsk()) return Optional.empty(); // TLS: Testcontainers checks it, within START_LIMIT
    try {
      docker.version();
      List<String> missing = docker.missing(neededImages());
      if (missing.isEmpty()) return Optional.empty();
      return Optional.of("Docker at " + docker.endpoint() + " does not have the image" + (missing.size() > 1 ? "s " : " ")
          + String.join(" and ", missing) + ", and a lab never pulls one (run ./jbang workbook@. prefetch once, with network)");
    } catch (Docker.Failure f) {
      return Optional.of(f.getMessage());
    }
  }

  /** A started container's bootstrap.servers and the line that says so. */
  record Started(String bootstrapServers, String line) {}

  /** Starts a container; Testcontainers' Ryuk container removes it when this JVM exits. */
  static Started start() {
    long t0 = System.nanoTime();
    FutureTask<RedpandaContainer> task = new FutureTask<>(Redpanda::startContainer);
    Thread t = new Thread(task, "workbook-redpanda");
    t.setDaemon(true);
    t.start();
    try {
      RedpandaContainer container = task.get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
      String tag = Docker.REDPANDA_IMAGE.substring(Docker.REDPANDA_IMAGE.lastIndexOf(':') + 1);
      // getBootstrapServers() says "PLAINTEXT://host:port": the same address, as the other brokers write it.
      String servers = container.getHost() + ":" + container.getMappedPort(9092);
      return new Started(servers, String.format(java.util.Locale.ROOT,
          "Redpanda %s in Docker (Testcontainers) at %s, started in %.1f s", tag, servers, (System.nanoTime() - t0) / 1e9));
    } catch (TimeoutException e) {
      task.cancel(true);
      throw new Docker.Failure("Redpanda's container did not start within " + START_LIMIT.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new Docker.Failure(e.getCause() instanceof Docker.Failure f ? f.getMessage()
          : "Redpanda's container did not start (" + rootCause(e.getCause()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Docker.Failure("interrupted while Redpanda was starting");
    }
  }

  private static RedpandaContainer startContainer() throws Exception {
    // Testcontainers finds its engine on its own: make sure it is one with the images, or it
    // would pull them (for minutes, retrying, when the registry cannot be reached).
    TransportConfig transport = DockerClientFactory.instance().getTransportConfig();
    DockerClient client = DockerClientProviderStrategy.getClientForConfig(transport);
    try {
      for (String image : neededImages()) {
        try {
          client.inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
          throw new Docker.Failure("Testcontainers uses Docker at " + transport.getDockerHost() + ", which does not have the image "
              + image + " (run ./jbang workbook@. prefetch with that DOCKER_HOST)");
        }
      }
    } finally {
      client.close();
    }
    RedpandaContainer container = new RedpandaContainer(Docker.REDPANDA_IMAGE)
        .withImagePullPolicy(image -> false) // never a pull in a lab: prefetch pulls
        .withStartupTimeout(Duration.ofSeconds(60));
    container.start();
    return container;
  }

  /** The deepest cause's message, on one line and short: what Docker or Testcontainers said. */
  private static String rootCause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    message = message.lines().findFirst().orElse(message).strip();
    return message.length() > 160 ? message.substring(0, 157) + "..." : message;
  }
}
