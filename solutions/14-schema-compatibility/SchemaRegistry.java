//JAVA 17+
//SOURCES Compatibility.java ../../shared/src/workbook/story/*.java

import java.util.ArrayList;
import java.util.List;
import workbook.story.Story;

/**
 * A schema registry for one topic's events: it keeps the versions it accepted and turns down a
 * new version that would break a consumer under its compatibility mode, saying which field and
 * which rule. The modes and their names are those of Confluent's Schema Registry.
 */
final class SchemaRegistry {
  /** Who must be able to read whom; a transitive mode checks every version, not only the latest. */
  enum Mode {
    NONE, BACKWARD, FORWARD, FULL, BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE;

    boolean transitive() { return name().endsWith("_TRANSITIVE"); }
  }

  /** The registry's answer: accepted when there is no problem. */
  record Verdict(Schema candidate, List<Compatibility.Problem> problems) {
    boolean accepted() { return problems.isEmpty(); }
  }

  private final Mode mode;
  private final List<Schema> versions = new ArrayList<>();

  SchemaRegistry(Mode mode) { this.mode = mode; }

  /**
   * Checks a new version against the registered ones, and keeps it only if it is compatible. One
   * registration at a time (synchronized): two at once would both be checked against the same
   * versions and both be kept, though neither may be able to read the other.
   */
  synchronized Verdict register(Schema candidate) {
    List<Schema> checked = versionsToCheck();
    List<Compatibility.Problem> problems = new ArrayList<>();
    for (Schema existing : checked) problems.addAll(problems(mode, candidate, existing));
    Verdict verdict = new Verdict(candidate, List.copyOf(problems));
    if (verdict.accepted()) versions.add(candidate);
    Story.add(mode + ": v" + candidate.version() + " checked against " + versionsOf(checked) + ", "
        + (verdict.accepted() ? "accepted" : "rejected: " + problems));
    return verdict;
  }

  /** The versions for the story, consecutive ones as a run: [v1..v1000, v1002], one line even for a million. */
  private static String versionsOf(List<Schema> schemas) {
    StringBuilder text = new StringBuilder("[");
    int i = 0;
    while (i < schemas.size()) {
      int j = i; // the run goes from i to j
      while (j + 1 < schemas.size() && schemas.get(j + 1).version() == schemas.get(j).version() + 1) j++;
      text.append(i == 0 ? "v" : ", v").append(schemas.get(i).version());
      if (j > i) text.append(j == i + 1 ? ", v" : "..v").append(schemas.get(j).version());
      i = j + 1;
    }
    return text.append("]").toString();
  }

  /** The problems that stop {@code candidate} from joining {@code existing} under {@code mode}. */
  static List<Compatibility.Problem> problems(Mode mode, Schema candidate, Schema existing) {
    // BACKWARD: consumers upgrade first, so the new schema must read old data; FORWARD: producers
    // upgrade first, so old consumers must read new data; FULL: either may go first.
    return switch (mode) {
      case NONE -> List.of();
      case BACKWARD, BACKWARD_TRANSITIVE -> Compatibility.problems(candidate, existing);
      case FORWARD, FORWARD_TRANSITIVE -> Compatibility.problems(existing, candidate);
      case FULL, FULL_TRANSITIVE -> both(candidate, existing);
    };
  }

  private static List<Compatibility.Problem> both(Schema candidate, Schema existing) {
    List<Compatibility.Problem> problems = new ArrayList<>(Compatibility.problems(candidate, existing));
    problems.addAll(Compatibility.problems(existing, candidate));
    return problems;
  }

  /** The registered versions a candidate must be compatible with. */
  private List<Schema> versionsToCheck() {
    // A retained topic still holds events of every version, and a consumer replaying it meets
    // them all: transitive modes check them all; the plain ones promise only that neighbours fit.
    if (mode.transitive()) return List.copyOf(versions);
    return versions.isEmpty() ? List.of() : List.of(versions.get(versions.size() - 1));
  }
}
