///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../src/workbook/grpc/LocalGrpc.java
//SOURCES ../../solutions/07-proto-evolution/SchemaCheck.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lab 07's solution checker judged by the real `buf breaking` (WIRE_JSON plus FIELD_SAME_CARDINALITY,
 * the rules its README says it mirrors) on a corpus of .proto pairs: the same verdict on every pair.
 * buf comes from npm (@bufbuild/buf ships the binary); without npm the test is skipped.
 */
@DisplayName("Workbook: lab 07's checker against buf breaking")
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class Lab07BufJudgeTest {
  public static void main(String[] args) { workbook.test.LabTests.run(Lab07BufJudgeTest.class, args); }

  static final String BUF_VERSION = "1.75.0";
  /** The rules the lab's README names: buf's WIRE_JSON, plus FIELD_SAME_CARDINALITY and FIELD_SAME_TYPE of its FILE category. */
  static final String RULES = "{\"version\":\"v2\",\"breaking\":{\"use\":[\"WIRE_JSON\",\"FIELD_SAME_CARDINALITY\",\"FIELD_SAME_TYPE\"]}}";
  static final String WIRE_JSON_ONLY = "{\"version\":\"v2\",\"breaking\":{\"use\":[\"WIRE_JSON\"]}}";

  /** name -> {before, after}: the messages of one .proto file at two moments, and whether the lab calls it breaking. */
  static final Map<String, String[]> CASES = new LinkedHashMap<>();

  static void pair(String name, boolean breaking, String before, String after) {
    CASES.put(name, new String[] {before, after, String.valueOf(breaking)});
  }

  static {
    String product = "message Product { string sku = 1; string name = 2; int64 price_cents = 3; string colour = 4; }";
    pair("add_field", false, product,
        "message Product { string sku = 1; string name = 2; int64 price_cents = 3; string colour = 4; optional int32 weight_grams = 5; }");
    pair("remove_reserved", false, product,
        "message Product { reserved 4; reserved \"colour\"; string sku = 1; string name = 2; int64 price_cents = 3; }");
    pair("remove_unreserved", true, product, "message Product { string sku = 1; string name = 2; int64 price_cents = 3; }");
    pair("remove_number_reserved_only", true, product,
        "message Product { reserved 4; string sku = 1; string name = 2; int64 price_cents = 3; }");
    pair("remove_name_reserved_only", true, product,
        "message Product { reserved \"colour\"; string sku = 1; string name = 2; int64 price_cents = 3; }");
    pair("renumber", true, "message P { string sku = 1; string name = 2; }", "message P { string sku = 1; string name = 7; }");
    pair("reservation_lifted", true, "message P { reserved 4; reserved \"colour\"; string sku = 1; }", "message P { string sku = 1; }");
    pair("reservation_reused", true, "message P { reserved 4; reserved \"colour\"; string sku = 1; }",
        "message P { reserved \"colour\"; string sku = 1; int32 weight_grams = 4; }");
    pair("reserve_unused_number", false, "message P { string sku = 1; }", "message P { string sku = 1; reserved 9; }");
    pair("int64_to_string", true, "message P { int64 price_cents = 3; }", "message P { string price_cents = 3; }");
    pair("int32_to_int64", true, "message P { int32 weight = 5; }", "message P { int64 weight = 5; }");
    pair("int32_to_sint32", true, "message P { int32 stock = 9; }", "message P { sint32 stock = 9; }");
    pair("singular_to_repeated", true, "message P { string tag = 8; }", "message P { repeated string tag = 8; }");
    pair("plain_to_optional", true, "message P { int32 weight = 5; }", "message P { optional int32 weight = 5; }");
    pair("optional_to_plain", true, "message P { optional int32 weight = 5; }", "message P { int32 weight = 5; }");
    pair("message_type_changed", true, "message P { M m = 1; } message M { string a = 1; } message N { string a = 1; }",
        "message P { N m = 1; } message M { string a = 1; } message N { string a = 1; }");
    pair("rename", true, "message P { string name = 2; }", "message P { string title = 2; }");
    pair("json_name_changed", true, "message P { string name = 2; }", "message P { string name = 2 [json_name = \"title\"]; }");
    pair("json_name_spelled_out", false, "message P { string price_cents = 3; }",
        "message P { string price_cents = 3 [json_name = \"priceCents\"]; }");
    pair("into_oneof", true, "message P { string email = 3; }", "message P { oneof contact { string email = 3; } }");
    pair("out_of_oneof", true, "message P { oneof contact { string email = 3; string phone = 4; } }",
        "message P { string email = 3; oneof contact { string phone = 4; } }");
    pair("between_oneofs", true, "message P { oneof contact { string email = 3; } }", "message P { oneof reach { string email = 3; } }");
    pair("oneof_member_added", false, "message P { oneof contact { string email = 3; } }",
        "message P { oneof contact { string email = 3; string phone = 4; } }");
    pair("oneof_member_removed_reserved", false, "message P { oneof contact { string email = 3; string phone = 4; } }",
        "message P { reserved 4; reserved \"phone\"; oneof contact { string email = 3; } }");
    pair("nested_type_changed", true, "message P { message D { int32 width = 1; } D size = 7; }",
        "message P { message D { int64 width = 1; } D size = 7; }");
    pair("nested_field_removed", true, "message P { message D { int32 width = 1; int32 depth = 2; } D size = 7; }",
        "message P { message D { int32 width = 1; } D size = 7; }");
    pair("nested_field_added", false, "message P { message D { int32 width = 1; } D size = 7; }",
        "message P { message D { int32 width = 1; int32 depth = 2; } D size = 7; }");
    pair("map_value_retyped", true, "message P { map<string, int32> stock = 3; }", "message P { map<string, int64> stock = 3; }");
    pair("unused_message_removed", false, "message P { string sku = 1; } message Old { string a = 1; }", "message P { string sku = 1; }");
    pair("lines_moved", false, "message P { string sku = 1; string name = 2; }", "message P { string name = 2; string sku = 1; }");
    pair("deprecated", false, "message P { int64 price_cents = 3; }", "message P { int64 price_cents = 3 [deprecated = true]; }");
    pair("int32_to_uint32", true, "message P { int32 stock = 9; }", "message P { uint32 stock = 9; }");
    pair("fixed64_to_sfixed64", true, "message P { fixed64 id = 1; }", "message P { sfixed64 id = 1; }");
    pair("message_swapped_for_same_shaped_nested", true,
        "message P { Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } Money price = 6; }"
            + " message Money { int64 minor_units = 1; string currency = 2; }");
    pair("reserved_range_covers_removal", false, "message P { string sku = 1; string note = 5; }",
        "message P { reserved 4 to 6; reserved \"note\"; string sku = 1; }");
    pair("field_next_to_reserved_range", false, "message P { reserved 4 to 6; string sku = 1; }",
        "message P { reserved 4 to 6; string sku = 1; int32 stock = 7; }");
    pair("renamed_and_moved_into_oneof", true, "message P { string email = 3; }", "message P { oneof contact { string mail = 3; } }");
    pair("message_field_gains_optional", false, "message P { M m = 1; } message M { string a = 1; }",
        "message P { optional M m = 1; } message M { string a = 1; }");
    pair("renamed_keeping_json_name", true, "message P { int64 price_cents = 3; }", "message P { int64 priceCents = 3; }");
    // A reservation holds the name as the .proto spells it, never the JSON name (lab 07's step 4, round f1).
    pair("snake_case_removal_reserved", false, "message P { string sku = 1; string shelf_colour = 4; }",
        "message P { reserved 4; reserved \"shelf_colour\"; string sku = 1; }");
    pair("snake_case_removal_json_name_reserved", true, "message P { string sku = 1; string shelf_colour = 4; }",
        "message P { reserved 4; reserved \"shelfColour\"; string sku = 1; }");
    pair("kept_field_renamed_to_reserved_name", true, "message P { reserved \"shelf_colour\"; string sku = 1; string title = 2; }",
        "message P { string sku = 1; string shelf_colour = 2; }");
    pair("reserved_number_and_name_taken_back", true, "message P { reserved 4; reserved \"shelf_colour\"; string sku = 1; }",
        "message P { string sku = 1; string shelf_colour = 4; }");
    // Names and JSON names are case-sensitive; a oneof is known by its name, not its place (lab 07, round f2).
    pair("json_name_case_changed", true, "message P { string name = 2 [json_name = \"title\"]; }",
        "message P { string name = 2 [json_name = \"Title\"]; }");
    pair("removal_reserved_name_other_case", true, "message P { string sku = 1; string colour = 4; }",
        "message P { reserved 4; reserved \"Colour\"; string sku = 1; }");
    pair("new_field_named_like_reserved_other_case", false, "message P { reserved 4; reserved \"colour\"; string sku = 1; }",
        "message P { reserved 4; reserved \"colour\"; string sku = 1; string Colour = 7; }");
    pair("oneof_declared_before_another", false, "message P { oneof contact { string email = 3; } }",
        "message P { oneof reach { string phone = 4; } oneof contact { string email = 3; } }");
    pair("lab07_real_change", false, product + " message Money { int64 minor_units = 1; string currency = 2; }",
        "message Product { reserved 4; reserved \"colour\"; string sku = 1; string name = 2;"
            + " int64 price_cents = 3 [deprecated = true]; optional int32 weight_grams = 5; Money price = 6; }"
            + " message Money { int64 minor_units = 1; string currency = 2; }");
    // f15b: a message or enum type swapped for one of the same shape elsewhere, in every place a field can be.
    pair("f15_swap_for_nested_in_another_message", true, "message P { Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; } message Other { message Money { int64 minor_units = 1; string currency = 2; } }",
        "message P { Other.Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; } message Other { message Money { int64 minor_units = 1; string currency = 2; } }");
    pair("f15_swap_nested_for_top_level", true, "message P { message Money { int64 minor_units = 1; string currency = 2; } Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } .f15_swap_nested_for_top_level.Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_swap_inside_nested_message", true, "message P { message D { Money m = 1; } D d = 2; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message D { message Money { int64 minor_units = 1; string currency = 2; } Money m = 1; } D d = 2; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_swap_repeated", true, "message P { repeated Money prices = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } repeated Money prices = 6; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_swap_oneof_member", true, "message P { oneof p { Money price = 6; string free = 7; } } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } oneof p { Money price = 6; string free = 7; } } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_swap_optional_message", true, "message P { optional Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } optional Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_swap_map_value", true, "message P { map<string, Money> prices = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { message Money { int64 minor_units = 1; string currency = 2; } map<string, Money> prices = 6; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_message_renamed_same_shape", true, "message P { Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { Price price = 6; } message Price { int64 minor_units = 1; string currency = 2; }");
    pair("f15_enum_swap_for_nested", true, "message P { Status s = 1; } enum Status { STATUS_UNKNOWN = 0; STATUS_ACTIVE = 1; }",
        "message P { enum Status { STATUS_UNKNOWN = 0; STATUS_ACTIVE = 1; } Status s = 1; } enum Status { STATUS_UNKNOWN = 0; STATUS_ACTIVE = 1; }");
    pair("f15_enum_swap_for_other", true, "message P { Status s = 1; } enum Status { STATUS_UNKNOWN = 0; STATUS_ACTIVE = 1; } enum Colour { COLOUR_UNKNOWN = 0; COLOUR_ACTIVE = 1; }",
        "message P { Colour s = 1; } enum Status { STATUS_UNKNOWN = 0; STATUS_ACTIVE = 1; } enum Colour { COLOUR_UNKNOWN = 0; COLOUR_ACTIVE = 1; }");
    pair("f15_same_message_kept", false, "message P { message Money { int64 minor_units = 1; string currency = 2; } Money price = 6; } message Money { int64 minor_units = 1; string currency = 2; }", "message P { message Money { int64 minor_units = 1; string currency = 2; } Money price = 6; string sku = 1; } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("f15_nested_message_kept_reordered", false, "message P { message D { Money m = 1; } D d = 2; } message Money { int64 minor_units = 1; string currency = 2; }",
        "message P { D d = 2; message D { Money m = 1; } } message Money { int64 minor_units = 1; string currency = 2; }");
    pair("lab07_careless_change", true, product,
        "message Product { string sku = 1; string title = 2; string price_cents = 3; int32 weight_grams = 4; }");
  }

  static Path work;
  static Path buf;

  @BeforeAll
  @Timeout(170) // the first run downloads buf from npm
  static void installBuf() throws Exception {
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "workbook-buf-" + BUF_VERSION);
    buf = cache.resolve("node_modules/.bin/buf");
    if (!Files.isExecutable(buf)) {
      String npm = System.getProperty("os.name").startsWith("Windows") ? "npm.cmd" : "npm";
      Assumptions.assumeTrue(onPath(npm), "npm is not on the PATH: this comparison runs where npm is (CI)");
      Files.createDirectories(cache);
      Run install = run(cache, 150, npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "@bufbuild/buf@" + BUF_VERSION);
      Assumptions.assumeTrue(install.code == 0 && Files.isExecutable(buf), "npm could not install @bufbuild/buf: " + install.out);
    }
    work = Files.createTempDirectory("workbook-buf-judge-");
    Map<String, String[]> files = new LinkedHashMap<>();
    CASES.forEach((name, c) -> files.put(name, new String[] {"syntax = \"proto3\";\npackage " + name + ";\n" + c[0] + "\n",
        "syntax = \"proto3\";\npackage " + name + ";\n" + c[1] + "\n"}));
    build(work.resolve("corpus"), files);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (work == null) return;
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @DisplayName("on every pair of the corpus, the solution's checker and buf (WIRE_JSON + FIELD_SAME_CARDINALITY + FIELD_SAME_TYPE) agree")
  void sameVerdicts() throws Exception {
    Path dir = work.resolve("corpus");
    Set<String> bufBreaks = bufBreaking(dir, RULES);
    Map<String, FileDescriptor> before = descriptors(dir.resolve("before.binpb")), after = descriptors(dir.resolve("after.binpb"));
    List<String> disagreements = new ArrayList<>();
    for (Map.Entry<String, String[]> c : CASES.entrySet()) {
      String name = c.getKey();
      List<SchemaCheck.Finding> findings = SchemaCheck.check(before.get(name + ".proto"), after.get(name + ".proto"));
      boolean lab = !findings.isEmpty(), byBuf = bufBreaks.contains(name), expected = Boolean.parseBoolean(c.getValue()[2]);
      if (lab != byBuf || lab != expected) {
        disagreements.add(name + ": checker " + (lab ? "breaking " + findings : "safe") + ", buf " + (byBuf ? "breaking" : "safe")
            + ", the lab's README " + (expected ? "breaking" : "safe"));
      }
    }
    System.out.println("  lab 07 vs buf " + BUF_VERSION + ": " + (CASES.size() - disagreements.size()) + " of " + CASES.size() + " pairs agree");
    assertThat(disagreements).as("pairs where lab 07's checker, buf and the README disagree").isEmpty();
  }

  @Test
  @DisplayName("buf's FILE category rejects a removal with its number and name reserved, which the wire does not mind")
  void fileCategoryIsStricter() throws Exception {
    Set<String> fileBreaks = bufBreaking(work.resolve("corpus"), "{\"version\":\"v2\",\"breaking\":{\"use\":[\"FILE\"]}}");
    assertThat(fileBreaks).as("cases FILE calls breaking (the README says why this lab does not use FILE)")
        .contains("remove_reserved", "unused_message_removed");
  }

  @Test
  @DisplayName("WIRE_JSON alone lets int32 become uint32 (the bytes parse, -1 reads as 4294967295); the lab, like FIELD_SAME_TYPE, does not")
  void wireJsonAloneIsLaxer() throws Exception {
    Set<String> wireJson = bufBreaking(work.resolve("corpus"), WIRE_JSON_ONLY);
    assertThat(wireJson).as("cases WIRE_JSON alone calls breaking (the README says why the lab adds FIELD_SAME_TYPE)")
        .doesNotContain("int32_to_uint32", "fixed64_to_sfixed64").contains("int32_to_int64", "message_swapped_for_same_shaped_nested");
  }

  /**
   * Hundreds of generated schema pairs, judged in one buf run: a random message (scalar, message and map fields,
   * oneofs, optional and repeated, json_name, reserved numbers, ranges and names, a nested message) and a version
   * of it after one to three random changes of the kinds the lab classifies. The same seed makes the same pairs:
   * LAB07_SEED=n (or -Dlab07.seed=n) repeats a run, LAB07_CASES=n sets how many pairs.
   */
  @Test
  @DisplayName("on hundreds of generated pairs (seed printed), the solution's checker and buf agree")
  void generatedPairs() throws Exception {
    long seed = Long.parseLong(setting("lab07.seed", "LAB07_SEED", String.valueOf(new Random().nextLong())));
    int count = Integer.parseInt(setting("lab07.cases", "LAB07_CASES", "400"));
    System.out.println("  generated pairs: seed " + seed + " (LAB07_SEED=" + seed + " repeats them), " + count + " pairs");
    Random random = new Random(seed);
    Map<String, String[]> files = new LinkedHashMap<>();
    Map<String, List<String>> changes = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = String.format("g%04d", i);
      SchemaPair pair = new SchemaPair(random, name);
      files.put(name, new String[] {pair.before(), pair.after()});
      changes.put(name, pair.changes);
    }
    long started = System.nanoTime();
    Path dir = work.resolve("generated");
    build(dir, files);
    Set<String> bufBreaks = bufBreaking(dir, RULES);
    System.out.println("  buf build and breaking, all pairs in one run: " + (System.nanoTime() - started) / 1_000_000 + " ms");
    Map<String, FileDescriptor> before = descriptors(dir.resolve("before.binpb")), after = descriptors(dir.resolve("after.binpb"));
    List<String> disagreements = new ArrayList<>();
    int breaking = 0;
    for (String name : files.keySet()) {
      boolean lab = !SchemaCheck.check(before.get(name + ".proto"), after.get(name + ".proto")).isEmpty(), byBuf = bufBreaks.contains(name);
      if (byBuf) breaking++;
      if (lab != byBuf) disagreements.add(name);
    }
    System.out.println("  lab 07 vs buf " + BUF_VERSION + ": " + (count - disagreements.size()) + " of " + count
        + " generated pairs agree (" + breaking + " breaking, " + (count - breaking) + " safe by buf)");
    // The generator must stay worth its run: every kind of change made, and both verdicts common.
    Map<String, Integer> kinds = new java.util.TreeMap<>();
    changes.values().forEach(list -> list.forEach(c -> kinds.merge(c.split(" ")[0], 1, Integer::sum)));
    System.out.println("  changes made: " + kinds);
    assertThat(kinds.keySet()).as("kinds of change the generator made in %d pairs (seed %d)", count, seed)
        .containsAll(SchemaPair.KINDS);
    assertThat(Math.min(breaking, count - breaking)).as("the rarer verdict of buf in %d pairs (seed %d)", count, seed)
        .isGreaterThanOrEqualTo(count / 10);
    if (!disagreements.isEmpty()) {
      String smallest = disagreements.stream().min(Comparator.comparingInt(n -> files.get(n)[0].length() + files.get(n)[1].length())).get();
      List<SchemaCheck.Finding> findings = SchemaCheck.check(before.get(smallest + ".proto"), after.get(smallest + ".proto"));
      Run bufSays = run(dir, 60, buf.toString(), "breaking", "after.binpb", "--against", "before.binpb", "--config", RULES,
          "--path", smallest + ".proto");
      disagreements.stream().limit(10).forEach(n -> System.out.println("  disagreement " + n + " after " + changes.get(n)));
      System.out.println("  the smallest of " + disagreements.size() + " disagreements: " + smallest + " (seed " + seed + "), after "
          + changes.get(smallest) + "\n--- before\n" + files.get(smallest)[0] + "--- after\n" + files.get(smallest)[1]
          + "--- checker: " + (findings.isEmpty() ? "safe" : findings) + "\n--- buf: " + (bufSays.out.isBlank() ? "safe" : bufSays.out.strip()));
    }
    assertThat(disagreements).as("generated pairs (seed %d) where lab 07's checker and buf disagree; the smallest is printed above", seed)
        .isEmpty();
  }

  static String setting(String property, String env, String otherwise) {
    String value = System.getProperty(property, System.getenv(env));
    return value == null || value.isBlank() ? otherwise : value.strip();
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** The cases (by package name) in which buf finds at least one breaking change under these rules. */
  static Set<String> bufBreaking(Path dir, String config) throws Exception {
    Run r = run(dir, 60, buf.toString(), "breaking", "after.binpb", "--against", "before.binpb", "--config", config,
        "--error-format", "json");
    assertThat(r.code).as("buf breaking's exit code (0: nothing, 100: breaking changes): %s", r.out).isIn(0, 100);
    Set<String> cases = new TreeSet<>();
    Matcher m = Pattern.compile("\"path\":\"([\\w]+)\\.proto\"").matcher(r.out);
    while (m.find()) cases.add(m.group(1));
    return cases;
  }

  /** Writes each case as before/NAME.proto and after/NAME.proto (package NAME) and builds each side into one buf image. */
  static void build(Path dir, Map<String, String[]> files) throws Exception {
    for (int side = 0; side < 2; side++) {
      Path sideDir = Files.createDirectories(dir.resolve(side == 0 ? "before" : "after"));
      for (Map.Entry<String, String[]> f : files.entrySet()) {
        Files.writeString(sideDir.resolve(f.getKey() + ".proto"), f.getValue()[side], StandardCharsets.UTF_8);
      }
      Run build = run(sideDir, 60, buf.toString(), "build", "-o", dir.resolve(sideDir.getFileName() + ".binpb").toString());
      assertThat(build.code).as("buf build of the %s files: %s", sideDir.getFileName(), build.out).isZero();
    }
  }

  static Map<String, FileDescriptor> descriptors(Path image) throws Exception {
    // A buf image is wire-compatible with a FileDescriptorSet: the same field numbers.
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(image));
    Map<String, FileDescriptor> files = new LinkedHashMap<>();
    for (FileDescriptorProto file : set.getFileList()) files.put(file.getName(), FileDescriptor.buildFrom(file, new FileDescriptor[0]));
    return files;
  }

  record Run(int code, String out) {}

  static Run run(Path dir, int seconds, String... command) throws Exception {
    Path log = Files.createTempFile("workbook-buf-", ".log");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Run(-1, String.join(" ", command) + " did not finish within " + seconds + " s");
      }
      return new Run(p.exitValue(), Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) return true;
    }
    return false;
  }

  // --- the generator ------------------------------------------------------------------------------

  /**
   * A random proto3 file (message P with a nested message D, messages M and N of one shape) and a version of it
   * after one to three random changes, both valid for protoc and buf: numbers and names unique, JSON names too,
   * nothing that is reserved in use, oneof members singular. Changes within the lab's scope: no enums, services
   * or options other than json_name and deprecated, and the package stays.
   */
  static final class SchemaPair {
    static final String[] SCALARS = {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
        "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"};
    static final String[] NAMES = {"sku", "name", "price_cents", "colour", "weight_grams", "email", "phone", "tag",
        "stock", "note", "size_mm", "title", "material", "rating", "active", "width_mm", "depth_mm", "batch_id"};
    static final String[] JSON_NAMES = {"label", "mail", "cost", "heft", "tint", "code"};
    static final String[] ONEOFS = {"contact", "reach"};
    /** The first word of each kind of change's description (see change()), but the rare "turn" (a map into a scalar). */
    static final List<String> KINDS = List.of("add", "remove", "rename", "retype", "label", "json_name", "move",
        "reserve", "unreserve", "reuse:", "renumber", "swap", "deprecate", "reorder", "delete");
    static final String[] MAPS = {"map<string, int32>", "map<string, int64>", "map<int32, string>", "map<string, string>"};

    static final class Field {
      String name, label = "", type, oneof, json;
      int number;
      boolean deprecated;

      Field copy() {
        Field f = new Field();
        f.name = name; f.label = label; f.type = type; f.oneof = oneof; f.json = json; f.number = number; f.deprecated = deprecated;
        return f;
      }

      boolean isMap() { return type.startsWith("map<"); }
      boolean plain() { return label.isEmpty() && !isMap(); } // may join a oneof
    }

    static final class Msg {
      final List<Field> fields = new ArrayList<>();
      final List<int[]> ranges = new ArrayList<>(); // {start, end}, both included, as a .proto writes them
      final List<String> reservedNames = new ArrayList<>();

      Msg copy() {
        Msg m = new Msg();
        fields.forEach(f -> m.fields.add(f.copy()));
        ranges.forEach(r -> m.ranges.add(r.clone()));
        m.reservedNames.addAll(reservedNames);
        return m;
      }

      boolean reserved(int number) { return ranges.stream().anyMatch(r -> r[0] <= number && number <= r[1]); }
      boolean numberFree(int number) { return !reserved(number) && fields.stream().noneMatch(f -> f.number == number); }
      boolean nameFree(String name) {
        return !reservedNames.contains(name) && fields.stream().noneMatch(f -> key(f.name).equals(key(name))
            || f.json != null && key(f.json).equals(key(name)));
      }
      boolean jsonFree(String json, Field except) {
        return fields.stream().filter(f -> f != except).noneMatch(f -> key(jsonOf(f)).equals(key(json)) || key(f.name).equals(key(json)));
      }
    }

    final Random random;
    final String pkg;
    final List<String> changes = new ArrayList<>();
    Msg p = new Msg(), d = new Msg();
    boolean nestedM, hasN = true;
    String beforeText;

    SchemaPair(Random random, String pkg) {
      this.random = random;
      this.pkg = pkg;
      int fields = 1 + random.nextInt(5);
      for (int i = 0; i < fields; i++) addField(p, true);
      for (int i = random.nextInt(3); i > 0; i--) addField(d, false);
      if (random.nextInt(3) == 0) reserve(p);
      if (random.nextInt(3) == 0) reserve(p);
      nestedM = random.nextInt(6) == 0;
      beforeText = render();
      int n = 1 + random.nextInt(3);
      for (int tries = 0; changes.size() < n && tries < 50; tries++) change();
    }

    String before() { return beforeText; }
    String after() { return render(); }

    static String key(String name) { return name.replace("_", "").toLowerCase(java.util.Locale.ROOT); }

    /** protoc's JSON name: underscores dropped, the letter after each one upper-cased. */
    static String jsonOf(Field f) {
      if (f.json != null) return f.json;
      StringBuilder json = new StringBuilder();
      boolean upper = false;
      for (char c : f.name.toCharArray()) {
        if (c == '_') upper = true;
        else { json.append(upper ? Character.toUpperCase(c) : c); upper = false; }
      }
      return json.toString();
    }

    <T> T pick(List<T> items) { return items.get(random.nextInt(items.size())); }
    String pick(String[] items) { return items[random.nextInt(items.length)]; }

    int freeNumber(Msg m) {
      for (int tries = 0; tries < 100; tries++) {
        int n = 1 + random.nextInt(14);
        if (m.numberFree(n)) return n;
      }
      return -1;
    }

    String freeName(Msg m) {
      for (int tries = 0; tries < 100; tries++) {
        String name = pick(NAMES);
        if (m.nameFree(name)) return name;
      }
      return null;
    }

    String randomType(boolean inP, boolean mayBeMap) {
      int kind = random.nextInt(10);
      if (!inP || kind < 6) return pick(SCALARS);
      if (kind < 8) return pick(messageTypes());
      return mayBeMap ? pick(MAPS) : pick(SCALARS);
    }

    List<String> messageTypes() {
      List<String> types = new ArrayList<>(List.of("M", "D"));
      if (hasN) types.add("N");
      if (nestedM) types.add("P.M");
      return types;
    }

    boolean addField(Msg m, boolean inP) {
      int number = freeNumber(m);
      String name = freeName(m);
      if (number < 0 || name == null) return false;
      Field f = new Field();
      f.name = name;
      f.number = number;
      int shape = random.nextInt(6);
      f.type = randomType(inP, shape == 0);
      if (f.isMap()) {
        // a map is written without a label
      } else if (shape == 1) f.label = "optional ";
      else if (shape == 2) f.label = "repeated ";
      else if (shape == 3 && inP) f.oneof = pick(ONEOFS);
      m.fields.add(f);
      return true;
    }

    void reserve(Msg m) {
      if (random.nextBoolean()) {
        int start = 1 + random.nextInt(14), end = random.nextBoolean() ? start : start + random.nextInt(3);
        for (int n = start; n <= end; n++) if (!m.numberFree(n)) return;
        m.ranges.add(new int[] {start, end});
      } else {
        String name = freeName(m);
        if (name != null) m.reservedNames.add(name);
      }
    }

    /** One random change to the after version; records it if it applied. */
    void change() {
      Msg m = random.nextInt(4) == 0 ? d : p;
      boolean inP = m == p;
      String where = inP ? "" : " (in D)";
      Field f = m.fields.isEmpty() ? null : pick(m.fields);
      String what;
      switch (random.nextInt(16)) {
        case 0 -> { if (!addField(m, inP)) return; what = "add a field"; }
        case 1 -> {
          if (f == null) return;
          m.fields.remove(f);
          int reserve = random.nextInt(4);
          if (reserve % 2 == 1) m.ranges.add(new int[] {f.number, f.number});
          if (reserve >= 2) m.reservedNames.add(f.name);
          what = "remove " + f.name + (reserve == 3 ? ", reserve both" : reserve == 1 ? ", reserve the number" : reserve == 2 ? ", reserve the name" : "");
        }
        case 2 -> {
          if (f == null) return;
          String old = f.name, name;
          int how = random.nextInt(3);
          if (how == 0 && old.contains("_")) name = jsonOf(f);          // price_cents -> priceCents: same JSON name
          else if (how == 1) name = Character.toUpperCase(old.charAt(0)) + old.substring(1); // sku -> Sku
          else {
            name = freeName(m);
            if (name == null) return;
          }
          if (name.equals(old) || m.reservedNames.contains(name)) return;
          f.name = name;
          what = "rename " + old + " to " + name;
        }
        case 3 -> {
          if (f == null) return;
          String type = randomType(inP, f.plain() && f.oneof == null);
          if (type.equals(f.type) || f.isMap() && !type.startsWith("map<")) return; // a map stays a map here: see case 4
          what = "retype " + f.name + " from " + f.type + " to " + type;
          f.type = type;
        }
        case 4 -> {
          if (f == null || f.oneof != null) return;
          String[] labels = {"", "optional ", "repeated "};
          String label = labels[random.nextInt(3)];
          if (f.isMap()) { f.type = pick(SCALARS); f.label = label; what = "turn map " + f.name + " into " + label + f.type; }
          else if (label.equals(f.label)) return;
          else { what = "label " + f.name + " '" + f.label.strip() + "' to '" + label.strip() + "'"; f.label = label; }
        }
        case 5 -> {
          if (f == null) return;
          int how = random.nextInt(3);
          String json = how == 0 ? jsonOf(f) : how == 1 ? pick(JSON_NAMES) : null;
          if (json != null && !m.jsonFree(json, f) || java.util.Objects.equals(json, f.json)) return;
          what = "json_name of " + f.name + " from " + f.json + " to " + json;
          f.json = json;
        }
        case 6 -> {
          if (f == null || !inP || !f.plain()) return;
          String oneof = random.nextInt(3) == 0 ? null : pick(ONEOFS);
          if (java.util.Objects.equals(oneof, f.oneof)) return;
          what = "move " + f.name + " from oneof " + f.oneof + " to " + oneof;
          f.oneof = oneof;
        }
        case 7 -> {
          int before = m.ranges.size() + m.reservedNames.size();
          reserve(m);
          if (m.ranges.size() + m.reservedNames.size() == before) return;
          what = "reserve more";
        }
        case 8 -> {
          if (m.ranges.isEmpty() && m.reservedNames.isEmpty()) return;
          if (!m.ranges.isEmpty() && (m.reservedNames.isEmpty() || random.nextBoolean())) {
            int[] r = pick(m.ranges);
            m.ranges.remove(r);
            what = "unreserve " + r[0] + " to " + r[1];
          } else {
            what = "unreserve " + m.reservedNames.remove(random.nextInt(m.reservedNames.size()));
          }
        }
        case 9 -> {
          // reuse what was reserved: a field takes a reserved number and/or name, the reservation is dropped
          Field nf = new Field();
          nf.type = randomType(inP, false);
          nf.number = freeNumber(m);
          nf.name = freeName(m);
          if (!m.ranges.isEmpty() && random.nextBoolean()) {
            int[] r = pick(m.ranges);
            m.ranges.remove(r);
            nf.number = r[0] + random.nextInt(r[1] - r[0] + 1);
          } else if (!m.reservedNames.isEmpty()) {
            String name = pick(m.reservedNames);
            m.reservedNames.remove(name);
            if (!m.nameFree(name)) { m.reservedNames.add(name); return; }
            nf.name = name;
          } else return;
          if (nf.number < 0 || nf.name == null || !m.numberFree(nf.number) || !m.nameFree(nf.name)) return;
          m.fields.add(nf);
          what = "reuse: " + nf.type + " " + nf.name + " = " + nf.number;
        }
        case 10 -> {
          if (f == null) return;
          int number = freeNumber(m);
          if (number < 0) return;
          what = "renumber " + f.name + " from " + f.number + " to " + number;
          f.number = number;
        }
        case 11 -> {
          // a message field's type swapped for another message: N (same shape as M), or a nested P.M of the same shape
          Field mf = p.fields.stream().filter(x -> messageTypes().contains(x.type)).findFirst().orElse(null);
          if (mf == null) return;
          nestedM = true;
          List<String> others = new ArrayList<>(messageTypes());
          others.remove(mf.type);
          String type = pick(others);
          where = "";
          what = "swap " + mf.name + " from message " + mf.type + " to message " + type;
          mf.type = type;
        }
        case 12 -> {
          if (f == null) return;
          f.deprecated = !f.deprecated;
          what = (f.deprecated ? "deprecate " : "undeprecate ") + f.name;
        }
        case 13 -> {
          if (m.fields.size() < 2) return;
          java.util.Collections.shuffle(m.fields, random);
          what = "reorder the lines";
        }
        case 14 -> {
          if (!hasN || p.fields.stream().anyMatch(x -> x.type.equals("N"))) return;
          where = "";
          hasN = false;
          what = "delete the unused message N";
        }
        default -> {
          where = "";
          if (!nestedM) { nestedM = true; what = "add a nested message P.M"; }
          else if (p.fields.stream().noneMatch(x -> x.type.equals("P.M"))) { nestedM = false; what = "delete the unused nested P.M"; }
          else return;
        }
      }
      changes.add(what + where);
    }

    String render() {
      StringBuilder out = new StringBuilder("syntax = \"proto3\";\npackage " + pkg + ";\n");
      out.append("message P {\n").append(body(p, "  "));
      out.append("  message D {\n").append(body(d, "    ")).append("  }\n");
      if (nestedM) out.append("  message M { string a = 1; int64 b = 2; }\n");
      out.append("}\nmessage M { string a = 1; int64 b = 2; }\n");
      if (hasN) out.append("message N { string a = 1; int64 b = 2; }\n");
      return out.toString();
    }

    String body(Msg m, String indent) {
      StringBuilder out = new StringBuilder();
      for (int[] r : m.ranges) out.append(indent).append("reserved ").append(r[0]).append(r[1] > r[0] ? " to " + r[1] : "").append(";\n");
      for (String name : m.reservedNames) out.append(indent).append("reserved \"").append(name).append("\";\n");
      for (Field f : m.fields) if (f.oneof == null) out.append(indent).append(line(f));
      for (String oneof : ONEOFS) {
        if (m.fields.stream().noneMatch(f -> oneof.equals(f.oneof))) continue;
        out.append(indent).append("oneof ").append(oneof).append(" {\n");
        for (Field f : m.fields) if (oneof.equals(f.oneof)) out.append(indent).append("  ").append(line(f));
        out.append(indent).append("}\n");
      }
      return out.toString();
    }

    String line(Field f) {
      // Message types written in full: inside P, a plain "M" would mean P.M once P has one.
      String type = switch (f.type) {
        case "M", "N" -> "." + pkg + "." + f.type;
        case "D", "P.M" -> "." + pkg + ".P." + f.type.replace("P.", "");
        default -> f.type;
      };
      List<String> options = new ArrayList<>();
      if (f.json != null) options.add("json_name = \"" + f.json + "\"");
      if (f.deprecated) options.add("deprecated = true");
      return f.label + type + " " + f.name + " = " + f.number + (options.isEmpty() ? "" : " [" + String.join(", ", options) + "]") + ";\n";
    }
  }
}
