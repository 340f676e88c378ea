import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small breaking-change checker, like `buf breaking`: compares two versions of a contract,
 * field by field, through protobuf's own descriptors, and names every change that would make
 * one version misread data written by the other.
 */
final class SchemaCheck {
  enum Rule {
    MESSAGE_REMOVED,      // a message of the old version is gone
    REMOVED_NOT_RESERVED, // a field is gone, but its number or its name is not reserved
    RESERVED_REUSED,      // a field takes a number or a name that the old version reserved
    NUMBER_REUSED,        // a number now carries another field: new name and new type
    TYPE_CHANGED,         // same number and name, another type (or repeated/optional changed)
    RENAMED               // same number and type, another name
  }

  /** One breaking change: which rule, which field number, and why it breaks, in a sentence. */
  record Finding(Rule rule, int number, String why) {
    @Override public String toString() { return rule + " " + number + ": " + why; }
  }

  private SchemaCheck() {}

  /** Every message of {@code before} against the message of the same name in {@code after}. */
  static List<Finding> check(FileDescriptor before, FileDescriptor after) {
    List<Finding> findings = new ArrayList<>();
    for (Descriptor old : before.getMessageTypes()) {
      Descriptor now = after.findMessageTypeByName(old.getName());
      if (now == null) findings.add(new Finding(Rule.MESSAGE_REMOVED, 0, old.getName() + " is gone"));
      else findings.addAll(compare(old, now));
    }
    return findings;
  }

  static List<Finding> compare(Descriptor before, Descriptor after) {
    List<Finding> findings = new ArrayList<>(removals(before, after));
    findings.addAll(changes(before, after));
    return findings;
  }

  /** Fields that are gone, and reservations that were broken. */
  static List<Finding> removals(Descriptor before, Descriptor after) {
    List<Finding> findings = new ArrayList<>();
    for (FieldDescriptor old : before.getFields()) {
      if (after.findFieldByNumber(old.getNumber()) != null) continue; // still there: changes() judges it
      // TODO 4: add REMOVED_NOT_RESERVED unless after reserves both the number and the name of old.
    }
    for (FieldDescriptor now : after.getFields()) {
      // TODO 4: add RESERVED_REUSED if before reserved the number or the name of now.
    }
    throw new UnsupportedOperationException(
        "TODO 4: flag removals and reused reservations, then return findings (see hint 4)");
  }

  /** Fields whose number is in both versions but whose meaning changed. */
  static List<Finding> changes(Descriptor before, Descriptor after) {
    List<Finding> findings = new ArrayList<>();
    for (FieldDescriptor old : before.getFields()) {
      FieldDescriptor now = after.findFieldByNumber(old.getNumber());
      if (now == null) continue; // gone: removals() judges that
      // TODO 5: compare old and now by name and by typeOf: add NUMBER_REUSED if both differ,
      // TYPE_CHANGED or RENAMED if only one does.
      throw new UnsupportedOperationException("TODO 5: compare the fields that kept their number (see hint 5)");
    }
    return findings;
  }

  /** A field as a finding names it: "4 'colour' (string)". */
  static String describe(FieldDescriptor field) {
    return field.getNumber() + " '" + field.getName() + "' (" + typeOf(field) + ")";
  }

  /** A field's type as the .proto spells it, with its label: "int64", "repeated string", "optional Money". */
  static String typeOf(FieldDescriptor field) {
    String type = switch (field.getType()) {
      // By simple name: the two versions of this lab live in different packages (see catalog_old.proto).
      case MESSAGE -> field.getMessageType().getName();
      case ENUM -> field.getEnumType().getName();
      default -> field.getType().name().toLowerCase(Locale.ROOT);
    };
    if (field.isRepeated()) return "repeated " + type;
    return field.toProto().getProto3Optional() ? "optional " + type : type;
  }
}
