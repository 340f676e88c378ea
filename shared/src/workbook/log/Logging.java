//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error -Dorg.slf4j.simpleLogger.showDateTime=false
package workbook.log;

/**
 * Logging for every lab: libraries (Javalin, Jetty, Kafka, gRPC) log through SLF4J to the simple
 * logger at WARN, so a learner sees problems and not start-up chatter. The settings live in the
 * JAVA_OPTIONS line above; run with -Dorg.slf4j.simpleLogger.defaultLogLevel=info to see more.
 */
public final class Logging {
  private Logging() {}
}
