import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small breaking-change checker, like `buf breaking` with its WIRE_JSON rules for fields (plus
 * FIELD_SAME_CARDINALITY): compares two versions of a contract, field by field and nested message
 * by nested message, through protobuf's own descriptors, and names every change that would make
 * one version misread data written by the other, in binary or in JSON. Enums and services are
 * out of its scope.
 */
final class SchemaCheck {
  enum Rule {
    REMOVED_NOT_RESERVED, // a field is gone, but its number or its name is not reserved
    RESERVED_REUSED,      // a field takes a number or a name that the old version reserved
    RESERVATION_LIFTED,   // a number or a name the old version reserved is free again
    NUMBER_REUSED,        // a number now carries another field: new name and new type
    TYPE_CHANGED,         // same number and name, another type (or repeated/optional changed)
    RENAMED,              // same number and type, another name
    JSON_NAME_CHANGED,    // same number, name and type, another JSON name (json_name)
    ONEOF_CHANGED         // a field moved into, out of, or between oneofs
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
      // A message that is gone breaks generated code, not the wire: no byte names a message, and
      // a field that still used it is flagged as retyped or removed (buf: FILE, not WIRE_JSON).
      if (now != null) findings.addAll(compare(old, now));
    }
    return findings;
  }

  /** One message against its next version, and each of its nested messages against theirs. */
  static List<Finding> compare(Descriptor before, Descriptor after) {
    List<Finding> findings = new ArrayList<>(removals(before, after));
    findings.addAll(lifted(before, after));
    findings.addAll(changes(before, after));
    for (Descriptor nested : before.getNestedTypes()) {
      Descriptor now = after.findNestedTypeByName(nested.getName());
      if (now != null) findings.addAll(compare(nested, now));
    }
    return findings;
  }

  /** Reservations of {@code before} that {@code after} dropped with no field taking them (removals() flags those). */
  static List<Finding> lifted(Descriptor before, Descriptor after) {
    List<Finding> findings = new ArrayList<>();
    for (var range : before.toProto().getReservedRangeList()) {
      for (int number = range.getStart(); number < range.getEnd(); number++) {
        if (after.isReservedNumber(number)) number = reservedUpTo(after, number) - 1; // skip what is still reserved
        else if (after.findFieldByNumber(number) == null) {
          findings.add(new Finding(Rule.RESERVATION_LIFTED, number, "number " + number + " of " + before.getName()
              + " was reserved and is free again: a later field may take it and misread old data"));
          break; // one finding per range
        }
      }
    }
    for (String name : before.toProto().getReservedNameList()) {
      if (!after.isReservedName(name) && after.findFieldByName(name) == null) {
        findings.add(new Finding(Rule.RESERVATION_LIFTED, 0, "name '" + name + "' of " + before.getName()
            + " was reserved and is free again: a later field may take it and misread old JSON"));
      }
    }
    return findings;
  }

  /** The end (exclusive) of the reserved range of {@code message} that holds {@code number}. */
  private static int reservedUpTo(Descriptor message, int number) {
    for (var range : message.toProto().getReservedRangeList()) {
      if (range.getStart() <= number && number < range.getEnd()) return range.getEnd();
    }
    return number + 1;
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
      // TODO 5: compare old and now by name and by typeOf: add NUMBER_REUSED if both differ, TYPE_CHANGED or
      // RENAMED if only one does, JSON_NAME_CHANGED if only getJsonName() does; and ONEOF_CHANGED if oneofOf differs.
      throw new UnsupportedOperationException("TODO 5: compare the fields that kept their number (see hint 5)");
    }
    return findings;
  }

  /** A field as a finding names it: "4 'colour' (string)". */
  static String describe(FieldDescriptor field) {
    return field.getNumber() + " '" + field.getName() + "' (" + typeOf(field) + ")";
  }

  /** The oneof a field is a member of, or "" for none (the oneof protoc makes for an `optional` does not count). */
  static String oneofOf(FieldDescriptor field) {
    return field.getRealContainingOneof() == null ? "" : field.getRealContainingOneof().getName();
  }

  /** A field's type as the .proto spells it, with its label: "int64", "repeated string", "optional int32", "Product.Money". */
  static String typeOf(FieldDescriptor field) {
    String type = switch (field.getType()) {
      // By name within the package: the two versions of this lab live in different packages (see catalog_old.proto),
      // and a nested Product.Money is another type than a top-level Money, even of the same shape.
      case MESSAGE -> inPackage(field.getMessageType().getFullName(), field);
      case ENUM -> inPackage(field.getEnumType().getFullName(), field);
      default -> field.getType().name().toLowerCase(Locale.ROOT);
    };
    if (field.isRepeated()) return "repeated " + type;
    // `optional` gives a scalar presence; a message field has it anyway, so there it changes nothing.
    return field.toProto().getProto3Optional() && field.getType() != FieldDescriptor.Type.MESSAGE ? "optional " + type : type;
  }

  /** A type's full name without the package of the field's file: "Money", "Product.Dimensions". */
  private static String inPackage(String fullName, FieldDescriptor field) {
    String pkg = field.getFile().getPackage();
    return pkg.isEmpty() || !fullName.startsWith(pkg + ".") ? fullName : fullName.substring(pkg.length() + 1);
  }
}
