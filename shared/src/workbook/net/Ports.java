package workbook.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Ports on 127.0.0.1. Tests bind port 0 and ask the server which port it got; this class is for
 * the few places that need a port number before anything binds (a broker's listener).
 */
public final class Ports {
  private Ports() {}

  /** A port that was free a moment ago on 127.0.0.1 (bind it soon: another process may take it). */
  public static int free() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not find a free port on 127.0.0.1", e);
    }
  }

  /**
   * A free port below every system's range of ephemeral ports (Linux starts it at 32768, macOS and
   * Windows at 49152), for a server that must get its port back after a restart (the embedded
   * broker): a port taken with {@link #free()} comes from that range, where any server binding port
   * 0 or any outgoing connection may take it while the first server is stopped.
   */
  public static int freeForRestarts() {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int tries = 0; tries < 100; tries++) {
      int port = random.nextInt(20_000, 32_000);
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    return free();
  }

  /** True when something accepts connections on 127.0.0.1:port. */
  public static boolean inUse(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Checks that a fixed port for a demo is free, or stops with a sentence saying what to do. */
  public static int requireFree(int port) {
    if (inUse(port)) {
      System.err.println("Port " + port + " is already in use (another demo still running?): stop it, then run this again.");
      System.exit(2);
    }
    return port;
  }

  /**
   * Checks that a fixed port for a demo is free, or stops with a sentence saying what to do.
   * Use it in a demo's main before binding a fixed port.
   */
  public static int requireFree(int port, String flag) {
    if (inUse(port)) {
      System.err.println("Port " + port + " is already in use (another demo still running?): stop it, or pass "
          + flag + " <port> to use another one.");
      System.exit(2);
    }
    return port;
  }
}
