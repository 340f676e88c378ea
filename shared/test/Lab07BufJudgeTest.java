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
  static final String RULES = "{\"version\":\"v2\",\"breaking\":{\"use\":[\"WIRE_JSON\",\"FIELD_SAME_CARDINALITY\"]}}";

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
    pair("lab07_real_change", false, product + " message Money { int64 minor_units = 1; string currency = 2; }",
        "message Product { reserved 4; reserved \"colour\"; string sku = 1; string name = 2;"
            + " int64 price_cents = 3 [deprecated = true]; optional int32 weight_grams = 5; Money price = 6; }"
            + " message Money { int64 minor_units = 1; string currency = 2; }");
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
    for (String side : List.of("before", "after")) {
      Path dir = Files.createDirectories(work.resolve(side));
      for (Map.Entry<String, String[]> c : CASES.entrySet()) {
        Files.writeString(dir.resolve(c.getKey() + ".proto"), "syntax = \"proto3\";\npackage " + c.getKey() + ";\n"
            + c.getValue()[side.equals("before") ? 0 : 1] + "\n", StandardCharsets.UTF_8);
      }
      Run build = run(dir, 60, buf.toString(), "build", "-o", work.resolve(side + ".binpb").toString());
      assertThat(build.code).as("buf build of the %s files: %s", side, build.out).isZero();
    }
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (work == null) return;
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @DisplayName("on every pair of the corpus, the solution's checker and buf (WIRE_JSON + FIELD_SAME_CARDINALITY) agree")
  void sameVerdicts() throws Exception {
    Set<String> bufBreaks = bufBreaking(RULES);
    Map<String, FileDescriptor> before = descriptors(work.resolve("before.binpb")), after = descriptors(work.resolve("after.binpb"));
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
    Set<String> fileBreaks = bufBreaking("{\"version\":\"v2\",\"breaking\":{\"use\":[\"FILE\"]}}");
    assertThat(fileBreaks).as("cases FILE calls breaking (the README says why this lab does not use FILE)")
        .contains("remove_reserved", "unused_message_removed");
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** The cases (by package name) in which buf finds at least one breaking change under these rules. */
  static Set<String> bufBreaking(String config) throws Exception {
    Run r = run(work, 60, buf.toString(), "breaking", "after.binpb", "--against", "before.binpb", "--config", config,
        "--error-format", "json");
    assertThat(r.code).as("buf breaking's exit code (0: nothing, 100: breaking changes): %s", r.out).isIn(0, 100);
    Set<String> cases = new TreeSet<>();
    Matcher m = Pattern.compile("\"path\":\"([\\w]+)\\.proto\"").matcher(r.out);
    while (m.find()) cases.add(m.group(1));
    return cases;
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
}
