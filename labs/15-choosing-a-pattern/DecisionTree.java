//JAVA 17+
//SOURCES Scenario.java

import java.util.ArrayList;
import java.util.List;

/**
 * The decision tree of docs/choosing.md as code. It answers with a pattern and the path that
 * led there, so every choice comes with its reasons and can be argued with.
 */
final class DecisionTree {
  private DecisionTree() {}

  enum Pattern {
    REST("REST"),
    GRPC("gRPC"),
    SYNC_THEN_ASYNC("a synchronous call, then an asynchronous follow-up"),
    EVENTS("events through a broker"),
    KEYED_EVENTS("events with a partition key"),
    EVENTS_OR_QUEUE("events, or a simple queue");

    final String label;

    Pattern(String label) { this.label = label; }

    @Override public String toString() { return label; }
  }

  /** One question asked and its answer. */
  record Answer(Question question, boolean yes) {
    @Override public String toString() {
      return question.text + " " + (yes ? "Yes: " + question.ifYes : "No: " + question.ifNo);
    }
  }

  /** The pattern, and the answers that chose it, in the order the tree asked. */
  record Decision(Pattern pattern, List<Answer> path) {}

  static Decision decide(Scenario scenario) {
    List<Answer> path = new ArrayList<>();
    Pattern pattern = ask(Question.ANSWER_NOW, scenario, path)
        ? synchronous(scenario, path) : asynchronous(scenario, path);
    return new Decision(pattern, List.copyOf(path));
  }

  /** Asks the scenario one question and writes the answer on the path: use it for every question. */
  static boolean ask(Question question, Scenario scenario, List<Answer> path) {
    boolean yes = scenario.says(question);
    path.add(new Answer(question, yes));
    return yes;
  }

  /** The caller waits for the answer. */
  static Pattern synchronous(Scenario scenario, List<Answer> path) {
    // TODO 1: ask BROWSER_OR_PUBLIC, then (only if needed) HOT_PATH, and return REST or GRPC.
    throw new UnsupportedOperationException("TODO 1: choose between REST and gRPC (see hint 1)");
  }

  /** The caller does not wait. */
  static Pattern asynchronous(Scenario scenario, List<Answer> path) {
    // TODO 2: ask STALE_OK, SEVERAL_CONSUMERS and ORDER_MATTERS, each only if needed, and return the pattern.
    throw new UnsupportedOperationException("TODO 2: choose the asynchronous pattern (see hint 2)");
  }
}
