//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error -Dorg.slf4j.simpleLogger.showDateTime=false
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.log.org.testcontainers=off -Dorg.slf4j.simpleLogger.log.tc=off -Dorg.slf4j.simpleLogger.log.com.github.dockerjava=off
package workbook.log;

/**
 * Logging for every lab: libraries (Javalin, Jetty, Kafka, gRPC) log through SLF4J to the simple
 * logger at WARN, so a learner sees problems and not start-up chatter. The settings live in the
 * JAVA_OPTIONS lines above; run with -Dorg.slf4j.simpleLogger.defaultLogLevel=info to see more.
 *
 * Testcontainers and docker-java (the Redpanda broker, only with WORKBOOK_BROKER=redpanda) are
 * silenced: when Docker fails they log pages of retries and stack traces, and the workbook says
 * what failed in one line of its own instead. To see them, run with
 * -Dorg.slf4j.simpleLogger.log.org.testcontainers=info.
 */
public final class Logging {
  /** The loggers of Testcontainers, of docker-java, and of the containers' output ("tc.<image>"). */
  private static final String[] DOCKER_LOGGERS = {"org.testcontainers", "tc", "com.github.dockerjava"};

  private Logging() {}

  /**
   * Silences Testcontainers and docker-java in this JVM, also where the JAVA_OPTIONS above were
   * not applied (a lab run from an IDE). Call it before their first class loads: the simple
   * logger reads a logger's level when the logger is created. A level set on the command line wins.
   */
  public static void quietDocker() {
    for (String logger : DOCKER_LOGGERS) {
      String key = "org.slf4j.simpleLogger.log." + logger;
      if (System.getProperty(key) == null) System.setProperty(key, "off");
    }
  }
}
