package workbook.room;

import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The three verbs of the room: {@code room} (the instructor serves the page and the intake),
 * {@code join} and {@code leave} (a learner opts in and out). Each returns the tool's exit code:
 * 0 done, 2 bad input, 3 the environment (a port taken, no network address).
 */
public final class RoomCommand {
  /** The instructor's options: where to listen, how many learners, when a learner counts as stuck. */
  public record Options(int port, boolean lan, boolean reset, int stuckMinutes, int max) {
    public static final Options DEFAULTS = new Options(7070, false, false, 10, 100);
  }

  private RoomCommand() {}

  /** A running room: its server, its state and the join command it printed. */
  public record Open(RoomServer server, Room room, String join, String url) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      server.close();
      room.close();
    }
  }

  /**
   * Opens the room of the workbook at root: its session (kept in .workbook/room/ unless reset), its
   * code (kept with it, so learners who joined stay joined across a restart), the page and the intake.
   */
  public static Open open(Path root, List<Room.Lab> labs, Options o, PrintStream log) throws IOException {
    Path dir = root.resolve(".workbook/room");
    Files.createDirectories(dir);
    Path codeFile = dir.resolve("code"), session = dir.resolve("session.jsonl");
    if (o.reset()) {
      if (Files.exists(session)) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Files.move(session, dir.resolve("session-" + stamp + ".jsonl"), StandardCopyOption.REPLACE_EXISTING);
      }
      Files.deleteIfExists(codeFile);
    }
    String code = Files.exists(codeFile) ? Files.readString(codeFile, StandardCharsets.UTF_8).strip() : newCode();
    Files.writeString(codeFile, code, StandardCharsets.UTF_8);
    InetAddress address = o.lan() ? lanAddress().orElseThrow(() -> new IllegalStateException(
        "this machine has no network address: join the room's Wi-Fi (or cable) first, or leave out --lan to rehearse on this machine"))
        : InetAddress.getLoopbackAddress();
    Room room = new Room(labs, session, o.max(), System::currentTimeMillis);
    String host = address.getHostAddress();
    RoomServer server;
    try {
      server = RoomServer.start(room, code, "", new InetSocketAddress(address, o.port()), log::println);
    } catch (java.net.BindException taken) {
      room.close();
      throw new IllegalStateException("port " + o.port() + " is taken on " + host + ": stop what uses it, or choose another with --port N");
    }
    String join = "./jbang workbook@. join " + host + ":" + server.port() + " " + code + " --name <your name>";
    server.page(RoomPage.html(join, o.stuckMinutes()));
    return new Open(server, room, join, "http://" + host + ":" + server.port() + "/");
  }

  /** {@code room [--port N] [--lan] [--reset] [--stuck MINUTES] [--max N]}: serves until Ctrl-C. */
  public static int room(Path root, List<Room.Lab> labs, Options o, PrintStream out) {
    Open open;
    try {
      open = open(root, labs, o, out);
    } catch (IllegalStateException e) {
      System.err.println("The room did not open: " + e.getMessage() + ".");
      return 3;
    } catch (IOException e) {
      System.err.println("The room did not open: " + e.getMessage() + " (.workbook/room/ must be writable).");
      return 3;
    }
    out.println("The room is open: " + open.url() + " (put this page on the projector)." + (o.lan() ? ""
        : "\nIt listens on this machine only, for a rehearsal: add --lan to let the room's laptops in."));
    out.println("Learners join with:\n\n    " + open.join() + "\n");
    out.print(RoomPage.terminal(open.join().replace("<your name>", "")));
    out.println("\n" + open.room().size() + " learners so far in this session (kept in .workbook/room/; --reset starts a new one). Stop with Ctrl-C.");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        open.close();
      } catch (IOException ignored) {
        // the session file is flushed on every report
      }
      stopped.countDown();
    }));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** {@code join HOST:PORT CODE --name NAME}: stores the opt-in and checks the code with the room if it answers. */
  public static int join(Path root, String address, String code, String name, PrintStream out) {
    Membership m;
    try {
      m = Membership.of(address, code, name);
    } catch (IllegalArgumentException e) {
      System.err.println("Not joined: " + e.getMessage() + ".");
      return 2;
    }
    int status = Reporter.ping(m);
    if (status == 403) {
      System.err.println("Not joined: the room at " + m.address() + " has another code; type the code the instructor shows.");
      return 2;
    }
    try {
      m.save(root);
    } catch (IOException e) {
      System.err.println("Not joined: could not write " + Membership.file(root) + " (" + e.getMessage() + ").");
      return 3;
    }
    out.println("Joined the room at " + m.address() + " as " + m.name() + (status / 100 == 2 ? "." : " (it does not answer yet; your runs will reach it once it does).")
        + "\nFrom now on each test or watch run sends the room one line: lab, step, red or green, the failing test and the"
        + "\nfirst line of its message. Never your files or code. `./jbang workbook@. leave` stops it.");
    return 0;
  }

  /** {@code leave}: deletes the opt-in. */
  public static int leave(Path root, PrintStream out) {
    try {
      Optional<Membership> m = Membership.load(root);
      boolean left = Membership.leave(root);
      out.println(left ? "Left the room" + m.map(x -> " at " + x.address()).orElse("") + ": nothing is reported any more." : "This workbook is in no room: nothing to leave.");
      return 0;
    } catch (IOException e) {
      System.err.println("Could not delete " + Membership.file(root) + ": " + e.getMessage() + ".");
      return 3;
    }
  }

  /** A code a room shows and learners type: four letters (no I or O, mistaken for 1 and 0), a dash, four digits. */
  static String newCode() {
    SecureRandom random = new SecureRandom();
    String letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 4; i++) b.append(letters.charAt(random.nextInt(letters.length())));
    b.append('-');
    for (int i = 0; i < 4; i++) b.append(random.nextInt(10));
    return b.toString();
  }

  /**
   * The laptop's address on the room's network: an IPv4 address of an interface that is up, not
   * loopback, not virtual, not Docker's. A private address (192.168.x, 10.x, 172.16-31.x) first, as
   * a room's Wi-Fi gives; failing that any other that is not link-local (some venues hand out public
   * or carrier-grade addresses).
   */
  static Optional<InetAddress> lanAddress() {
    List<Inet4Address> found = new ArrayList<>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!ni.isUp() || ni.isLoopback() || ni.isVirtual() || ni.getName().startsWith("docker") || ni.getName().startsWith("veth")) continue;
        for (InetAddress a : Collections.list(ni.getInetAddresses()))
          if (a instanceof Inet4Address v4 && !v4.isLoopbackAddress() && !v4.isLinkLocalAddress() && !v4.isAnyLocalAddress()) found.add(v4);
      }
    } catch (SocketException e) {
      // no interfaces to read: no address
    }
    return found.stream().filter(InetAddress::isSiteLocalAddress).findFirst().or(() -> found.stream().findFirst()).map(a -> a);
  }
}
