package workbook.kafka;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.redpanda.RedpandaContainer;

/** Redpanda (a Kafka-compatible broker) in a container, for machines where Docker runs. */
final class Redpanda {
  // Pinned so a workshop room pulls one known image; docker-compose.yml uses the same tag.
  static final String IMAGE = "docker.redpanda.com/redpandadata/redpanda:v26.1.2";

  private Redpanda() {}

  static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  /** Starts a container; Testcontainers' Ryuk container removes it when this JVM exits. */
  static String start() {
    long t0 = System.nanoTime();
    RedpandaContainer container = new RedpandaContainer(IMAGE);
    container.start();
    Broker.say(String.format("Redpanda %s in Docker (Testcontainers) at %s, started in %.1f s",
        IMAGE.substring(IMAGE.lastIndexOf(':') + 1), container.getBootstrapServers(), (System.nanoTime() - t0) / 1e9));
    return container.getBootstrapServers();
  }
}
