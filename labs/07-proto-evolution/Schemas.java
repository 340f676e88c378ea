import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A message written as .proto lines, turned into the descriptor protoc would make of it, so that
 * a test states a version of a message in one line each:
 * {@code Schemas.product("string sku = 1", "reserved 4", "reserved \"colour\"")}.
 */
final class Schemas {
  private static final Pattern FIELD = Pattern.compile("(optional |repeated )?(\\w+) (\\w+) = (\\d+)");
  private static final Pattern RESERVED_NUMBER = Pattern.compile("reserved (\\d+)");
  private static final Pattern RESERVED_NAME = Pattern.compile("reserved \"(\\w+)\"");
  private static int files;

  private Schemas() {}

  /** A message named Product made of these lines, in a file that also defines Money. */
  static synchronized Descriptor product(String... lines) {
    DescriptorProto.Builder product = DescriptorProto.newBuilder().setName("Product");
    for (String line : lines) addLine(product, line.strip());
    DescriptorProto money = DescriptorProto.newBuilder().setName("Money")
        .addField(field(DescriptorProto.newBuilder(), null, "int64", "minor_units", 1))
        .addField(field(DescriptorProto.newBuilder(), null, "string", "currency", 2)).build();
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("schema" + ++files + ".proto")
        .setPackage("lab07").setSyntax("proto3").addMessageType(product).addMessageType(money).build();
    try {
      return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("Product");
    } catch (DescriptorValidationException e) {
      throw new IllegalArgumentException("Not a valid message (" + e.getMessage() + "): "
          + String.join("; ", lines), e);
    }
  }

  private static void addLine(DescriptorProto.Builder message, String line) {
    Matcher m;
    if ((m = RESERVED_NUMBER.matcher(line)).matches()) {
      int number = Integer.parseInt(m.group(1));
      // A reserved range's end is exclusive: "reserved 4" is the range [4, 5).
      message.addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(number).setEnd(number + 1));
    } else if ((m = RESERVED_NAME.matcher(line)).matches()) {
      message.addReservedName(m.group(1));
    } else if ((m = FIELD.matcher(line)).matches()) {
      message.addField(field(message, m.group(1), m.group(2), m.group(3), Integer.parseInt(m.group(4))));
    } else {
      throw new IllegalArgumentException("Cannot read '" + line
          + "': write it as in a .proto file, e.g. 'int64 price_cents = 3'");
    }
  }

  private static FieldDescriptorProto field(DescriptorProto.Builder message, String label, String type,
      String name, int number) {
    FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setLabel("repeated ".equals(label) ? Label.LABEL_REPEATED : Label.LABEL_OPTIONAL);
    if (type.equals("Money")) field.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".lab07.Money");
    else field.setType(FieldDescriptorProto.Type.valueOf("TYPE_" + type.toUpperCase(Locale.ROOT)));
    if ("optional ".equals(label)) {
      // protoc writes a proto3 `optional` field as the only member of a oneof named after it.
      field.setProto3Optional(true).setOneofIndex(message.getOneofDeclCount());
      message.addOneofDecl(OneofDescriptorProto.newBuilder().setName("_" + name));
    }
    return field.build();
  }
}
