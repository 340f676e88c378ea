import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import workbook.kafka.Json;
import workbook.rest.SimulatedService;

/**
 * The five services an order touches, each a real HTTP server on 127.0.0.1 with the latency of
 * concepts.md C5. Given code: you call them, you do not change them.
 */
record Shop(Service inventory, Service payment, Service notification, Service analytics, Service shipping)
    implements AutoCloseable {

  static Shop start() {
    return new Shop(
        Service.start("inventory", 50, "/reservations"),
        Service.start("payment", 200, "/payments"),
        Service.start("notification", 100, "/emails"),
        Service.start("analytics", 80, "/conversions"),
        Service.start("shipping", 150, "/shipments"));
  }

  /**
   * The same five at a tenth of their latency (5 to 20 ms): for tests whose lesson is not how long the customer
   * waits. The one test that times checkout uses {@link #start()}, whose latencies are the lesson.
   */
  static Shop startQuick() {
    return new Shop(
        Service.start("inventory", 5, "/reservations"),
        Service.start("payment", 20, "/payments"),
        Service.start("notification", 10, "/emails"),
        Service.start("analytics", 8, "/conversions"),
        Service.start("shipping", 15, "/shipments"));
  }

  List<Service> all() { return List.of(inventory, payment, notification, analytics, shipping); }

  @Override
  public void close() { all().forEach(Service::close); }

  /** A call that did not end in 2xx: the service was down, or said no. */
  static final class ServiceFailed extends RuntimeException {
    ServiceFailed(String message) { super(message); }
  }

  /** One service: POST {"orderId": ...} to its path; it remembers the orders it handled. */
  static final class Service implements AutoCloseable {
    // One client for every call: it keeps connections open, as a real service's client would.
    // HTTP/1.1 because these servers speak nothing else. A timeout so no call waits forever, and a
    // generous one: a call that timed out is retried, although the service may have done it anyway.
    private static final HttpClient HTTP = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private volatile SimulatedService server;
    private volatile String url;
    private volatile java.net.ServerSocket crashed; // while crashed: takes connections and drops them unanswered
    private final java.util.concurrent.atomic.AtomicInteger dropped = new java.util.concurrent.atomic.AtomicInteger();
    private final String path;
    private final Duration latency;
    private final List<String> handled = new CopyOnWriteArrayList<>();
    // A test's outage of many kinds: the next calls get these statuses, one each (see answerNext).
    private final java.util.Queue<Integer> nextAnswers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong unreachableCalls = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<RuntimeException> nextBug =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicLong unreachableCalled = new java.util.concurrent.atomic.AtomicLong();
    private final List<Long> callsAt = new CopyOnWriteArrayList<>(); // System.nanoTime() of each call (see callsAt())
    // A test's long outage of many kinds in a moment: the next calls fail at once with these statuses (see failNext).
    private final java.util.Queue<Integer> failing = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile java.util.function.BooleanSupplier holdUntil; // see holdNextUntil
    private volatile java.util.function.BooleanSupplier holdEach; // see holdEachUntil
    private volatile java.util.function.LongFunction<Throwable> script; // see script
    private final java.util.concurrent.atomic.AtomicLong scripted = new java.util.concurrent.atomic.AtomicLong();

    private Service(String name, int latencyMillis, String path) {
      this.path = path;
      this.latency = Duration.ofMillis(latencyMillis);
      this.server = SimulatedService.start(name, latency, routes());
      this.url = server.url();
    }

    private java.util.function.Consumer<io.javalin.config.JavalinConfig> routes() {
      return cfg -> cfg.routes.post(path, ctx -> {
        callsAt.add(System.nanoTime());
        java.util.function.BooleanSupplier hold = holdUntil;
        if (hold != null) {
          holdUntil = null;
          long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
          while (!hold.getAsBoolean() && System.nanoTime() < end) Thread.sleep(1);
        }
        java.util.function.BooleanSupplier each = holdEach;
        if (each != null) {
          long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
          while (!each.getAsBoolean() && System.nanoTime() < end) Thread.sleep(1);
        }
        Integer status = nextAnswers.poll();
        if (status != null && status / 100 != 2) {
          ctx.status(status);
          return;
        }
        handled.add(ctx.bodyAsClass(OrderRef.class).orderId());
        ctx.status(201);
      });
    }

    static Service start(String name, int latencyMillis, String path) {
      return new Service(name, latencyMillis, path);
    }

    /** Asks this service to do its part for the order; throws ServiceFailed unless it answers 2xx. */
    void call(String orderId) {
      java.util.function.LongFunction<Throwable> plan = script;
      if (plan != null) {
        Throwable failure = plan.apply(scripted.getAndIncrement());
        if (failure != null) throw Service.<RuntimeException>thrown(failure);
      }
      RuntimeException bug = nextBug.getAndSet(null);
      if (bug != null) throw bug;
      if (unreachableCalls.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        unreachableCalled.incrementAndGet();
        throw unreachable();
      }
      Integer quick = failing.poll();
      if (quick != null) {
        callsAt.add(System.nanoTime());
        throw answered(quick, orderId);
      }
      HttpRequest request = HttpRequest.newBuilder(URI.create(url + path))
          .timeout(Duration.ofSeconds(10))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(Json.write(new OrderRef(orderId))))
          .build();
      int status;
      try {
        status = HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException e) {
        throw new ServiceFailed(name() + " could not be reached: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw interrupted();
      }
      if (status / 100 != 2) throw answered(status, orderId);
    }

    /** The ServiceFailed of a call this service answered with {@code status}, as call throws it. */
    ServiceFailed answered(int status, String orderId) {
      return new ServiceFailed(name() + " answered " + status + " for " + orderId);
    }

    /** The ServiceFailed of a call that could not reach this service at all, as call throws it. */
    ServiceFailed unreachable() {
      return new ServiceFailed(name() + " could not be reached (its network is down)");
    }

    /** The ServiceFailed of a call whose thread was interrupted while it waited for the answer, as call throws it. */
    ServiceFailed interrupted() {
      return new ServiceFailed("interrupted while calling " + name());
    }

    /**
     * A test's plan for every call from now on, asked first with the call's number (0, 1, 2, ...): when it gives
     * a failure, call throws that very object at once (no request is sent; the same preallocated ServiceFailed
     * millions of times costs next to nothing, and a checked exception is thrown as it is); null lets the call go
     * out as usual. The plan runs on the caller's thread.
     */
    void script(java.util.function.LongFunction<Throwable> plan) {
      scripted.set(0);
      script = plan;
    }

    /** How many calls asked the plan given to {@link #script}. */
    long scriptedCalls() { return scripted.get(); }

    /**
     * Every call that reaches the service from now on waits there (10 s at most) until {@code until} holds, then
     * is answered as usual: calls that must all be on their way at once.
     */
    void holdEachUntil(java.util.function.BooleanSupplier until) { holdEach = until; }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T thrown(Throwable failure) throws T {
      throw (T) failure;
    }

    String name() { return server.name(); }

    /** The orders this service handled successfully, in the order it handled them. */
    List<String> handled() { return List.copyOf(handled); }

    /** Every request that reached it, including the ones it answered 503 while down. */
    int requests() { return server.requests(); }

    void down(boolean down) { server.down(down); }

    /**
     * Stops its process: until {@link #restart}, a call gets no answer at all, not even a 503 (its
     * connection is dropped, and call throws ServiceFailed "could not be reached").
     */
    void crash() {
      server.close();
      try {
        java.net.ServerSocket dropping = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        crashed = dropping;
        Thread accepting = new Thread(() -> {
          while (true) {
            try (java.net.Socket connection = dropping.accept()) {
              callsAt.add(System.nanoTime());
              dropped.incrementAndGet();
            } catch (IOException closed) {
              return;
            }
          }
        }, name() + " (crashed)");
        accepting.setDaemon(true);
        accepting.start();
        url = "http://127.0.0.1:" + dropping.getLocalPort();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /**
     * The next calls, one status each, are answered with {@code statuses} (any status, 4xx and 3xx too: call
     * throws ServiceFailed for each that is not 2xx, as for a 503; a 2xx in the list is a call handled as usual);
     * then it answers as usual again.
     */
    void answerNext(List<Integer> statuses) { nextAnswers.addAll(statuses); }

    /**
     * A long outage in a moment: the next {@code calls} calls fail at once, as if its network were down (no
     * request is sent, so a hundred thousand of them take a second or two, not hours).
     */
    void unreachableFor(long calls) { unreachableCalls.set(calls); }

    /**
     * The next call throws {@code bug} before it sends anything, as a bug in the caller's own code would (a
     * RuntimeException that is not a ServiceFailed: no outage, nothing to wait for); the calls after it go out as usual.
     */
    void failNextWith(RuntimeException bug) { nextBug.set(bug); }

    /**
     * The next calls, one status each, fail as an answer of {@code statuses} does (a ServiceFailed "answered ...",
     * timed in callsAt), but at once, without the network: an outage of thousands of answers in a moment.
     */
    void failNext(List<Integer> statuses) { failing.addAll(statuses); }

    /**
     * The next call that reaches the service waits there (10 s at most) until {@code until} holds, then is answered
     * as usual (or as answerNext said): a call that is on its way while something else happens.
     */
    void holdNextUntil(java.util.function.BooleanSupplier until) { holdUntil = until; }

    /** Calls that failed while unreachableFor was in force. */
    long unreachableCalled() { return unreachableCalled.get(); }

    /** Forgets the statuses answerNext had left: from now on it answers as usual. */
    void answerAsUsual() { nextAnswers.clear(); }

    /**
     * When (System.nanoTime()) each call arrived that reached its handler or, while crashed, was dropped (not
     * the ones answered 503 by down(true)).
     */
    List<Long> callsAt() { return List.copyOf(callsAt); }

    /** Calls that found it crashed: their connection was dropped unanswered. */
    int dropped() { return dropped.get(); }

    /** Starts it again (a new process, at a new address), with the orders it handled before. */
    void restart() {
      server = SimulatedService.start(name(), latency, routes());
      url = server.url();
      closeCrashed();
    }

    private void closeCrashed() {
      try {
        if (crashed != null) crashed.close();
      } catch (IOException ignored) {
        // closing a listener that only dropped connections
      }
    }

    @Override
    public void close() {
      server.close();
      closeCrashed();
    }
  }

  record OrderRef(String orderId) {}
}
