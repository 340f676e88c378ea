import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import workbook.tool.base.Fs;
import workbook.tool.base.Progress;
import workbook.tool.base.UserError;
import workbook.tool.content.Labs;

/**
 * `open NN`: a Maven project of one lab that IntelliJ IDEA and VS Code import as it is. Its
 * pom.xml names, at the versions JBang resolves, every jar that `./jbang <the lab's test>` puts on
 * the class path (the lab's //DEPS, gRPC and Protobuf, the shared files' own //DEPS), each with
 * its dependencies excluded, so Maven needs no resolution of its own and works offline; its
 * source folders hold links to the lab's files and to the shared sources and generated stubs the
 * lab compiles with; Surefire runs the tests with the launcher's settings (LabTests).
 */
final class IdeProject {
  /** Pinned: Maven's built-in defaults (compiler 3.1, Surefire 2.12) predate Java 17 and JUnit 5. */
  static final String COMPILER_PLUGIN = "3.13.0";
  static final String SUREFIRE_PLUGIN = "3.5.2";
  static final String RESOURCES_PLUGIN = "3.3.1";

  /** Left in a project whose src/ holds copies: the system would not make links (Windows without the right). */
  private static final String COPIES = "COPIES.txt";

  /** A //DEPS line that names another source file (shared/src/workbook/grpc/LocalGrpc.java). */
  private static final Pattern SOURCE_DEP = Pattern.compile("^//DEPS\\s+(.*)$", Pattern.MULTILINE);

  /**
   * What JBang runs for a file: its sources, the jars of its class path, its JVM options, and the
   * files its sources' //FILES lines put in the class path (target path -> the file).
   */
  record Described(Set<Path> sources, Set<Path> jars, Set<String> runtimeOptions, Set<String> compileOptions,
      Map<String, Path> resources) {
    Described() {
      this(new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashMap<>());
    }
  }

  private IdeProject() {}

  static int open(Labs labs, Labs.Lab lab, List<String> editor) {
    System.out.println("Making an IDE project for lab " + lab.number() + "...");
    Path project = write(labs, lab);
    System.out.println("Open this folder in IntelliJ IDEA or VS Code: a Maven project whose pom.xml names every library the lab uses:");
    System.out.println("  " + project);
    if (Files.exists(project.resolve(COPIES))) {
      System.out.println("Its src/ files are copies (this system would not make links): edit labs/" + lab.slug()
          + " itself, and run open again to refresh them.");
    } else {
      System.out.println("Its src/ files are links to labs/" + lab.slug() + ": what you edit there is your lab (its README.md says how to run the tests).");
    }
    if (!editor.isEmpty()) launch(editor.get(0), project);
    return 0;
  }

  private static void launch(String editor, Path project) {
    try {
      new ProcessBuilder(editor, project.toString()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      System.out.println("Could not start '" + editor + "' (" + e.getMessage() + "): open the folder above from your IDE's File > Open.");
    }
  }

  /** Writes (or writes again) the project of a lab under .workbook/ide/ and returns its folder. */
  static Path write(Labs labs, Labs.Lab lab) {
    Path test = lab.testFile().orElseThrow(() -> new UserError("Lab " + lab.number() + " has no test file."));
    Described d = new Described();
    // JBang resolves what is missing first (minutes on a first run, on a slow network).
    try (Progress p = Progress.start("asking JBang what lab " + lab.number() + "'s files need (it downloads what is missing)")) {
      describe(labs.root, test, d, new LinkedHashSet<>());
      lab.demo().filter(demo -> !d.sources().contains(demo.toAbsolutePath().normalize()))
          .ifPresent(demo -> describe(labs.root, demo, d, new LinkedHashSet<>()));
    }
    Path dir = labs.root.resolve(".workbook/ide/" + lab.slug());
    try {
      Fs.delete(dir.resolve("src")); // links to files the lab may no longer have
      Files.deleteIfExists(dir.resolve(COPIES));
      Files.createDirectories(dir);
      for (Path source : d.sources()) link(labs.root, lab, dir, source);
      Path props = Files.createDirectories(dir.resolve("src/test/resources")).resolve("junit-platform.properties");
      Files.writeString(props, JUNIT_PROPERTIES);
      // What the sources' //FILES lines put in the class path (the workbook's JUnit extensions, HangOnce
      // and StepGate among them; the story page's style and script), as the tool's runs have them.
      Path resources = props.getParent();
      for (Map.Entry<String, Path> file : d.resources().entrySet()) {
        Path to = resources.resolve(file.getKey()).normalize();
        if (!to.startsWith(resources)) continue;
        Files.createDirectories(to.getParent());
        Files.copy(file.getValue(), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(dir.resolve("pom.xml"), pom(labs.root, lab, d));
      Files.writeString(dir.resolve("README.md"), readme(labs.root, lab));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the IDE project in " + dir, e);
    }
    return dir;
  }

  /**
   * For prefetch: Maven's own plugins (compiler, resources, Surefire and its JUnit provider), which
   * an IDE project's build needs and JBang never fetches, by building the first lab's project once
   * and running its step 1 (red on the starter: a failing test is no failure here).
   */
  static boolean prefetchMaven(Labs labs) {
    Labs.Lab lab = labs.all().get(0);
    Path project = write(labs, lab);
    List<String> cmd = new ArrayList<>(java.io.File.separatorChar == '\\' ? List.of("cmd", "/c", "mvn") : List.of("mvn"));
    cmd.addAll(List.of("-q", "-B", "test", "-Dgroups=step1", "-Dmaven.test.failure.ignore=true"));
    try (Progress progress = Progress.start("running Maven once on lab " + lab.number() + "'s IDE project, so its plugins work offline")) {
      Process p = new ProcessBuilder(cmd).directory(project.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(Labs.nullFile())).start();
      if (!p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false; // no mvn on the PATH
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The same settings as the workbook's own launcher (shared/src/workbook/test/LabTests.java). */
  static final String JUNIT_PROPERTIES = """
      # As ./jbang workbook@. test runs them (shared/src/workbook/test/LabTests.java): a safety net
      # under each class's own @Timeout, in its own thread so code that ignores interrupts still ends;
      # steps in order, and tests in their @Order.
      junit.jupiter.execution.timeout.default=60 s
      junit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD
      junit.jupiter.displayname.generator.default=org.junit.jupiter.api.DisplayNameGenerator$ReplaceUnderscores
      junit.jupiter.testclass.order.default=org.junit.jupiter.api.ClassOrderer$DisplayName
      junit.jupiter.testmethod.order.default=org.junit.jupiter.api.MethodOrderer$OrderAnnotation
      # The workbook's extensions (src/test/resources/META-INF/services): a hang is found once.
      junit.jupiter.extensions.autodetection.enabled=true
      """;

  /**
   * Asks JBang what it compiles and runs for a file (`jbang info tools`), and follows //DEPS
   * lines that name another source file: JBang builds those into a jar of its cache, the IDE
   * gets their sources instead (navigable, and links like the rest).
   */
  static void describe(Path root, Path file, Described into, Set<Path> seen) {
    Path f = file.toAbsolutePath().normalize();
    if (!seen.add(f)) return;
    JsonNode info = info(root, f);
    List<Path> sources = new ArrayList<>();
    info.path("sources").forEach(s -> sources.add(Path.of(s.path("backingResource").asText()).toAbsolutePath().normalize()));
    if (sources.isEmpty()) sources.add(f);
    into.sources().addAll(sources);
    info.path("files").forEach(r -> into.resources().put(r.path("target").asText(),
        Path.of(r.path("backingResource").asText()).toAbsolutePath().normalize()));
    info.path("runtimeOptions").forEach(o -> into.runtimeOptions().add(o.asText()));
    info.path("compileOptions").forEach(o -> into.compileOptions().add(o.asText()));
    List<Path> sourceDeps = new ArrayList<>();
    for (Path source : sources) {
      Matcher m = SOURCE_DEP.matcher(Labs.read(source));
      while (m.find()) {
        for (String dep : m.group(1).trim().split("\\s+")) {
          if (dep.endsWith(".java")) sourceDeps.add(source.getParent().resolve(dep).normalize());
        }
      }
    }
    Set<String> builtFromSource = new LinkedHashSet<>();
    sourceDeps.forEach(depFile -> builtFromSource.add(depFile.getFileName().toString().replaceFirst("\\.java$", ".jar")));
    // This file's class path first (it holds what the source //DEPS bring, as its run has them), then theirs.
    info.path("resolvedDependencies").forEach(j -> {
      Path jar = Path.of(j.asText());
      if (!builtFromSource.contains(jar.getFileName().toString())) into.jars().add(jar);
    });
    for (Path dep : sourceDeps) describe(root, dep, into, seen);
  }

  private static JsonNode info(Path root, Path file) {
    try {
      Labs.JbangInfo described = Labs.jbangInfo(root, file, null, 600);
      if (described.json().isEmpty()) {
        System.out.println(described.said().strip());
        throw new UserError("JBang could not describe " + root.relativize(file) + " (above): fix it, or run "
            + "./jbang workbook@. test with its lab to see why, then open again.");
      }
      return described.json().get();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }


  /**
   * One source as a link in the project: the lab's tests and the shared test helpers under
   * src/test/java, everything else under src/main/java, each in its package's folder.
   */
  private static void link(Path root, Labs.Lab lab, Path dir, Path source) throws IOException {
    boolean inLab = source.startsWith(lab.dir().toAbsolutePath().normalize());
    String relative = inLab ? source.getFileName().toString() : packagePath(source);
    boolean test = inLab ? source.getFileName().toString().endsWith("Test.java") : relative.startsWith("workbook/test/");
    Path link = dir.resolve(test ? "src/test/java" : "src/main/java").resolve(relative);
    Files.createDirectories(link.getParent());
    try {
      Files.createSymbolicLink(link, source);
    } catch (UnsupportedOperationException | IOException e) {
      // Windows without the right to make links: a copy, which the README then warns about.
      Files.copy(source, link);
      Files.writeString(dir.resolve(COPIES), "src/ holds copies, not links: edit the files in labs/" + lab.slug() + "\n");
    }
  }

  /** workbook/grpc/LocalGrpc.java for a file that declares `package workbook.grpc;`. */
  private static String packagePath(Path source) {
    Matcher m = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE).matcher(Labs.read(source));
    String pkg = m.find() ? m.group(1).replace('.', '/') + "/" : "";
    return pkg + source.getFileName();
  }

  /** groupId, artifactId, version and classifier of a jar in a Maven repository's layout. */
  record Coordinates(String group, String artifact, String version, String classifier) {}

  static Optional<Coordinates> coordinates(Path repository, Path jar) {
    Path j = jar.toAbsolutePath().normalize();
    Path repo = repository.toAbsolutePath().normalize();
    if (!j.startsWith(repo) || repo.relativize(j).getNameCount() < 4) return Optional.empty();
    Path versionDir = j.getParent();
    Path artifactDir = versionDir.getParent();
    String version = versionDir.getFileName().toString();
    String artifact = artifactDir.getFileName().toString();
    String name = j.getFileName().toString();
    String prefix = artifact + "-" + version;
    if (!name.startsWith(prefix) || !name.endsWith(".jar")) return Optional.empty();
    String classifier = name.substring(prefix.length(), name.length() - 4).replaceFirst("^-", "");
    String group = repo.relativize(artifactDir.getParent()).toString().replace(java.io.File.separatorChar, '.');
    return Optional.of(new Coordinates(group, artifact, version, classifier));
  }

  /** The local repository JBang resolves into, which Maven reads too (both default to ~/.m2/repository). */
  static Path repository() {
    String jbangRepo = System.getenv("JBANG_REPO");
    return jbangRepo != null && !jbangRepo.isBlank() ? Path.of(jbangRepo)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  static String pom(Path root, Labs.Lab lab, Described d) {
    StringBuilder deps = new StringBuilder();
    Path repo = repository();
    Set<String> named = new LinkedHashSet<>();
    for (Path jar : d.jars()) {
      Optional<Coordinates> c = coordinates(repo, jar);
      // One version of a library: the first, as the lab's own class path (the test's) orders them.
      if (c.isPresent() && !named.add(c.get().group() + ":" + c.get().artifact() + ":" + c.get().classifier())) continue;
      if (c.isPresent()) {
        deps.append("    <dependency><groupId>").append(c.get().group()).append("</groupId><artifactId>").append(c.get().artifact())
            .append("</artifactId><version>").append(c.get().version()).append("</version>");
        if (!c.get().classifier().isEmpty()) deps.append("<classifier>").append(c.get().classifier()).append("</classifier>");
        deps.append("<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>\n");
      } else {
        // Not in the Maven repository's layout: the jar itself, from where JBang keeps it.
        String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
        deps.append("    <dependency><groupId>workbook.local</groupId><artifactId>").append(xml(name))
            .append("</artifactId><version>0</version><scope>system</scope><systemPath>").append(xml(jar.toString()))
            .append("</systemPath></dependency>\n");
      }
    }
    List<String> compilerArgs = d.compileOptions().stream().filter(o -> !o.equals("-g")).toList();
    String argLine = String.join(" ", d.runtimeOptions());
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Written by ./jbang workbook@. open %1$s from the lab's //DEPS and //SOURCES (edit those, then open %1$s again):
             every jar that ./jbang puts on the lab's class path, at the version it resolves, each with its own
             dependencies excluded (they are listed too), so Maven resolves nothing and works offline. -->
        <project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
          <modelVersion>4.0.0</modelVersion>
          <groupId>workbook</groupId>
          <artifactId>lab%1$s</artifactId>
          <version>1</version>
          <name>%2$s</name>
          <properties>
            <maven.compiler.release>17</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
          <dependencies>
        %3$s  </dependencies>
          <build>
            <plugins>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-compiler-plugin</artifactId>
                <version>%4$s</version>
                <configuration>
                  <compilerArgs>%5$s</compilerArgs>
                </configuration>
              </plugin>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-resources-plugin</artifactId>
                <version>%6$s</version>
              </plugin>
              <plugin>
                <!-- JUnit 5 through the platform; the JVM options the lab's run has (-Xss8m: Kafka's producer recurses). -->
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-surefire-plugin</artifactId>
                <version>%7$s</version>
                <configuration>
                  <argLine>%8$s</argLine>
                  <trimStackTrace>false</trimStackTrace>
                </configuration>
              </plugin>
            </plugins>
          </build>
        </project>
        """.formatted(lab.number(), xml("Lab " + lab.number() + ": " + lab.title()), deps, COMPILER_PLUGIN,
        compilerArgs.stream().map(a -> "<arg>" + xml(a) + "</arg>").reduce("", String::concat), RESOURCES_PLUGIN,
        SUREFIRE_PLUGIN, xml(argLine));
  }

  static String readme(Path root, Labs.Lab lab) {
    String test = lab.testFile().map(p -> p.getFileName().toString().replaceFirst("\\.java$", "")).orElse("the test");
    String demo = lab.demo().map(p -> p.getFileName().toString().replaceFirst("\\.java$", "")).orElse("the demo");
    return """
        # Lab %1$s in your IDE

        Written by `./jbang workbook@. open %1$s`. Open this folder in IntelliJ IDEA (File > Open, then
        "Trust project") or VS Code (with the Extension Pack for Java): it is a Maven project, and its
        `pom.xml` names every library the lab uses, at the versions `./jbang` runs it with.

        **The files under `src/` are links to `labs/%2$s/`** (and to the workbook's shared code): what
        you edit here is your lab, and `./jbang workbook@. test %1$s` sees it at once. A file you add
        to the lab appears here when you run `open %1$s` again (also after changing a `//DEPS` line).

        - **Run the lab's tests:** open `src/test/java/%3$s.java` and click the green arrow beside the
          class (or beside one step's `@Nested` class). From a terminal here: `mvn test`; one step:
          `mvn test -Dgroups=step2`.
        - **Run the demo:** open `src/main/java/%4$s.java` and run its `main`.
        - Event labs start their own Kafka broker, as in the terminal (or use `KAFKA_BOOTSTRAP_SERVERS`).
        - Your progress (`list`, `hint`) comes from `./jbang workbook@. test %1$s`: run it there when a
          step is green here.
        """.formatted(lab.number(), lab.slug(), test, demo);
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
