///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES SchemaRegistry.java MigratingConsumer.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workbook.test.LabTests;

@DisplayName("Lab 14: Event schema compatibility")
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // plain Java, no waits: anything slower is a hang
class SchemaCompatibilityTest {
  public static void main(String[] args) { LabTests.run(SchemaCompatibilityTest.class, args); }

  static final Schema V1 = Schema.of("order.placed", 1, "orderId: string, amount: double, currency: string = EUR");

  @Order(1) @Test @DisplayName("a schema is written as 'name: type = default', and plus/minus/replace make the next version")
  void schemaNotation() {
    Schema v2 = V1.plus("channel: string = web");
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.field("channel")).hasValueSatisfying(f -> assertThat(f.defaultValue()).isEqualTo("web"));
    assertThat(V1.field("amount")).hasValueSatisfying(f -> assertThat(f.hasDefault()).isFalse());
    assertThat(V1.minus("currency").field("currency")).isEmpty();
  }

  @Order(2) @Test @DisplayName("the first version of a topic's schema is accepted in every mode")
  void firstVersion() {
    for (SchemaRegistry.Mode mode : SchemaRegistry.Mode.values()) {
      assertThat(new SchemaRegistry(mode).register(V1).accepted()).as("first version under %s", mode).isTrue();
    }
  }

  @Order(3) @Test @DisplayName("only a nullable type ('string?', Avro's [\"null\", \"string\"]) may default to null")
  void nullNeedsNullable() {
    assertThat(catchThrowable(() -> Schema.Field.parse("coupon: string = null"))).as("a plain string with a null default")
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("coupon: string? = null");
    assertThat(Schema.Field.parse("coupon: string? = null").hasDefault()).as("a nullable string defaulting to null").isTrue();
  }

  @Nested
  @Tag("step1") @DisplayName("Step 1: can a reader decode what a writer wrote?")
  class Step1 {
    @Order(1) @Test @DisplayName("a schema reads its own data")
    void sameSchema() {
      assertThat(describe(Compatibility.problems(V1, V1))).as("TODO 1: v1 reading v1 data has no problem").isEmpty();
    }

    @Order(2) @Test @DisplayName("a field the data lacks is filled from the reader's default")
    void readerDefault() {
      Schema reader = V1.plus("channel: string = web");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: v2 has a default for channel, so old data without channel is fine").isEmpty();
    }

    @Order(3) @Test @DisplayName("a default of null is still a default")
    void nullDefault() {
      Schema reader = V1.plus("coupon: string? = null");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: use hasDefault(), not defaultValue() != null: 'coupon: string? = null' has a default").isEmpty();
    }

    @Order(4) @Test @DisplayName("a field the data lacks and the reader has no default for is a problem, named")
    void noDefault() {
      Schema reader = V1.plus("channel: string");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: v2 needs channel, v1 data has none, and v2 has no default: report Problem.noDefault")
          .containsExactly("channel NO_DEFAULT (v2 reads v1)");
    }

    @Order(5) @Test @DisplayName("fields in the data that the reader does not know are skipped")
    void extraFieldsSkipped() {
      Schema writer = V1.plus("channel: string");
      assertThat(describe(Compatibility.problems(V1, writer)))
          .as("TODO 1: only the reader's fields are checked; a decoder skips the writer's extra fields").isEmpty();
    }

    @Order(6) @Test @DisplayName("a field whose type changed is a problem")
    void typeChanged() {
      Schema reader = V1.replace("amount", "amount: string");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: v1 writes amount as a double, v2 reads it as a string: report Problem.typeChanged")
          .containsExactly("amount TYPE_CHANGED (v2 reads v1)");
    }

    @Order(7) @Test @DisplayName("a reader's default fills a missing field, never one written with another type")
    void defaultDoesNotExcuseType() {
      Schema reader = V1.replace("amount", "amount: string = unknown");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: v1 data HAS amount, as a double: v2's default is not used, and v2 cannot read a double as a string")
          .containsExactly("amount TYPE_CHANGED (v2 reads v1)");
    }

    @Order(8) @Test @DisplayName("nullability is part of the type: a plain string cannot read a string-or-null")
    void nullableIsAnotherType() {
      Schema writer = V1.plus("coupon: string? = null");
      Schema reader = Schema.of("order.placed", 3, "orderId: string, amount: double, currency: string = EUR, coupon: string = none");
      assertThat(describe(Compatibility.problems(reader, writer)))
          .as("TODO 1: v2 may write coupon as null, which v3's plain string cannot hold: compare with sameType(), not type() alone")
          .containsExactly("coupon TYPE_CHANGED (v3 reads v2)");
    }

    @Order(9) @Test @DisplayName("fields are matched by name, never by position: a rename is a new field")
    void byName() {
      Schema reader = V1.replace("amount", "total: double");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: look fields up by name (writer.field(name)); 'total' sits where 'amount' was, but v1 data has no 'total'")
          .containsExactly("total NO_DEFAULT (v2 reads v1)");
    }

    @Order(10) @Test @DisplayName("every problem is reported, not only the first")
    void allProblems() {
      Schema reader = Schema.of("order.placed", 2, "orderId: long, amount: double, channel: string");
      assertThat(describe(Compatibility.problems(reader, V1)))
          .as("TODO 1: collect a problem for every field that fails, so the author fixes them all at once")
          .containsExactlyInAnyOrder("orderId TYPE_CHANGED (v2 reads v1)", "channel NO_DEFAULT (v2 reads v1)");
    }
  }

  @Nested
  @Tag("step2") @DisplayName("Step 2: who reads whom, per mode")
  class Step2 {
    @Order(1) @ParameterizedTest(name = "{0}, under {1}: {2}")
    @MethodSource("table")
    @DisplayName("each change from v1 {orderId: string, amount: double, currency: string = EUR}")
    void table(String change, SchemaRegistry.Mode mode, String expected, Schema v2) {
      assertThat(verdict(SchemaRegistry.problems(mode, v2, V1)))
          .as("TODO 2: %s: %s; here v2 is %s", mode, meaning(mode), v2).isEqualTo(expected);
    }

    static Stream<Arguments> table() {
      return Stream.of(
          //  change                                  v2                                         BACKWARD                FORWARD                 FULL
          row("add a field with a default",          V1.plus("channel: string = web"),          "accepted",             "accepted",             "accepted"),
          row("add a field without a default",       V1.plus("channel: string"),                "channel NO_DEFAULT",   "accepted",             "channel NO_DEFAULT"),
          row("remove a field that had a default",   V1.minus("currency"),                      "accepted",             "accepted",             "accepted"),
          row("remove a field that had no default",  V1.minus("amount"),                        "accepted",             "amount NO_DEFAULT",    "amount NO_DEFAULT"),
          row("change a field's type",               V1.replace("amount", "amount: string"),    "amount TYPE_CHANGED",  "amount TYPE_CHANGED",  "amount TYPE_CHANGED"),
          row("rename a field",                      V1.replace("amount", "total: double"),     "total NO_DEFAULT",     "amount NO_DEFAULT",    "amount NO_DEFAULT, total NO_DEFAULT"))
          .flatMap(Stream::of);
    }

    @Order(2) @Test @DisplayName("BACKWARD: the new version is the reader, the old one the writer")
    void backwardDirection() {
      Schema v2 = V1.plus("channel: string");
      assertThat(describe(SchemaRegistry.problems(SchemaRegistry.Mode.BACKWARD, v2, V1)))
          .as("TODO 2: BACKWARD means consumers upgrade first, so v2 must read v1 data").containsExactly("channel NO_DEFAULT (v2 reads v1)");
    }

    @Order(3) @Test @DisplayName("FORWARD: the old version is the reader, the new one the writer")
    void forwardDirection() {
      Schema v2 = V1.minus("amount");
      assertThat(describe(SchemaRegistry.problems(SchemaRegistry.Mode.FORWARD, v2, V1)))
          .as("TODO 2: FORWARD means producers upgrade first, so v1 consumers must read v2 data").containsExactly("amount NO_DEFAULT (v1 reads v2)");
    }

    @Order(4) @Test @DisplayName("a transitive mode checks each pair in the same direction as its plain mode")
    void transitiveDirections() {
      Schema rename = V1.replace("amount", "total: double");
      for (String name : List.of("BACKWARD", "FORWARD", "FULL")) {
        SchemaRegistry.Mode plain = SchemaRegistry.Mode.valueOf(name), transitive = SchemaRegistry.Mode.valueOf(name + "_TRANSITIVE");
        assertThat(describe(SchemaRegistry.problems(transitive, rename, V1)))
            .as("TODO 2: %s differs from %s only in how many versions it checks, not in who reads whom", transitive, plain)
            .isEqualTo(describe(SchemaRegistry.problems(plain, rename, V1)));
      }
    }
  }

  @Nested
  @Tag("step3") @DisplayName("Step 3: transitive modes check every version")
  class Step3 {
    final Schema v1 = Schema.of("order.placed", 1, "orderId: string, amount: double");
    final Schema v2 = v1.plus("channel: string = web");
    final Schema v3 = v2.replace("channel", "channel: string");

    @Order(1) @Test @DisplayName("BACKWARD_TRANSITIVE turns v3 down: it cannot read the v1 events still in the topic")
    void backwardTransitive() {
      SchemaRegistry.Verdict verdict = registerAll(SchemaRegistry.Mode.BACKWARD_TRANSITIVE, v1, v2, v3);
      assertThat(describe(verdict.problems()))
          .as("TODO 3: v3 drops channel's default; v2 data has channel but v1 data does not, so a transitive mode must check v1 too")
          .containsExactly("channel NO_DEFAULT (v3 reads v1)");
    }

    @Order(2) @Test @DisplayName("FORWARD_TRANSITIVE turns down a removal that only the oldest consumers cannot survive")
    void forwardTransitive() {
      Schema f1 = Schema.of("order.placed", 1, "orderId: string, coupon: string");
      Schema f2 = f1.replace("coupon", "coupon: string = none");
      Schema f3 = f2.minus("coupon");
      assertThat(describe(registerAll(SchemaRegistry.Mode.FORWARD_TRANSITIVE, f1, f2, f3).problems()))
          .as("TODO 3: v2 consumers default the coupon, but v1 consumers still running have no default: check v1 too")
          .containsExactly("coupon NO_DEFAULT (v1 reads v3)");
    }

    @Order(3) @Test @DisplayName("a transitive mode checks the latest version too, not only the oldest")
    void transitiveIncludesLatest() {
      Schema t1 = Schema.of("order.placed", 1, "orderId: string");
      Schema t2 = t1.plus("channel: string = web");
      Schema t3 = t2.replace("channel", "channel: int = 0");
      assertThat(describe(registerAll(SchemaRegistry.Mode.BACKWARD_TRANSITIVE, t1, t2, t3).problems()))
          .as("TODO 3: v3 reads v1 (no channel: its default fills it) but not v2 (channel is a string there): check every version")
          .containsExactly("channel TYPE_CHANGED (v3 reads v2)");
    }

    @Order(4) @Test @DisplayName("plain BACKWARD checks the latest version only, so it lets v3 in")
    void plainBackward() {
      SchemaRegistry.Verdict verdict = registerAll(SchemaRegistry.Mode.BACKWARD, v1, v2, v3);
      assertThat(describe(verdict.problems()))
          .as("TODO 3: keep the plain modes to the latest version (as Confluent's BACKWARD does); only *_TRANSITIVE checks all").isEmpty();
    }
  }

  @Nested
  @Tag("step4") @DisplayName("Step 4: a consumer reads old and new events during a migration")
  class Step4 {
    final Schema v2 = V1.plus("channel: string = web");

    @Order(1) @Test @DisplayName("a consumer on v2 reads a v1 event and fills channel from its default")
    void newReadsOld() {
      Map<String, Object> record = readAs(v2, event("orderId", "o-1", "amount", 12.5, "currency", "EUR"));
      assertThat(record).as("TODO 4: the v1 event has no channel; v2's default is 'web'")
          .isEqualTo(event("orderId", "o-1", "amount", 12.5, "currency", "EUR", "channel", "web"));
    }

    @Order(2) @Test @DisplayName("a default fills only what is missing: a v2 event keeps its own channel")
    void valueBeatsDefault() {
      Map<String, Object> record = readAs(v2, event("orderId", "o-2", "amount", 30.0, "currency", "USD", "channel", "app"));
      assertThat(record).as("TODO 4: take the event's value when it has one; the default is for missing fields only")
          .containsEntry("channel", "app");
    }

    @Order(3) @Test @DisplayName("a consumer on v1 reads a v2 event and drops the field it does not know")
    void oldReadsNew() {
      Map<String, Object> record = readAs(V1, event("orderId", "o-2", "amount", 30.0, "currency", "USD", "channel", "app"));
      assertThat(record).as("TODO 4: return exactly the reader's fields; channel is not in v1, so it is skipped")
          .isEqualTo(event("orderId", "o-2", "amount", 30.0, "currency", "USD"));
    }

    @Order(4) @Test @DisplayName("a default of null is a value like any other")
    void nullDefault() {
      Map<String, Object> record = readAs(V1.plus("coupon: string? = null"), event("orderId", "o-1", "amount", 1.0));
      assertThat(record).as("TODO 4: coupon's default is null and currency's is EUR: use hasDefault(), not defaultValue() != null")
          .isEqualTo(event("orderId", "o-1", "amount", 1.0, "currency", "EUR", "coupon", null));
    }

    @Order(5) @Test @DisplayName("a null the producer sent is a value, not a missing field")
    void sentNullIsAValue() {
      Map<String, Object> record = readAs(V1.plus("channel: string? = web"), event("orderId", "o-4", "amount", 3.0, "currency", "EUR", "channel", null));
      assertThat(record).as("TODO 4: the event says channel is null; use event.containsKey(name), not event.get(name) != null: "
          + "the default is for fields the event lacks").containsEntry("channel", null);
    }

    @Order(6) @Test @DisplayName("a missing field without a default fails loudly, naming the field")
    void missingWithoutDefault() {
      MigratingConsumer consumer = new MigratingConsumer(V1.plus("channel: string"));
      assertThat(thrownBy(() -> consumer.read(event("orderId", "o-1", "amount", 12.5))))
          .as("TODO 4: throw IllegalArgumentException naming the field: a silent null would travel on into the business logic")
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channel");
    }

    @Order(7) @Test @DisplayName("a topic of mixed v1 and v2 events reads in order, every record in v2's shape")
    void mixedTopic() {
      List<Map<String, Object>> records = readAllAs(v2, List.of(
          event("orderId", "o-1", "amount", 12.5, "currency", "EUR"),
          event("orderId", "o-2", "amount", 30.0, "currency", "USD", "channel", "app"),
          event("amount", 7.0, "orderId", "o-3")));
      for (Map<String, Object> record : records) {
        assertThat(List.copyOf(record.keySet())).as("TODO 4: a record's fields in the reader's order (v2's), whatever the event's order")
            .containsExactly("orderId", "amount", "currency", "channel");
      }
      assertThat(records).as("TODO 4: every record has v2's four fields, in order, defaults filled in").containsExactly(
          event("orderId", "o-1", "amount", 12.5, "currency", "EUR", "channel", "web"),
          event("orderId", "o-2", "amount", 30.0, "currency", "USD", "channel", "app"),
          event("orderId", "o-3", "amount", 7.0, "currency", "EUR", "channel", "web"));
    }

    @Order(8) @Test @DisplayName("a rename with defaults on both sides passes FULL, yet old values read as the default")
    void renameLosesValues() {
      Schema renamed = V1.replace("currency", "currencyCode: string = EUR");
      Map<String, Object> record = readAs(renamed, event("orderId", "o-9", "amount", 99.0, "currency", "USD"));
      assertThat(record).as("TODO 4: a registry compares shapes, not meaning: the USD is lost, and this test shows it")
          .isEqualTo(event("orderId", "o-9", "amount", 99.0, "currencyCode", "EUR"));
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /** Each problem as "field RULE (vR reads vW)", so a failure shows all of it at a glance. */
  static List<String> describe(List<Compatibility.Problem> problems) {
    return problems.stream().map(p -> p.field() + " " + p.rule() + " (v" + p.reader() + " reads v" + p.writer() + ")").toList();
  }

  /** "accepted", or the fields and rules at fault in either direction, sorted. */
  static String verdict(List<Compatibility.Problem> problems) {
    if (problems.isEmpty()) return "accepted";
    return problems.stream().map(p -> p.field() + " " + p.rule()).distinct().sorted().collect(Collectors.joining(", "));
  }

  static Arguments[] row(String change, Schema v2, String backward, String forward, String full) {
    return new Arguments[] {
        Arguments.of(change, SchemaRegistry.Mode.BACKWARD, backward, v2),
        Arguments.of(change, SchemaRegistry.Mode.FORWARD, forward, v2),
        Arguments.of(change, SchemaRegistry.Mode.FULL, full, v2),
        Arguments.of(change, SchemaRegistry.Mode.NONE, "accepted", v2)};
  }

  static String meaning(SchemaRegistry.Mode mode) {
    return switch (mode) {
      case BACKWARD -> "the NEW schema reads data written with the OLD one (consumers upgrade first)";
      case FORWARD -> "the OLD schema reads data written with the NEW one (producers upgrade first)";
      case FULL -> "both: new reads old AND old reads new (either side may upgrade first)";
      case NONE -> "no check at all: every change is accepted";
      default -> "the same direction as " + mode.name().replace("_TRANSITIVE", "");
    };
  }

  /** The consumer's record; a refusal is a failure of step 4 (the read should have succeeded), not a crash. */
  static Map<String, Object> readAs(Schema reader, Map<String, Object> event) {
    try {
      return new MigratingConsumer(reader).read(event);
    } catch (IllegalArgumentException refused) {
      throw new AssertionError("TODO 4: a consumer on v" + reader.version() + " refused " + event + ", which it can read: "
          + refused.getMessage() + " (a default, even a null one, fills a missing field: use hasDefault())", refused);
    }
  }

  static List<Map<String, Object>> readAllAs(Schema reader, List<Map<String, Object>> topic) {
    try {
      return new MigratingConsumer(reader).readAll(topic);
    } catch (IllegalArgumentException refused) {
      throw new AssertionError("TODO 4: a consumer on v" + reader.version() + " refused an event of this topic, which it can read: "
          + refused.getMessage(), refused);
    }
  }

  /** What the call threw; a TODO's own exception is thrown on, since its message says it best. */
  static Throwable thrownBy(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    if (thrown instanceof UnsupportedOperationException todo) throw todo;
    return thrown;
  }

  static SchemaRegistry.Verdict registerAll(SchemaRegistry.Mode mode, Schema... versions) {
    SchemaRegistry registry = new SchemaRegistry(mode);
    SchemaRegistry.Verdict last = null;
    for (Schema version : versions) last = registry.register(version);
    return last;
  }

  /** A decoded event, fields in the order written (null values allowed, unlike Map.of). */
  static Map<String, Object> event(Object... namesAndValues) {
    Map<String, Object> event = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) event.put((String) namesAndValues[i], namesAndValues[i + 1]);
    return event;
  }
}
