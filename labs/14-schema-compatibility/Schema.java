//JAVA 17+

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One version of an event's record schema: named, typed fields, some with a default. This is
 * the part of an Avro (or JSON Schema) record that a schema registry compares. Nothing to edit:
 * write one as {@code Schema.of("order.placed", 1, "orderId: string, currency: string = EUR")}.
 */
record Schema(String name, int version, List<Field> fields) {

  /** The field types of this lab. Avro also allows a few widenings (int read as long); not here. */
  enum Type {
    STRING, INT, LONG, DOUBLE, BOOLEAN;

    /** A default written in a schema ("EUR", "0", "true") as a value of this type. */
    Object parse(String text) {
      return switch (this) {
        case STRING -> text;
        case INT -> Integer.valueOf(text);
        case LONG -> Long.valueOf(text);
        case DOUBLE -> Double.valueOf(text);
        case BOOLEAN -> Boolean.valueOf(text);
      };
    }

    @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
  }

  /**
   * A field; {@code nullable} is Avro's union {@code ["null", type]}, written {@code type?}, and the only
   * kind of field whose default may be null. {@code hasDefault} tells "no default" apart from a null one.
   */
  record Field(String name, Type type, boolean nullable, boolean hasDefault, Object defaultValue) {
    /** Reads "name: type", "name: type = default", "name: type?" or "name: type? = null". */
    static Field parse(String spec) {
      String[] nameAndRest = spec.split(":", 2);
      String[] typeAndDefault = nameAndRest[1].split("=", 2);
      String typeName = typeAndDefault[0].strip();
      boolean nullable = typeName.endsWith("?");
      Type type = Type.valueOf(typeName.replace("?", "").toUpperCase(Locale.ROOT));
      String name = nameAndRest[0].strip();
      if (typeAndDefault.length == 1) return new Field(name, type, nullable, false, null);
      String text = typeAndDefault[1].strip();
      if (text.equals("null") && !nullable) {
        // As in Avro: a plain string can never hold null, so null cannot be its default.
        throw new IllegalArgumentException("'" + spec.strip() + "': only a nullable type may default to null; write '"
            + name + ": " + type + "? = null' (Avro's union [\"null\", \"" + type + "\"])");
      }
      return new Field(name, type, nullable, true, text.equals("null") ? null : type.parse(text));
    }

    /** The type as written: "string", or "string?" when null is allowed too. */
    String typeName() { return type + (nullable ? "?" : ""); }

    /**
     * Whether this field, as the reader's, holds every value a writer's {@code written} field can
     * hold: the same type, and a null only if this one allows null too. So a {@code string?} reads a
     * {@code string}, and a plain {@code string} does not read a {@code string?}: a reader reads {@code written}.
     */
    boolean reads(Field written) { return type == written.type && (nullable || !written.nullable); }

    @Override public String toString() { return name + ": " + typeName() + (hasDefault ? " = " + defaultValue : ""); }
  }

  /** A schema from fields written as "name: type [= default]", separated by commas. */
  static Schema of(String name, int version, String fields) {
    return new Schema(name, version, Arrays.stream(fields.split(",")).map(Field::parse).toList());
  }

  /** The field with this name, if this version has one. */
  Optional<Field> field(String fieldName) {
    // A plain loop, not a stream: a registry asks this for every field of every version it checks (a million, in the tests)
    for (Field f : fields) if (f.name().equals(fieldName)) return Optional.of(f);
    return Optional.empty();
  }

  /** The next version: this one plus a field at the end. */
  Schema plus(String fieldSpec) {
    List<Field> next = new ArrayList<>(fields);
    next.add(Field.parse(fieldSpec));
    return new Schema(name, version + 1, List.copyOf(next));
  }

  /** The next version: this one without the named field. */
  Schema minus(String fieldName) {
    return new Schema(name, version + 1, fields.stream().filter(f -> !f.name().equals(fieldName)).toList());
  }

  /** The next version: the named field replaced in place (by a new name, type or default). */
  Schema replace(String fieldName, String fieldSpec) {
    Field replacement = Field.parse(fieldSpec);
    return new Schema(name, version + 1,
        fields.stream().map(f -> f.name().equals(fieldName) ? replacement : f).toList());
  }

  @Override public String toString() {
    return name + " v" + version + " {" + String.join(", ", fields.stream().map(Field::toString).toList()) + "}";
  }
}
