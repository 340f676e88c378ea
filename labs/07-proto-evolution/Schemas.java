import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A message written as .proto lines, turned into the descriptor protoc would make of it, so that
 * a test states a version of a message in one line each:
 * {@code Schemas.product("string sku = 1", "reserved 4", "reserved 6 to 8", "reserved \"colour\"")}. Also
 * {@code "string email = 3 [json_name = \"mail\"]"}, {@code "oneof contact: string email = 3"} (a
 * member of oneof contact), {@code "in Dimensions: int32 width_mm = 1"} (a line of the message
 * Dimensions nested in Product, which a field of Product may use as its type) and {@code "enum Status"}
 * (an enum Status nested in Product, of the same shape as the file's own Status). Every file also
 * defines the message Money and the enums Status and Colour, which a field may use as its type.
 */
final class Schemas {
  private static final Pattern FIELD = Pattern.compile(
      "(?:oneof (\\w+): )?(optional |repeated )?(\\w+) (\\w+) = (\\d+)(?: \\[json_name = \"(\\w+)\"\\])?");
  private static final Pattern RESERVED_NUMBER = Pattern.compile("reserved (\\d+)(?: to (\\d+))?");
  private static final Pattern RESERVED_NAME = Pattern.compile("reserved \"(\\w+)\"");
  private static final Pattern NESTED = Pattern.compile("in (\\w+): (.+)");
  private static final Pattern ENUM = Pattern.compile("enum (\\w+)");
  /** The enums every file defines at its top level, each with two values. */
  private static final List<String> TOP_LEVEL_ENUMS = List.of("Status", "Colour");
  private static int files;

  private Schemas() {}

  /** A message named Product made of these lines, in a file of package lab07 that also defines Money, Status and Colour. */
  static Descriptor product(String... lines) {
    return productIn("lab07", lines);
  }

  /** The same, in a file of package {@code pkg}: two versions of a contract in two packages, as this lab's two files. */
  static synchronized Descriptor productIn(String pkg, String... lines) {
    Message product = new Message("Product", pkg);
    for (String line : lines) product.add(line.strip());
    Message money = new Message("Money", pkg);
    money.add("int64 minor_units = 1");
    money.add("string currency = 2");
    FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder().setName("schema" + ++files + ".proto")
        .setPackage(pkg).setSyntax("proto3").addMessageType(product.build("." + pkg + ".Product"))
        .addMessageType(money.build("." + pkg + ".Money"));
    for (String name : TOP_LEVEL_ENUMS) file.addEnumType(enumNamed(name));
    try {
      return FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]).findMessageTypeByName("Product");
    } catch (DescriptorValidationException e) {
      throw new IllegalArgumentException("Not a valid message (" + e.getMessage() + "): "
          + String.join("; ", lines), e);
    }
  }

  /** An enum of two values, NAME_UNKNOWN = 0 and NAME_ACTIVE = 1: every enum here has that shape. */
  private static com.google.protobuf.DescriptorProtos.EnumDescriptorProto enumNamed(String name) {
    String prefix = name.toUpperCase(Locale.ROOT);
    return com.google.protobuf.DescriptorProtos.EnumDescriptorProto.newBuilder().setName(name)
        .addValue(com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto.newBuilder().setName(prefix + "_UNKNOWN").setNumber(0))
        .addValue(com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto.newBuilder().setName(prefix + "_ACTIVE").setNumber(1))
        .build();
  }

  /** A message being written: its lines, kept so that the members of a oneof end up side by side. */
  private static final class Message {
    final String name, pkg;
    final List<Matcher> fields = new ArrayList<>();
    final List<int[]> reservedNumbers = new ArrayList<>();
    final List<String> reservedNames = new ArrayList<>();
    final Map<String, Message> nested = new LinkedHashMap<>();
    final List<String> enums = new ArrayList<>();

    Message(String name, String pkg) {
      this.name = name;
      this.pkg = pkg;
    }

    void add(String line) {
      Matcher m;
      if ((m = NESTED.matcher(line)).matches()) {
        nested.computeIfAbsent(m.group(1), n -> new Message(n, pkg)).add(m.group(2).strip());
      } else if ((m = ENUM.matcher(line)).matches()) {
        enums.add(m.group(1));
      } else if ((m = RESERVED_NUMBER.matcher(line)).matches()) {
        int from = Integer.parseInt(m.group(1));
        reservedNumbers.add(new int[] {from, m.group(2) == null ? from : Integer.parseInt(m.group(2))});
      } else if ((m = RESERVED_NAME.matcher(line)).matches()) {
        reservedNames.add(m.group(1));
      } else if ((m = FIELD.matcher(line)).matches()) {
        fields.add(m);
      } else {
        throw new IllegalArgumentException("Cannot read '" + line
            + "': write it as in a .proto file, e.g. 'int64 price_cents = 3'");
      }
    }

    DescriptorProto build(String fullName) {
      DescriptorProto.Builder message = DescriptorProto.newBuilder().setName(name);
      for (int[] range : reservedNumbers) {
        // A reserved range's end is exclusive: "reserved 4" is the range [4, 5), "reserved 4 to 6" is [4, 7).
        message.addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(range[0]).setEnd(range[1] + 1));
      }
      message.addAllReservedName(reservedNames);
      // protoc lists a oneof's members together, real oneofs first, then the synthetic ones of `optional`.
      List<String> oneofs = new ArrayList<>();
      for (Matcher f : fields) if (f.group(1) != null && !oneofs.contains(f.group(1))) oneofs.add(f.group(1));
      for (String oneof : oneofs) message.addOneofDecl(OneofDescriptorProto.newBuilder().setName(oneof));
      List<Matcher> ordered = new ArrayList<>();
      for (Matcher f : fields) if (f.group(1) == null) ordered.add(f);
      for (String oneof : oneofs) for (Matcher f : fields) if (oneof.equals(f.group(1))) ordered.add(f);
      for (Matcher f : ordered) message.addField(field(message, f, oneofs, fullName));
      for (Message inner : nested.values()) message.addNestedType(inner.build(fullName + "." + inner.name));
      for (String inner : enums) message.addEnumType(enumNamed(inner));
      return message.build();
    }

    private FieldDescriptorProto field(DescriptorProto.Builder message, Matcher f, List<String> oneofs, String fullName) {
      String label = f.group(2), type = f.group(3), name = f.group(4);
      FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name)
          .setNumber(Integer.parseInt(f.group(5)))
          .setLabel("repeated ".equals(label) ? Label.LABEL_REPEATED : Label.LABEL_OPTIONAL);
      // As protoc resolves a name: a type nested in this message first (even one named Money or Status), then the
      // file's top-level Money, Status and Colour.
      if (enums.contains(type)) {
        field.setType(FieldDescriptorProto.Type.TYPE_ENUM).setTypeName(fullName + "." + type);
      } else if (TOP_LEVEL_ENUMS.contains(type) && !nested.containsKey(type)) {
        field.setType(FieldDescriptorProto.Type.TYPE_ENUM).setTypeName("." + pkg + "." + type);
      } else if (type.equals("Money") && !nested.containsKey(type)) {
        field.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName("." + pkg + ".Money");
      } else if (Character.isUpperCase(type.charAt(0))) {
        field.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(fullName + "." + type);
      } else field.setType(FieldDescriptorProto.Type.valueOf("TYPE_" + type.toUpperCase(Locale.ROOT)));
      if (f.group(6) != null) field.setJsonName(f.group(6));
      if (f.group(1) != null) field.setOneofIndex(oneofs.indexOf(f.group(1)));
      if ("optional ".equals(label)) {
        // protoc writes a proto3 `optional` field as the only member of a oneof named after it.
        field.setProto3Optional(true).setOneofIndex(message.getOneofDeclCount());
        message.addOneofDecl(OneofDescriptorProto.newBuilder().setName("_" + name));
      }
      return field.build();
    }
  }
}
