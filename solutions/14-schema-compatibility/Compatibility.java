//JAVA 17+

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one rule every compatibility mode is built from: can a consumer whose code knows the
 * reader schema decode data a producer wrote with the writer schema?
 */
final class Compatibility {
  private Compatibility() {}

  /** What stops a reader, and why: which field, which rule, for which pair of versions. */
  enum Rule {
    NO_DEFAULT("is not in the data, and the reader has no default to fill it with"),
    TYPE_CHANGED("is written with a type the reader's type cannot hold");

    final String text;

    Rule(String text) { this.text = text; }
  }

  record Problem(int reader, int writer, String field, Rule rule, String detail) {
    static Problem noDefault(Schema reader, Schema writer, Schema.Field field) {
      return new Problem(reader.version(), writer.version(), field.name(), Rule.NO_DEFAULT, "");
    }

    static Problem typeChanged(Schema reader, Schema writer, Schema.Field expected, Schema.Field written) {
      return new Problem(reader.version(), writer.version(), expected.name(), Rule.TYPE_CHANGED,
          " (v" + writer.version() + " writes " + written.typeName() + ", v" + reader.version() + " reads " + expected.typeName() + ")");
    }

    @Override public String toString() {
      return "v" + reader + " cannot read v" + writer + " data: '" + field + "' " + rule.text + detail;
    }
  }

  /**
   * Every reason a consumer on {@code reader} cannot decode data written with {@code writer};
   * empty when it can. Fields are matched by name; the writer's extra fields are skipped.
   */
  static List<Problem> problems(Schema reader, Schema writer) {
    // Only the reader's fields matter: decoding skips what the writer has extra, and a field is
    // found by its name (a renamed field is a different field), never by its position. The reader's
    // type must hold every value the writer's can: a string? reads a string, a string cannot read a string?.
    List<Problem> problems = new ArrayList<>();
    for (Schema.Field expected : reader.fields()) {
      Optional<Schema.Field> written = writer.field(expected.name());
      if (written.isEmpty() && !expected.hasDefault()) problems.add(Problem.noDefault(reader, writer, expected));
      if (written.isPresent() && !expected.reads(written.get())) {
        problems.add(Problem.typeChanged(reader, writer, expected, written.get()));
      }
    }
    return problems;
  }
}
