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
    // TODO 2: decide per mode who reads whom (new reads old, old reads new, both, nobody) and call Compatibility.problems.
    throw new UnsupportedOperationException("TODO 2: choose the reader and the writer for mode " + mode + " (see hint 2)");
  }

  /** The registered versions a candidate must be compatible with. */
  private List<Schema> versionsToCheck() {
    // TODO 3: in a transitive mode, check against every registered version, not only the latest.
    return versions.isEmpty() ? List.of() : List.of(versions.get(versions.size() - 1));
  }
}
