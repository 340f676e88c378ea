///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/avro/*.java
//SOURCES ../../labs/14-schema-compatibility/Schema.java ../../solutions/14-schema-compatibility/SchemaRegistry.java
//SOURCES ../src/workbook/test/*.java ../src/workbook/log/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lab 14's solution judged by Apache Avro's own SchemaCompatibility: on every pair of a corpus,
 * the lab's verdict must be Avro's, except where the lab's README says it simplifies (Avro's
 * widenings: an int read as a long, a string as bytes), and there the lab must be the stricter.
 * The lab's own test compares a learner's code with Avro on generated cases as well.
 */
@DisplayName("Workbook: lab 14's verdicts against Apache Avro's SchemaCompatibility")
@Timeout(60)
class Lab14AvroJudgeTest {
  public static void main(String[] args) { workbook.test.LabTests.run(Lab14AvroJudgeTest.class, args); }

  /** One field "x" in every shape the lab can write, or absent (null), next to a field both sides share. */
  static final List<String> VARIANTS = java.util.Arrays.asList(null, "x: string", "x: string = a", "x: int", "x: int = 0",
      "x: long", "x: long = 7", "x: double = 0", "x: boolean = false", "x: string?", "x: string? = null",
      "x: int? = null", "x: string? = a");

  /** Avro's promotions (reader type <- writer type) that the lab leaves out on purpose. */
  static final Set<String> WIDENINGS = Set.of("long<-int", "float<-int", "double<-int", "float<-long", "double<-long",
      "double<-float", "bytes<-string", "string<-bytes");

  @Test
  @DisplayName("one field in every shape, read by every shape: Avro's verdict, or the lab stricter where it says so")
  void fieldByField() {
    List<String> disagreements = new ArrayList<>();
    int agreed = 0, simplified = 0;
    for (String readerField : VARIANTS) {
      for (String writerField : VARIANTS) {
        Schema reader = schema(1, readerField), writer = schema(2, writerField);
        boolean lab = Compatibility.problems(reader, writer).isEmpty();
        boolean avro = avroReads(reader, writer);
        boolean widening = widening(reader, writer);
        String pair = "reader {" + readerField + "} writer {" + writerField + "}: lab " + verdict(lab) + ", Avro " + verdict(avro);
        if (widening && (lab || !avro)) disagreements.add(pair + " (a widening: the lab should refuse it, Avro accept it)");
        else if (!widening && lab != avro) disagreements.add(pair);
        else if (widening) simplified++;
        else agreed++;
      }
    }
    System.out.println("  lab 14 vs Avro: " + agreed + " pairs agree, " + simplified + " are widenings the lab refuses on purpose");
    assertThat(disagreements).as("pairs where lab 14's solution and Avro's SchemaCompatibility disagree").isEmpty();
  }

  @Test
  @DisplayName("the changes of lab 14's table, under BACKWARD, FORWARD and FULL: Avro's verdicts")
  void modes() {
    Schema v1 = Schema.of("order.placed", 1, "orderId: string, amount: double, currency: string = EUR");
    List<Schema> changes = List.of(v1.plus("channel: string = web"), v1.plus("channel: string"), v1.minus("currency"),
        v1.minus("amount"), v1.replace("amount", "amount: string"), v1.replace("amount", "total: double"),
        v1.plus("coupon: string? = null"), v1.plus("coupon: string?"), v1.replace("currency", "currency: int? = null"),
        v1.replace("currency", "currencyCode: string = EUR"));
    List<String> disagreements = new ArrayList<>();
    for (Schema v2 : changes) {
      for (SchemaRegistry.Mode mode : List.of(SchemaRegistry.Mode.BACKWARD, SchemaRegistry.Mode.FORWARD, SchemaRegistry.Mode.FULL)) {
        boolean lab = SchemaRegistry.problems(mode, v2, v1).isEmpty();
        boolean newReadsOld = avroReads(v2, v1), oldReadsNew = avroReads(v1, v2);
        boolean avro = switch (mode) {
          case BACKWARD -> newReadsOld;
          case FORWARD -> oldReadsNew;
          default -> newReadsOld && oldReadsNew;
        };
        if (lab != avro) disagreements.add(mode + " " + v2 + ": lab " + verdict(lab) + ", Avro " + verdict(avro));
      }
    }
    assertThat(disagreements).as("modes where lab 14's registry and Avro disagree").isEmpty();
  }

  @Test
  @DisplayName("a null default on a plain string: refused by the lab and by Avro alike")
  void nullDefaultNeedsAUnion() {
    assertThat(catchThrowable(() -> Schema.Field.parse("coupon: string = null"))).as("the lab")
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(catchThrowable(() -> new org.apache.avro.Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"coupon\",\"type\":\"string\",\"default\":null}]}")))
        .as("Avro's parser").isInstanceOf(org.apache.avro.AvroTypeException.class);
  }

  // --- the lab's schemas as Avro records --------------------------------------------------------

  static Schema schema(int version, String field) {
    return Schema.of("order.placed", version, "id: string" + (field == null ? "" : ", " + field));
  }

  static boolean avroReads(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(avro(reader), avro(writer)).getType()
        == SchemaCompatibilityType.COMPATIBLE;
  }

  /** The record as Avro JSON: "T?" is the union ["null", T] (or [T, "null"] when its default is not null). */
  static org.apache.avro.Schema avro(Schema schema) {
    String fields = schema.fields().stream().map(f -> {
      String type = "\"" + f.type() + "\"";
      if (f.nullable()) type = f.hasDefault() && f.defaultValue() != null ? "[" + type + ",\"null\"]" : "[\"null\"," + type + "]";
      String json = "{\"name\":\"" + f.name() + "\",\"type\":" + type;
      if (f.hasDefault()) json += ",\"default\":" + (f.defaultValue() instanceof String s ? "\"" + s + "\"" : f.defaultValue());
      return json + "}";
    }).collect(Collectors.joining(","));
    return new org.apache.avro.Schema.Parser().parse("{\"type\":\"record\",\"name\":\"OrderPlaced\",\"fields\":[" + fields + "]}");
  }

  /** A pair the lab refuses on purpose: the writer's value fits the reader through one of Avro's widenings. */
  static boolean widening(Schema reader, Schema writer) {
    for (Schema.Field r : reader.fields()) {
      Schema.Field w = writer.field(r.name()).orElse(null);
      if (w == null || r.reads(w)) continue;
      boolean nullFits = r.nullable() || !w.nullable();
      boolean valueFits = r.type() == w.type() || WIDENINGS.contains(r.type() + "<-" + w.type());
      if (nullFits && valueFits) return true;
    }
    return false;
  }

  static String verdict(boolean compatible) { return compatible ? "compatible" : "INCOMPATIBLE"; }
}
