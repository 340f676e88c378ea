//DEPS org.testcontainers:testcontainers-redpanda:2.0.5
//DEPS org.immutables:value-annotations:2.12.2
//SOURCES ../json/*.java ../log/*.java
package workbook.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A few questions to a Docker engine, asked quickly and with a time limit, with nothing but the
 * JDK: is it there, which images does it have, and (for prefetch) pull one. Testcontainers takes
 * seconds just to load and, when an image is missing, pulls it for minutes; the broker asks here
 * first and loads Testcontainers only when Redpanda can really start.
 *
 * It looks for the engine where Testcontainers does, in the same order: tc.host in
 * ~/.testcontainers.properties, DOCKER_HOST (or docker.host there), the rootless socket, the
 * standard /var/run/docker.sock, Docker Desktop's socket, Windows' named pipe. It asks through
 * docker-java's own HTTP transport (the one Testcontainers uses) over a Unix socket, TCP without TLS
 * or the named pipe, and reads the answers with Jackson; a TLS engine (DOCKER_TLS_VERIFY) is left to
 * Testcontainers. The transport's read timeout does not hold on a Unix socket (docker-java issue
 * 1726), so each question also runs under a watchdog that closes the connection at its limit.
 */
public final class Docker {
  /** The broker WORKBOOK_BROKER=redpanda starts; docker-compose.yml names the same (a self-test checks). */
  public static final String REDPANDA_IMAGE = "docker.redpanda.com/redpandadata/redpanda:v26.1.2";
  /** Testcontainers' own container, which removes the others when the JVM ends (Testcontainers 2.0.5). */
  public static final String RYUK_IMAGE = "testcontainers/ryuk:0.14.0";
  /** docker-compose.yml's Redpanda Console. */
  public static final String CONSOLE_IMAGE = "docker.redpanda.com/redpandadata/console:v3.2.2";
  /** Every image the Docker paths need: WORKBOOK_BROKER=redpanda, and docker-compose.yml. */
  public static final List<String> IMAGES = List.of(REDPANDA_IMAGE, RYUK_IMAGE, CONSOLE_IMAGE);

  /** A question that gets no answer in this time is a failure: a broken engine must not hold a lab. */
  static final Duration ASK = Duration.ofSeconds(3);

  private final URI endpoint;
  private final String foundBy;

  private Docker(URI endpoint, String foundBy) {
    this.endpoint = endpoint;
    this.foundBy = foundBy;
  }

  /** The engine at this address (unix:///path, tcp://host:port or npipe:////./pipe/name). */
  public static Docker at(String endpoint, String foundBy) {
    return new Docker(URI.create(endpoint), foundBy);
  }

  /**
   * Where a Docker engine would be, looked up as Testcontainers does, without connecting: empty
   * when there is no trace of one (no DOCKER_HOST, no socket file).
   */
  public static Optional<Docker> find() {
    Properties tc = testcontainersProperties();
    if (tc.getProperty("tc.host") != null) return Optional.of(at(tc.getProperty("tc.host"), "tc.host in ~/.testcontainers.properties"));
    String env = System.getenv("DOCKER_HOST");
    if (env != null && !env.isBlank()) return Optional.of(at(env.strip(), "DOCKER_HOST"));
    if (tc.getProperty("docker.host") != null) return Optional.of(at(tc.getProperty("docker.host"), "docker.host in ~/.testcontainers.properties"));
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (os.contains("win")) return Optional.of(at("npipe:////./pipe/docker_engine", "Docker Desktop's named pipe"));
    Path home = Path.of(System.getProperty("user.home"));
    List<Path> sockets = new ArrayList<>();
    if (os.contains("linux")) {
      // Testcontainers' rootless strategy comes before the standard socket on Linux.
      String xdg = System.getenv("XDG_RUNTIME_DIR");
      if (xdg != null && !xdg.isBlank()) sockets.add(Path.of(xdg, "docker.sock"));
      sockets.add(home.resolve(".docker/run/docker.sock"));
      uid().ifPresent(uid -> sockets.add(Path.of("/run/user/" + uid + "/docker.sock")));
    }
    sockets.add(Path.of("/var/run/docker.sock"));
    sockets.add(home.resolve(".docker/desktop/docker.sock"));
    sockets.add(home.resolve(".docker/run/docker.sock"));
    for (Path socket : sockets) {
      if (Files.exists(socket)) return Optional.of(at("unix://" + socket, socket.toString()));
    }
    return Optional.empty();
  }

  /** unix:///var/run/docker.sock, as a person would write it in DOCKER_HOST. */
  public String endpoint() {
    return endpoint.toString();
  }

  /** How it was found: "DOCKER_HOST", "/var/run/docker.sock", ... */
  public String foundBy() {
    return foundBy;
  }

  /** True when this address is one we can ask ourselves (not TLS, a known scheme). */
  boolean canAsk() {
    String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme();
    boolean tls = "1".equals(System.getenv("DOCKER_TLS_VERIFY")) || "https".equals(scheme);
    return !tls && List.of("unix", "tcp", "http", "npipe").contains(scheme);
  }

  /** The engine's version, e.g. "20.10.24"; a {@link Failure} saying why not, within {@link #ASK}. */
  public String version() {
    Response r = ask("GET", "/version", ASK, null);
    if (r.status != 200) throw new Failure("Docker at " + endpoint() + " answered " + r.status + ": " + r.message());
    String version = json(r.body).path("Version").asText("");
    return version.isEmpty() ? "unknown version" : version;
  }

  /** True when the engine has this image (no pull, no registry: a local look-up). */
  public boolean hasImage(String image) {
    Response r = ask("GET", "/images/" + image + "/json", ASK, null);
    if (r.status == 200) return true;
    if (r.status == 404) return false;
    throw new Failure("Docker at " + endpoint() + " answered " + r.status + " about " + image + ": " + r.message());
  }

  /** The images of this list the engine does not have. */
  public List<String> missing(List<String> images) {
    List<String> missing = new ArrayList<>();
    for (String image : images) if (!hasImage(image)) missing.add(image);
    return missing;
  }

  /**
   * Pulls an image from its registry, telling {@code progress} how far it got now and then
   * ("45 of 120 MB"). Fails with one sentence (the engine's own reason) if the registry cannot be
   * reached, or if nothing moves for {@code idle}.
   */
  public void pull(String image, Consumer<String> progress, Duration idle) {
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    String repo = colon > slash ? image.substring(0, colon) : image;
    String tag = colon > slash ? image.substring(colon + 1) : "latest";
    String path = "/images/create?fromImage=" + URLEncoder.encode(repo, StandardCharsets.UTF_8)
        + "&tag=" + URLEncoder.encode(tag, StandardCharsets.UTF_8);
    PullProgress pulled = new PullProgress(progress);
    Response r = ask("POST", path, idle, pulled);
    if (r.status != 200) throw new Failure(r.message());
    if (pulled.error != null) throw new Failure(pulled.error);
  }

  /** Adds the layers' downloaded bytes and reports every few seconds; keeps the first error. */
  private static final class PullProgress implements Consumer<String> {
    private final Consumer<String> progress;
    private final Map<String, long[]> layers = new HashMap<>();
    private long lastReport = System.nanoTime();
    String error;

    PullProgress(Consumer<String> progress) { this.progress = progress; }

    @Override public void accept(String line) {
      if (line.isBlank()) return;
      JsonNode f = json(line);
      if (f.hasNonNull("error") && error == null) error = f.get("error").asText();
      String id = f.path("id").asText(null);
      String status = f.path("status").asText("");
      JsonNode detail = f.path("progressDetail");
      if (id != null && status.equals("Downloading") && detail.has("total")) {
        layers.put(id, new long[] {detail.path("current").asLong(0), detail.path("total").asLong()});
      } else if (id != null && status.equals("Download complete") && layers.containsKey(id)) {
        layers.get(id)[0] = layers.get(id)[1];
      }
      if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(3) && !layers.isEmpty()) {
        lastReport = System.nanoTime();
        long done = layers.values().stream().mapToLong(l -> l[0]).sum();
        long total = layers.values().stream().mapToLong(l -> l[1]).sum();
        progress.accept(String.format(Locale.ROOT, "%d of %d MB", done >> 20, Math.max(1, total >> 20)));
      }
    }
  }

  /** A Docker question that failed: its message is one sentence for the learner. */
  public static final class Failure extends RuntimeException {
    Failure(String message) { super(message, null, false, false); }
  }

  // --- one question through docker-java's transport, with a deadline -------------------------

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A JSON answer as a tree; what is not JSON reads as an empty object. */
  private static JsonNode json(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      return node == null ? JSON.createObjectNode() : node;
    } catch (IOException notJson) {
      return JSON.createObjectNode();
    }
  }

  private record Response(int status, String body) {
    /** Docker's error body is {"message":"..."}: the message alone, on one line. */
    String message() {
      String text = json(body).path("message").asText(body.strip());
      return text.isEmpty() ? "HTTP " + status : text.lines().findFirst().orElse(text);
    }
  }

  /** The address as docker-java's transport names it (it says tcp:// where a person may write http://). */
  private URI transportAddress() {
    return "http".equals(endpoint.getScheme()) ? URI.create("tcp" + endpoint.toString().substring(4)) : endpoint;
  }

  /**
   * One request, on a daemon thread: past the deadline the connection is closed and the caller
   * gets a Failure, whatever the engine is doing. With {@code lines}, the body is streamed to it
   * line by line and the deadline is the longest silence allowed.
   */
  private Response ask(String method, String path, Duration deadline, Consumer<String> lines) {
    if (!canAsk()) throw new Failure("Docker at " + endpoint() + " needs TLS or an unknown transport, which the workbook does not speak");
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(transportAddress())
        .connectionTimeout(deadline).responseTimeout(deadline).maxConnections(1).build();
    long[] lastHeard = {System.nanoTime()};
    FutureTask<Response> task = new FutureTask<>(() -> {
      DockerHttpClient.Request request = DockerHttpClient.Request.builder()
          .method(DockerHttpClient.Request.Method.valueOf(method)).path(path).build();
      try (DockerHttpClient.Response r = http.execute(request)) {
        lastHeard[0] = System.nanoTime();
        return read(r.getStatusCode(), r.getBody(), lines, lastHeard);
      }
    });
    Thread t = new Thread(task, "workbook-docker");
    t.setDaemon(true);
    t.start();
    try {
      while (true) {
        try {
          return task.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException notYet) {
          if (System.nanoTime() - lastHeard[0] > deadline.toNanos()) {
            task.cancel(true);
            throw new Failure("Docker at " + endpoint() + " did not answer within " + deadline.toSeconds() + " s");
          }
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Failure f) throw new Failure("Docker at " + endpoint() + " " + f.getMessage());
      while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause(); // the transport wraps the socket's own reason
      String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      throw new Failure("Docker at " + endpoint() + " could not be reached (" + why + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted while asking Docker");
    } finally {
      close(http); // closes the connection, which ends a read the deadline cut short
    }
  }

  /** The body: whole (up to 1 MB) for a question, or streamed line by line to {@code lines} for a pull. */
  private static Response read(int status, InputStream body, Consumer<String> lines, long[] lastHeard) throws IOException {
    if (lines == null || status != 200) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = body.read(buf)) != -1; ) {
        lastHeard[0] = System.nanoTime();
        if (all.size() < 1 << 20) all.write(buf, 0, n);
      }
      return new Response(status, all.toString(StandardCharsets.UTF_8));
    }
    BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    for (String line; (line = reader.readLine()) != null; ) {
      lastHeard[0] = System.nanoTime();
      lines.accept(line);
    }
    return new Response(status, "");
  }

  private static void close(Closeable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
  }

  private static Properties testcontainersProperties() {
    Properties p = new Properties();
    Path file = Path.of(System.getProperty("user.home"), ".testcontainers.properties");
    if (Files.isReadable(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException ignored) {
        // unreadable: as if absent
      }
    }
    return p;
  }

  private static Optional<Integer> uid() {
    try {
      return Optional.of((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** For a look by hand: {@code ./jbang shared/src/workbook/kafka/Docker.java [pull]}. */
  public static void main(String[] args) {
    Optional<Docker> docker = find();
    if (docker.isEmpty()) {
      System.out.println("No Docker found (no DOCKER_HOST, no Docker socket).");
      return;
    }
    Docker d = docker.get();
    try {
      System.out.println("Docker " + d.version() + " at " + d.endpoint() + " (found by " + d.foundBy() + ")");
      int failed = 0;
      for (String image : IMAGES) {
        boolean here = d.hasImage(image);
        if (!here && args.length > 0 && args[0].equals("pull")) {
          try {
            d.pull(image, p -> System.out.println("  " + image + ": " + p), Duration.ofSeconds(60));
            here = true;
          } catch (Failure f) {
            System.out.println("  ✘ " + image + ": could not pull it: " + f.getMessage());
            failed++;
            continue;
          }
        }
        System.out.println("  " + (here ? "✔ " : "· ") + image + (here ? " is here" : " is not here"));
      }
      if (failed > 0) System.exit(1);
    } catch (Failure f) {
      System.out.println(f.getMessage());
      System.exit(1);
    }
  }
}
