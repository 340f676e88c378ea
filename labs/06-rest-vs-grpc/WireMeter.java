import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A tiny TCP relay that sits between a client and a server and counts what crosses it: the
 * connections opened and the bytes each way, headers and framing included. Point the client at
 * {@link #port()} instead of the server's port; nothing else changes.
 */
final class WireMeter implements AutoCloseable {
  private final ServerSocket listener;
  private final int target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong up = new AtomicLong();
  private final AtomicLong down = new AtomicLong();
  /** What each side's stream is written through: as it is, unless a test watches what is passed on, and when. */
  private final UnaryOperator<OutputStream> passOn;

  /** Starts relaying 127.0.0.1:port() to 127.0.0.1:targetPort. */
  WireMeter(int targetPort) throws IOException {
    this(targetPort, UnaryOperator.identity());
  }

  /** The same, each chunk passed on through {@code passOn}'s stream (the lab's test watches the meter there). */
  WireMeter(int targetPort, UnaryOperator<OutputStream> passOn) throws IOException {
    target = targetPort;
    this.passOn = passOn;
    listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    daemon("wire-meter-accept", this::acceptLoop);
  }

  int port() { return listener.getLocalPort(); }

  /** TCP connections the clients opened through the meter so far. */
  long connections() { return connections.get(); }

  /** Bytes from client to server (requests) and from server to client (responses). */
  long bytesUp() { return up.get(); }

  long bytesDown() { return down.get(); }

  void reset() { connections.set(0); up.set(0); down.set(0); }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      Socket client = null;
      Socket server = new Socket();
      try {
        client = listener.accept();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
        for (Socket s : List.of(client, server)) { s.setTcpNoDelay(true); open.add(s); }
        connections.incrementAndGet();
        Socket accepted = client;
        daemon("wire-meter-up", () -> pump(accepted, server, up));
        daemon("wire-meter-down", () -> pump(server, accepted, down));
      } catch (IOException closedOrRefused) {
        // The meter was closed, or the server refused: closing the client's side makes it see its connection drop
        // at once, instead of waiting for its own timeout.
        for (Socket s : new Socket[] {client, server}) {
          try {
            if (s != null) s.close();
          } catch (IOException alreadyGone) {
            // nothing more to close
          }
        }
      }
    }
  }

  /** Copies one direction until it ends, counting each chunk BEFORE passing it on, so that a
   * client that has received a response always finds it counted. */
  private void pump(Socket from, Socket to, AtomicLong counter) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = passOn.apply(to.getOutputStream())) {
      for (int n; (n = in.read(buffer)) != -1; ) {
        counter.addAndGet(n);
        out.write(buffer, 0, n);
      }
    } catch (IOException connectionClosed) {
      // One side hung up: closing both streams (above) hangs up the other side too.
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    // Daemon threads: a relay must never keep a finished test or demo alive.
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : open) s.close();
  }
}
