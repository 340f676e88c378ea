//SOURCES ../../../../src/workbook/kafka/*.java

package workbook.tool.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import workbook.kafka.Broker;
import workbook.tool.base.Env;
import workbook.tool.base.Exit;
import workbook.tool.base.UserError;
import workbook.tool.content.Labs;

/**
 * The warm runner behind `test`: one JVM per checkout that keeps the compiler, the libraries, the
 * shared classes and (for event labs) the broker loaded, so a test run after an edit costs the
 * lab's own compile and its tests, not three JVM starts. Like Gradle's daemon: started in the
 * background by the first `test`, found by ./jbang through .workbook/daemon/port, one request
 * at a time (a second terminal waits its turn), stopped after WORKBOOK_DAEMON_IDLE seconds
 * without a request (900 by default), by `daemon stop`, or when the workbook's own code changes.
 * WORKBOOK_DAEMON=off (and CI=true) turn it off: every test then runs through JBang as before.
 */
public final class Daemon {
  private static final String EXIT = "\u0001exit ";
  private static final String STALE = "\u0001stale";
  private static final String STOP = "\u0001stop";
  /** A line the command wrote to standard error: the client prints it there (./jbang's warm_test, watch). */
  static final char STDERR = '\u0002';

  private final Labs labs;
  private final CommandLine commandLine;
  /** The warm runners of the labs used last, the most recent last: a lab's libraries take 20-60 MB. */
  private final Map<String, WarmRunner> runners = new java.util.LinkedHashMap<>(4, 0.75f, true);
  private static final int RUNNERS_KEPT = 2;
  private final Map<String, String> directives = new HashMap<>();
  private final String version;
  private boolean stopping;

  private Daemon(Labs labs, CommandLine commandLine) {
    this.labs = labs;
    this.commandLine = commandLine;
    this.version = version(labs.root);
  }

  static boolean enabled() {
    String flag = System.getenv().getOrDefault("WORKBOOK_DAEMON", "");
    if (!flag.matches("|on|off")) throw new UserError("WORKBOOK_DAEMON must be on or off (or unset): it is '" + flag + "'.");
    if (flag.equals("off")) return false;
    return flag.equals("on") || !"true".equals(System.getenv("CI"));
  }

  private static Path dir(Path root) {
    return root.resolve(".workbook/daemon");
  }

  // --- the client side, in the short-lived tool -----------------------------------------------

  /**
   * The daemon's heap starts small, grows only as far as the runs need, and has a ceiling: by
   * default the JVM takes a 64th of the machine's memory at once (380 MB on a 24 GB laptop) and
   * may grow to a quarter, while it shares the laptop with the broker, the IDE and a browser.
   * The serial collector keeps the heap close to what is live (lab 09's runs use under 100 MB,
   * lab 16's about 200 MB): after labs 14, 01 and 09 in one daemon it held 300 MB instead of
   * G1's 520 MB, and the runs took no longer. Should the heap ever run out, the daemon ends (the
   * run says so, and the next one starts a new daemon) rather than limp on.
   */
  static final List<String> DAEMON_OPTIONS = List.of("-Xshare:auto", "-Xms32m", "-Xmx768m", "-XX:+UseSerialGC",
      "-XX:+ExitOnOutOfMemoryError");

  /**
   * Whether the command was started by a client that talks to the warm runner: ./jbang (bash)
   * says so in WORKBOOK_WARM_CLIENT; Windows' jbang.cmd and a bare JBang do not, so no warm
   * runner starts there that nothing would ever use.
   */
  static boolean clientUsesIt() {
    return "1".equals(System.getenv("WORKBOOK_WARM_CLIENT"));
  }

  /** Starts the daemon for the next run, unless one is running (or starting), it is off, or no client would use it. */
  public static void startInBackground(Labs labs) {
    if (clientUsesIt()) start(labs);
  }

  /** Starts the daemon (watch uses it itself), unless one is running (or starting), or it is off. */
  private static void start(Labs labs) {
    if (!enabled() || running(labs.root).isPresent()) return;
    Path dir = dir(labs.root);
    try {
      Files.createDirectories(dir);
      Path starting = dir.resolve("starting");
      if (Files.exists(starting) && System.currentTimeMillis() - Files.getLastModifiedTime(starting).toMillis() < 60_000) return;
      Files.writeString(starting, "");
      new ProcessBuilder(Labs.toolCommand(DAEMON_OPTIONS, List.of("_daemon")))
          .directory(labs.root.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(Labs.nullFile()))
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("log").toFile())
          .start();
      System.out.println("(A warm runner starts in the background: the next test takes about a second. "
          + "It stops after " + idleSeconds() / 60 + " idle minutes; ./jbang workbook@. daemon stop ends it now.)");
    } catch (IOException e) {
      // no daemon: every run goes through JBang, as before
    }
  }

  /** The running daemon's port and token, if one answers. */
  static Optional<String[]> running(Path root) {
    Path file = dir(root).resolve("port");
    if (!Files.exists(file)) return Optional.empty();
    try {
      String[] parts = Files.readString(file).trim().split("\\s+");
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(parts[0])), 500);
        return Optional.of(parts);
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The running warm runner, started now if there is none: watch sends its runs there, so test and
   * watch share one JVM and one broker. Empty when it is off, or does not answer within two minutes.
   */
  static Optional<String[]> ensureRunning(Labs labs) {
    if (!enabled()) return Optional.empty();
    Optional<String[]> daemon = running(labs.root);
    if (daemon.isPresent()) return daemon;
    start(labs);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      daemon = running(labs.root);
      if (daemon.isPresent()) return daemon;
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Asks the running warm runner to run a command (as ./jbang's warm_test does), passing on each
   * line it prints; its exit code, or empty when there is none, or it is stale or stopped midway.
   */
  static java.util.OptionalInt request(Path root, List<String> args, java.util.function.Consumer<String> lines) {
    Optional<String[]> daemon = running(root);
    if (daemon.isEmpty()) return java.util.OptionalInt.empty();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(daemon.get()[0]))) {
      s.getOutputStream().write((daemon.get()[1] + "\n" + String.join("\t", args) + "\n").getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith(EXIT)) return java.util.OptionalInt.of(Integer.parseInt(line.substring(EXIT.length()).trim()));
        if (line.equals(STALE)) return java.util.OptionalInt.empty();
        if (!line.isEmpty() && line.charAt(0) == STDERR) System.err.println(line.substring(1));
        else lines.accept(line);
      }
      return java.util.OptionalInt.empty();
    } catch (IOException | RuntimeException e) {
      return java.util.OptionalInt.empty();
    }
  }

  public static int command(Labs labs, List<String> rest) {
    String what = rest.isEmpty() ? "status" : rest.get(0);
    Optional<String[]> daemon = running(labs.root);
    if (what.equals("stop")) {
      if (daemon.isEmpty()) {
        System.out.println("No warm runner is running for this workbook.");
        return 0;
      }
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(daemon.get()[0]))) {
        s.getOutputStream().write((daemon.get()[1] + "\n" + STOP + "\n").getBytes(StandardCharsets.UTF_8));
        s.getInputStream().readAllBytes();
      } catch (IOException e) {
        // it is gone already
      }
      System.out.println("The warm runner is stopped; the next test starts a new one.");
      return 0;
    }
    if (what.equals("status")) {
      System.out.println(daemon.map(d -> "A warm runner is running (process " + d[2] + ", port " + d[0] + ").")
          .orElse("No warm runner is running" + (!enabled() ? " (WORKBOOK_DAEMON=off or CI)"
              : clientUsesIt() ? ": the next test starts one." : ": only ./jbang (bash) starts one, and talks to it.")));
      return 0;
    }
    throw new UserError("Unknown 'daemon " + what + "': use daemon stop or daemon status.");
  }

  // --- the daemon itself ---------------------------------------------------------------------

  /** The tool's command line, handed over by the CLI: runs args with this way of running a lab's tests, returns the exit code. */
  public interface CommandLine {
    int execute(LabRun.Runner runner, String[] args);
  }

  public static int serve(Labs labs, CommandLine commandLine) {
    Daemon daemon = new Daemon(labs, commandLine);
    Path dir = dir(labs.root);
    Path portFile = dir.resolve("port");
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Files.createDirectories(dir);
      byte[] secret = new byte[16];
      new SecureRandom().nextBytes(secret);
      String token = java.util.HexFormat.of().formatHex(secret);
      Path tmp = dir.resolve("port.tmp");
      Files.writeString(tmp, server.getLocalPort() + " " + token + " " + ProcessHandle.current().pid() + "\n");
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      Files.deleteIfExists(dir.resolve("starting"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteIfOurs(portFile, token), "daemon-cleanup"));
      // Woken every few seconds to see whether its work tree (or its port file: another runner
      // took over) is still there; stopped after idleSeconds() without a request.
      server.setSoTimeout((int) TimeUnit.SECONDS.toMillis(CHECK_SECONDS));
      long idleSince = System.nanoTime();
      System.out.println("[daemon] serving " + labs.root + " on port " + server.getLocalPort());
      while (!daemon.stopping) {
        try (Socket client = server.accept()) {
          daemon.handle(client, token);
          idleSince = System.nanoTime();
          if (worn()) {
            System.out.println("[daemon] " + MAX_METASPACE_MB + " MB of classes loaded: stopping, the next test starts a new one");
            break;
          }
        } catch (SocketTimeoutException tick) {
          if (!ours(portFile, token)) {
            System.out.println("[daemon] its work tree (or its port file) is gone: stopping");
            break;
          }
          if (System.nanoTime() - idleSince >= TimeUnit.SECONDS.toNanos(idleSeconds())) {
            System.out.println("[daemon] idle for " + idleSeconds() + " s: stopping");
            break;
          }
        }
      }
    } catch (IOException e) {
      System.out.println("[daemon] stopped: " + e);
    }
    System.exit(0);
    return 0;
  }

  /** How often the daemon looks whether its work tree is still there. */
  private static final int CHECK_SECONDS = 5;

  /** Whether the port file still names this daemon: gone with the work tree, or taken by another runner. */
  private static boolean ours(Path portFile, String token) {
    try {
      return Files.readString(portFile).contains(token);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void deleteIfOurs(Path portFile, String token) {
    try {
      if (Files.exists(portFile) && Files.readString(portFile).contains(token)) Files.delete(portFile);
    } catch (IOException ignored) {
      // nothing to clean
    }
  }

  private void handle(Socket client, String token) throws IOException {
    client.setSoTimeout(10_000);
    BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
    if (!token.equals(in.readLine())) return;
    String request = Optional.ofNullable(in.readLine()).orElse("");
    OutputStream raw = client.getOutputStream();
    if (request.equals(STOP)) {
      stopping = true;
      return;
    }
    if (!version.equals(version(labs.root))) {
      // The workbook's code changed (a pull, a new lab): the client runs through JBang and starts a new daemon.
      raw.write((STALE + "\n").getBytes(StandardCharsets.UTF_8));
      stopping = true;
      return;
    }
    List<String> args = Arrays.stream(request.split("\t")).filter(a -> !a.isEmpty()).toList();
    PrintStream out = new PrintStream(raw, true, StandardCharsets.UTF_8);
    // Standard error goes down the same socket, each line marked, and the client prints it on its own standard error.
    PrintStream err = new PrintStream(new MarkedLines(raw), true, StandardCharsets.UTF_8);
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    int exit;
    System.setOut(out);
    System.setErr(err);
    try {
      // The same command line as the cold path (picocli's, with its help, refusals and exit codes); only how a lab runs differs.
      exit = commandLine.execute((l, lab, test, steps, results) -> {
        Labs.Run run = warmRun(l, lab, test, steps, results);
        // The client is gone (Ctrl-C in its terminal): this run is not recorded.
        return out.checkError() || closed(client, in) ? new Labs.Run(130, false, null) : run;
      }, args.toArray(String[]::new));
      if (exit == Exit.INTERNAL) stopping = true; // said on standard error; the next run starts afresh
    } catch (RuntimeException | Error e) {
      err.println("The warm runner failed (" + e + "); run the command again: it starts afresh.");
      exit = Exit.INTERNAL;
      stopping = true;
    } finally {
      err.flush();
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    if (testThreadsLeft()) {
      out.println("(A test of this run is still running in the background, so the warm runner restarts for the next run.)");
      stopping = true;
    }
    out.print(EXIT + exit + "\n");
    out.flush();
  }

  /**
   * Whether the client has closed its end: it sends nothing after its request, so a read that
   * finds the end of the stream (rather than waiting) means it is gone.
   */
  private static boolean closed(Socket client, BufferedReader in) {
    try {
      client.setSoTimeout(1);
      return in.read() == -1;
    } catch (SocketTimeoutException stillThere) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** A test that timed out may leave its thread running (it ignored the interrupt): start clean. */
  private static boolean testThreadsLeft() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("junit-timeout-thread"));
  }

  private Labs.Run warmRun(Labs labs, Labs.Lab lab, Path test, List<String> steps, Path results) {
    String wanted = directivesOf(lab);
    WarmRunner runner = runners.get(lab.number());
    if (runner == null || !wanted.equals(directives.get(lab.number()))) {
      // First run of this lab here, or its //DEPS or //SOURCES changed: ask JBang once more.
      runner = WarmRunner.prepare(labs.root, test).orElse(null);
      if (runner == null) return LabRun.jbangRun(labs, lab, test, steps, results); // the cold path, as before
      runner.compileVerdict = "";
      WarmRunner replaced = runners.put(lab.number(), runner);
      if (replaced != null) replaced.close();
      while (runners.size() > RUNNERS_KEPT) { // the lab used longest ago goes; coming back to it asks JBang again
        String oldest = runners.keySet().iterator().next();
        runners.remove(oldest).close();
        directives.remove(oldest);
      }
      directives.put(lab.number(), wanted);
    }
    if (lab.usesBroker() && System.getProperty("kafka.bootstrap.servers") == null) {
      System.setProperty("kafka.bootstrap.servers", Broker.bootstrapServers()); // kept for every later run
    }
    try {
      boolean green = runner.run(results, steps.toArray(String[]::new));
      return new Labs.Run(runner.usageError ? 2 : green ? 0 : 1, false, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JBang directive (//DEPS, //SOURCES, //JAVA_OPTIONS...); a comment such as "// x" is none. */
  private static final java.util.regex.Pattern JBANG_DIRECTIVE = java.util.regex.Pattern.compile("//[A-Z_]+\\b.*");

  /** The lines that tell JBang what a lab needs; when they change, the lab is described again. */
  private static String directivesOf(Labs.Lab lab) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.list(lab.dir())) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        sb.append(f.getFileName()).append('\n');
        Labs.read(f).lines().filter(l -> JBANG_DIRECTIVE.matcher(l).matches()).forEach(l -> sb.append(l).append('\n'));
      }
    } catch (IOException e) {
      return "";
    }
    return sb.toString();
  }

  /** A fingerprint of the workbook's own code (tool and shared sources): when it changes, the daemon is stale. */
  private static String version(Path root) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String top : List.of("shared/tool", "shared/src", "jbang-catalog.json")) {
        Path p = root.resolve(top);
        if (!Files.exists(p)) continue;
        try (Stream<Path> files = Files.walk(p)) {
          for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
            sha.update(f.toString().getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(f));
          }
        }
      }
      return java.util.HexFormat.of().formatHex(sha.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      return "unknown";
    }
  }

  /**
   * Classes loaded past which the daemon retires after its current run, as Gradle's daemon does:
   * each lab loads its libraries anew (20-60 MB of classes), and some stay loaded after the daemon
   * lets the lab go (a thread a test left behind still holds them). A learner going through many
   * labs in one sitting gets a fresh daemon now and then instead of one that only grows.
   */
  static final long MAX_METASPACE_MB = 256;

  private static boolean worn() {
    return java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getName().equals("Metaspace"))
        .anyMatch(p -> p.getUsage().getUsed() > MAX_METASPACE_MB * 1024 * 1024);
  }

  static long idleSeconds() {
    return Env.number("WORKBOOK_DAEMON_IDLE", 900, 1, "seconds the warm runner waits for a request before it stops, e.g. 900");
  }

  /** Bytes as they are, with STDERR at the start of each line. */
  private static final class MarkedLines extends OutputStream {
    private final OutputStream raw;
    private boolean lineStart = true;

    MarkedLines(OutputStream raw) { this.raw = raw; }

    @Override
    public void write(int b) throws IOException {
      synchronized (raw) {
        if (lineStart) raw.write(STDERR);
        raw.write(b);
        lineStart = b == '\n';
      }
    }

    @Override
    public void flush() throws IOException { raw.flush(); }
  }
}
