package workbook.kafka;

/**
 * The broker settings cannot work (an unknown WORKBOOK_BROKER, a KAFKA_BOOTSTRAP_SERVERS where
 * nothing answers). Its message is one sentence that says what to do; it has no stack trace,
 * because the learner's fix is in the environment, not in the code: printed uncaught, it is one line.
 */
public final class BrokerProblem extends RuntimeException {
  BrokerProblem(String message) {
    super(message, null, false, false);
  }
}
