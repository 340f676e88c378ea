// The code generators, as native executables from Maven Central, for this OS and CPU. On a CPU
// with no build of its own (Windows on ARM), pass -Dos.detected.classifier=windows-x86_64.
//DEPS com.google.protobuf:protoc:4.33.2:${os.detected.classifier}@exe
//DEPS io.grpc:protoc-gen-grpc-java:1.83.1:${os.detected.classifier}@exe
// The well-known types (google/protobuf/timestamp.proto, ...) ship inside protobuf-java.
//SOURCES ProtobufRuntime.java
package workbook.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Runs protoc with the gRPC Java plugin. Used only by shared/tool/GenerateProtos.java, never by a
 * lab (labs get the generated code, not 50 MB of compilers). Not in LocalGrpc's //SOURCES on purpose.
 */
final class Protoc {
  private final Path work;
  private final Path protoc;
  private final Path plugin;
  private final Path includes;

  /** Copies the executables and the well-known .proto files into {@code work} (a temp folder). */
  Protoc(Path work) throws IOException {
    this.work = work;
    this.protoc = executable("protoc-", "protoc");
    this.plugin = executable("protoc-gen-grpc-java-", "protoc-gen-grpc-java");
    this.includes = Files.createDirectories(work.resolve("include"));
    extractWellKnownTypes();
  }

  /** "33.2" for protoc 4.33.2 (protoc drops the language-specific major version). */
  String version() throws IOException, InterruptedException {
    Result r = run(List.of(protoc.toString(), "--version"));
    return r.output.strip().replaceFirst("^libprotoc ", "");
  }

  /** Generates Java messages and gRPC stubs for {@code protos} (relative to {@code root}) into {@code out}. */
  Result generate(Path root, List<String> protos, Path out) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(protoc.toString(),
        "-I" + root, "-I" + includes,
        "--plugin=protoc-gen-grpc-java=" + plugin,
        "--java_out=" + out, "--grpc-java_out=" + out));
    cmd.addAll(protos);
    return run(cmd);
  }

  record Result(int exitCode, String output) {}

  private Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), output);
  }

  /**
   * JBang puts the resolved executables on java.class.path. We run copies in our temp folder:
   * the local Maven repository may be read-only, and its files are not marked executable.
   */
  private Path executable(String prefix, String name) throws IOException {
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      String file = path.getFileName().toString();
      if (file.startsWith(prefix) && Character.isDigit(file.charAt(prefix.length())) && file.endsWith(".exe")) {
        Path copy = work.resolve(name + (isWindows() ? ".exe" : ""));
        Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING);
        if (!copy.toFile().setExecutable(true)) throw new IOException("Could not make " + copy + " executable");
        return copy;
      }
    }
    throw new IllegalStateException(name + " is not on the class path: run this through JBang (./jbang protos@.)");
  }

  private void extractWellKnownTypes() throws IOException {
    var url = Protoc.class.getClassLoader().getResource("google/protobuf/timestamp.proto");
    if (url == null) throw new IllegalStateException("protobuf-java's .proto files are not on the class path");
    JarURLConnection connection = (JarURLConnection) url.openConnection();
    connection.setUseCaches(false); // our own JarFile, so closing it cannot break the class loader's
    try (JarFile jar = connection.getJarFile()) {
      for (JarEntry entry : (Iterable<JarEntry>) jar.stream()::iterator) {
        if (entry.getName().startsWith("google/protobuf/") && entry.getName().endsWith(".proto")) {
          Path target = includes.resolve(entry.getName());
          Files.createDirectories(target.getParent());
          try (InputStream in = jar.getInputStream(entry)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
  }

  private static boolean isWindows() {
    return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
  }
}
