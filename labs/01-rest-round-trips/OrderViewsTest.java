///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES OrderViews.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.rest.Rest;
import workbook.rest.SimulatedService;
import workbook.test.WaitsLong;

@DisplayName("Lab 01: REST round-trips")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class OrderViewsTest {
  public static void main(String[] args) { workbook.test.LabTests.run(OrderViewsTest.class, args); }

  /**
   * The threads that were there before this class's first test: the runner's own (Surefire's stream flusher, an IDE's,
   * the workbook's), never a scheduler of the lab's. First, so that nothing of the lab has started yet.
   */
  static final java.util.Set<Long> RUNNER_THREADS = Thread.getAllStackTraces().keySet().stream().map(Thread::getId)
      .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /**
   * Every thread alive (the same as Thread.getAllStackTraces().keySet()), without stopping the JVM to walk every thread's
   * stack (Jetty runs hundreds): for the loops that look at the threads every few milliseconds and read a stack only where
   * they need one.
   */
  static java.util.List<Thread> liveThreads() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) root = root.getParent();
    Thread[] threads = new Thread[root.activeCount() + 64];
    int n;
    while ((n = root.enumerate(threads, true)) == threads.length) threads = new Thread[threads.length * 2];
    return java.util.Arrays.asList(threads).subList(0, n);
  }

  // Only the sequential test reads a clock (three calls in a row take at least three latencies, a sleep
  // guarantees that), so the latency is short: every call of the run pays it. The demo shows 150 ms. No
  // test here measures concurrency by time: the services meet in a latch instead.
  static final long LATENCY_MS = 5;
  static Services services;
  static OrderViews views;
  static SimulatedService viewService;
  static final OrderViews.OrderView EXPECTED = new OrderViews.OrderView(
      Services.ORDERS.get("42"), Services.CUSTOMERS.get("7"), Services.SHIPMENTS.get("42"));
  // A second page, built at the same time as the first, must get its own order and nobody else's.
  static final OrderViews.OrderView OTHER = new OrderViews.OrderView(
      Services.ORDERS.get("43"), Services.CUSTOMERS.get("8"), Services.SHIPMENTS.get("43"));

  @BeforeAll
  static void startServices() {
    services = new Services(Duration.ofMillis(LATENCY_MS));
    views = new OrderViews(new RestClient(Services.TOKEN), services);
    viewService = ViewService.start(views, 0);
    // Warm up the HTTP client and the servers (class loading, first connections) with no
    // simulated latency, so the timings below measure round-trips and nothing else.
    services.latency(Duration.ZERO);
    views.sequential("42", "7");
    services.latency(Duration.ofMillis(LATENCY_MS));
  }

  @AfterAll
  static void stopServices() {
    viewService.close();
    services.close();
  }

  @BeforeEach
  void resetCounts() {
    services.requireToken(false);
    services.dontWait();
    for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments, viewService}) {
      s.resetCount();
      s.down(false);
    }
    for (String service : new String[] {"orders", "customers", "shipments"}) services.answer(service, 0);
  }

  /** The HttpError a call failed with, thrown as it is or inside a future's CompletionException; else null. */
  static RestClient.HttpError httpError(Throwable thrown) {
    Throwable t = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    return t instanceof RestClient.HttpError error ? error : null;
  }

  /** How a failure looks in a message: its class and message, and its cause's. */
  static String describe(Throwable t) {
    if (t == null) return "no exception";
    return t.getClass().getSimpleName() + ": " + t.getMessage() + (t.getCause() == null ? "" : " (cause " + describe(t.getCause()) + ")");
  }

  /**
   * Builds {@code pages} views at once, one per thread, "42" and "43" in turn; their requests (three each) must meet at the
   * services. Returns the views in the order the pages were started.
   */
  static OrderViews.OrderView[] pagesAtOnce(int pages, java.util.function.BiFunction<String, String, OrderViews.OrderView> build)
      throws Exception {
    services.expectTogether(3 * pages);
    ExecutorService callers = Executors.newFixedThreadPool(pages);
    try {
      java.util.List<Future<OrderViews.OrderView>> views = new java.util.ArrayList<>();
      for (int p = 0; p < pages; p++) {
        boolean first = p % 2 == 0;
        views.add(callers.submit(() -> build.apply(first ? "42" : "43", first ? "7" : "8")));
      }
      OrderViews.OrderView[] built = new OrderViews.OrderView[pages];
      for (int p = 0; p < pages; p++) built[p] = views.get(p).get();
      return built;
    } finally {
      callers.shutdownNow();
    }
  }

  /** Builds the two views "42" and "43" on two threads at once; their six requests must meet at the services. */
  static OrderViews.OrderView[] twoAtOnce(java.util.function.BiFunction<String, String, OrderViews.OrderView> build)
      throws Exception {
    services.expectTogether(6);
    ExecutorService pages = Executors.newFixedThreadPool(2);
    try {
      Future<OrderViews.OrderView> first = pages.submit(() -> build.apply("42", "7"));
      Future<OrderViews.OrderView> second = pages.submit(() -> build.apply("43", "8"));
      return new OrderViews.OrderView[] {first.get(), second.get()};
    } finally {
      pages.shutdownNow();
    }
  }

  static long millis(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  @DisplayName("the sequential view makes three round-trips, one after the other")
  void sequentialCostsThreeRoundTrips() {
    long ms = millis(() -> assertThat(views.sequential("42", "7")).isEqualTo(EXPECTED));
    assertThat(ms).as("three calls of %d ms in a row", LATENCY_MS).isGreaterThanOrEqualTo(3 * LATENCY_MS);
  }

  /** A client without the lab's code, to see what the view service itself answers. */
  static final HttpClient PLAIN = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /**
   * An answer with any status at all, 1xx included (HttpClient keeps interim answers to itself). Every answer that is
   * not a 2xx says "Retry-After: 0" or "Retry-After: 1" ({@link #retryAfter}), as a service that is down or busy may: a
   * call is still one round-trip.
   */
  record Answer(int statusCode, String body, String retryAfterSays, String contentType) implements HttpResponse<String> {
    /** An answer that, when it is not a 2xx, says the Retry-After {@link #retryAfter} gives its status. */
    Answer(int statusCode, String body) { this(statusCode, body, statusCode / 100 == 2 ? null : OrderViewsTest.retryAfter(statusCode)); }

    /** An answer with this Retry-After (null: none) and no Content-Type. */
    Answer(int statusCode, String body, String retryAfterSays) { this(statusCode, body, retryAfterSays, null); }

    public HttpRequest request() { return HttpRequest.newBuilder(URI.create("http://127.0.0.1/orders/42")).build(); }
    public Optional<HttpResponse<String>> previousResponse() { return Optional.empty(); }
    public HttpHeaders headers() {
      Map<String, java.util.List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      if (retryAfterSays != null) headers.put("Retry-After", java.util.List.of(retryAfterSays));
      if (contentType != null) headers.put("Content-Type", java.util.List.of(contentType));
      return HttpHeaders.of(headers, (name, value) -> true);
    }
    public Optional<SSLSession> sslSession() { return Optional.empty(); }
    public URI uri() { return request().uri(); }
    public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
  }

  /**
   * The Retry-After every answer that is not a 2xx says, as a service that is down or busy may: "0" (at once) for an even
   * status, "1" (in a second) for an odd one, so 503 says "1": a client that retries only when told when is seen too.
   */
  static String retryAfter(int status) { return String.valueOf(status % 2); }

  /** An HttpClient that sends nothing: it answers every request at once with an order whose id is the last
   * segment of the request's path, whose customerId is the request's whole URI and whose item is the request's
   * Authorization header. */
  static final class EchoClient extends workbook.test.StandInHttpClient {
    @SuppressWarnings("unchecked")
    private static <T> HttpResponse<T> echo(HttpRequest request) {
      String path = request.uri().getPath();
      String id = path.substring(path.lastIndexOf('/') + 1);
      String auth = request.headers().allValues("Authorization").size() == 1 ? request.headers().firstValue("Authorization").get() : "";
      return (HttpResponse<T>) new Answer(200,
          "{\"id\":\"" + id + "\",\"customerId\":\"" + request.uri() + "\",\"item\":\"" + auth + "\",\"totalCents\":1}");
    }

    /** The request sent last, headers and all. */
    volatile HttpRequest last;

    @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      last = request;
      return echo(request);
    }
    @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      last = request;
      return CompletableFuture.completedFuture(echo(request));
    }
  }

  /** A request builder that meets the other call (LockStep) after each uri(...) and before each build(). */
  static final class SteppedBuilder implements HttpRequest.Builder {
    private final HttpRequest.Builder builder;
    private final workbook.test.LockStep step;

    SteppedBuilder(HttpRequest.Builder builder, workbook.test.LockStep step) {
      this.builder = builder;
      this.step = step;
    }

    @Override public HttpRequest.Builder uri(URI uri) { builder.uri(uri); step.await(); return this; }
    @Override public HttpRequest build() { step.await(); return builder.build(); }
    @Override public HttpRequest.Builder copy() { return builder.copy(); }  // a copy is the call's own
    @Override public HttpRequest.Builder expectContinue(boolean enable) { builder.expectContinue(enable); return this; }
    @Override public HttpRequest.Builder version(HttpClient.Version version) { builder.version(version); return this; }
    @Override public HttpRequest.Builder header(String name, String value) { builder.header(name, value); return this; }
    @Override public HttpRequest.Builder headers(String... headers) { builder.headers(headers); return this; }
    @Override public HttpRequest.Builder timeout(Duration duration) { builder.timeout(duration); return this; }
    @Override public HttpRequest.Builder setHeader(String name, String value) { builder.setHeader(name, value); return this; }
    @Override public HttpRequest.Builder GET() { builder.GET(); return this; }
    @Override public HttpRequest.Builder POST(HttpRequest.BodyPublisher body) { builder.POST(body); return this; }
    @Override public HttpRequest.Builder PUT(HttpRequest.BodyPublisher body) { builder.PUT(body); return this; }
    @Override public HttpRequest.Builder DELETE() { builder.DELETE(); return this; }
    @Override public HttpRequest.Builder method(String method, HttpRequest.BodyPublisher body) { builder.method(method, body); return this; }
  }

  /**
   * What HttpClient says when the service closes the connection before a byte of its answer: the service read the request
   * (and may have done the work), so the call is not made again, as for any other broken connection.
   */
  static final String CLOSED = "HTTP/1.1 header parser received no bytes";

  /** The three parts of a view, as the services that answer them are named. */
  static final String[] PARTS = {"orders", "customers", "shipments"};

  /** Every answer a part can give instead of itself: each status from 100 to 599 that is not a 2xx, a
   * request that timed out, a connection that broke, one that the service closed before a byte of its answer (HttpClient's
   * "header parser received no bytes": the service may have had the request), one that was refused, one not made in time
   * (a connect timeout):
   * the last two never reached the service, and are still not asked again; and a 2xx with no body at all ("empty204"),
   * which has no part to read either (a 200 and a 299 as much as a 204 or a 205). */
  static final java.util.List<String> FAILED_ANSWERS = failedAnswers();

  static java.util.List<String> failedAnswers() {
    java.util.List<String> all = new java.util.ArrayList<>();
    for (int status = 100; status <= 599; status++) if (status / 100 != 2) all.add(String.valueOf(status));
    all.add("timeout");
    all.add("reset");
    all.add("closed");
    all.add("refused");
    all.add("connect");
    for (int status : new int[] {200, 204, 205, 299}) all.add("empty" + status);
    return all;
  }

  /**
   * A future of the stand-in services below whose answer is late: a timeout set on it (or on any stage made
   * from it) has run out at once, as if the part took longer than whatever the caller chose to wait.
   */
  static final class Late<T> extends CompletableFuture<T> {
    @Override public <U> CompletableFuture<U> newIncompleteFuture() { return new Late<>(); }
    @Override public CompletableFuture<T> completeOnTimeout(T value, long timeout, java.util.concurrent.TimeUnit unit) {
      complete(value);
      return this;
    }
    @Override public CompletableFuture<T> orTimeout(long timeout, java.util.concurrent.TimeUnit unit) {
      completeExceptionally(new java.util.concurrent.TimeoutException());
      return this;
    }
    @Override public T get(long timeout, java.util.concurrent.TimeUnit unit)
        throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
      if (!isDone()) throw new java.util.concurrent.TimeoutException();
      return super.get(timeout, unit);
    }
  }

  /**
   * An HttpClient standing in for orders, customers and shipments, with no network: each answers its part,
   * except the part named in the id ("shipments.404": shipments answers 404 "shipments answered 404";
   * ".timeout": its request times out; ".reset": its connection breaks; ".closed": its connection is closed before a byte of
   * the answer; ".refused": nobody takes the connection;
   * ".connect": its connection is not made in time (a connect timeout); ".empty204": it answers 204 with no body;
   * ".blank503": it answers 503 with no body at all; ".late": it answers when released).
   * Every request is counted. Made with {@code together}, no request of a view is answered before all three of
   * its requests are in (as the real services meet in a latch): when the view fails, its counts are final. Three
   * that never come together (calls made one after the other) are answered after two seconds, once: from then on
   * {@link #apart()} says so and nobody waits.
   */
  static final class Backends extends workbook.test.StandInHttpClient {
    /** A timer of the tests' own: CompletableFuture's is left to the page (see timeoutPending). */
    private static final java.util.concurrent.ScheduledExecutorService APART_TIMER =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "apart-timer");
          t.setDaemon(true);
          return t;
        });
    private final boolean together;
    private final long apartMillis;
    private volatile boolean apart;
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, java.util.Set<String>> partsIn = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> allIn = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<HttpResponse<String>>> held = new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicLong longestTimeout = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger blockingSends = new java.util.concurrent.atomic.AtomicInteger();

    Backends(boolean together) { this(together, 2_000); }

    /** Three requests of a view that have not come together after {@code apartMillis} are answered, once (see apart()). */
    Backends(boolean together, long apartMillis) {
      this.together = together;
      this.apartMillis = apartMillis;
    }

    /** The longest timeout a request sent here carried (the given client's calls time out at 15 s), or 0. */
    long longestTimeoutNanos() { return longestTimeout.get(); }

    /** Whether the three requests of a view once failed to come together. */
    boolean apart() { return apart; }

    /** How many requests were sent with the blocking send (get), not sendAsync (getAsync). */
    int blockingSends() { return blockingSends.get(); }

    /** The page watched (see {@link #heldWhileAnswering}): its thread, and the one that sends the last request, are its own. */
    volatile Thread watched;
    /** The threads of the lab's own, other than the page's, that waited while the watched view's three requests were in. */
    final java.util.List<String> heldWhileAnswering = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * The threads running the lab's code, other than {@code page} and this one, that wait for a future (a join, a get, a
     * blocking send): each holds a thread while an answer is on its way; and, when two or more of them wait in another way
     * (asleep in a loop that polls isDone(), on a lock, or still running the lab's code once the bound is up: a busy wait),
     * those too: a thread per call (one alone may be a deadline of the page's own). Threads still running settle first (they
     * may be on their way to wait or to finish), bounded; a view whose calls went out with getAsync from the page has none.
     */
    static java.util.List<String> threadsHeld(Thread page) throws InterruptedException {
      // Bounded for threads still running the lab's code: a correct view has none, so it pays nothing for the bound.
      long until = System.nanoTime() + 5_000_000_000L;
      java.util.Set<Thread> before = null;
      while (true) {
        java.util.Set<Thread> held = new java.util.LinkedHashSet<>();
        java.util.Set<Thread> waiting = new java.util.LinkedHashSet<>();  // waits, but not parked on a future
        boolean settling = false;
        boolean last = System.nanoTime() > until;
        for (Thread t : liveThreads()) {
          if (t == page || t == Thread.currentThread()) continue;
          Thread.State state = t.getState();
          StackTraceElement[] stack = t.getStackTrace();  // read after the state: a thread that moved on since is settling
          if (java.util.Arrays.stream(stack).noneMatch(frame -> Step1.labClass(frame.getClassName()))) continue;
          if (state != t.getState() || state == Thread.State.RUNNABLE || state == Thread.State.NEW) {
            settling = true;
            if (last && state != Thread.State.NEW) waiting.add(t);  // still in the lab's code once the bound is up: it polls
          }
          else if (state != Thread.State.TERMINATED && Step1.parkedOnAFuture(t)) held.add(t);  // waits for an answer
          else if (state != Thread.State.TERMINATED) waiting.add(t);  // asleep (a loop that polls isDone()), or on a lock
        }
        if (waiting.size() >= 2) held.addAll(waiting);  // a thread per call, each waiting its own way
        // held twice in a row (a thread that waits for an answer waits until it comes, after this): not one passing by
        if (!settling && held.equals(before) || last) {
          java.util.List<String> names = new java.util.ArrayList<>();
          for (Thread t : held) names.add(t.getName() + " (" + t.getState() + ")");
          return names;
        }
        before = held;
        Thread.sleep(2);
      }
    }

    /** How many times orders, customers and shipments were asked for the view with this id. */
    int[] asked(String id) {
      int[] times = new int[PARTS.length];
      for (int i = 0; i < PARTS.length; i++) {
        var count = asked.get(PARTS[i] + " " + id);
        times[i] = count == null ? 0 : count.get();
      }
      return times;
    }

    /** The late part of the view with this id answers now. */
    void release(String part, String id) {
      CompletableFuture<HttpResponse<String>> late = held.get(part + " " + id);
      if (late != null) late.complete(new Answer(200, json(part, id)));
    }

    /** The whole view with this id, as these services answer it. */
    static OrderViews.OrderView view(String id) {
      return new OrderViews.OrderView(new Services.Order(id, id, "item", 1), new Services.Customer(id, "name", "mail"),
          new Services.Shipment("s", id, "in transit", "carrier"));
    }

    /** The whole view of this order and customer, as these services answer it. */
    static OrderViews.OrderView view(String orderId, String customerId) {
      return new OrderViews.OrderView(new Services.Order(orderId, orderId, "item", 1), new Services.Customer(customerId, "name", "mail"),
          new Services.Shipment("s", orderId, "in transit", "carrier"));
    }

    private static String json(String part, String id) {
      return switch (part) {
        case "orders" -> "{\"id\":\"" + id + "\",\"customerId\":\"" + id + "\",\"item\":\"item\",\"totalCents\":1}";
        case "customers" -> "{\"id\":\"" + id + "\",\"name\":\"name\",\"email\":\"mail\"}";
        default -> "{\"id\":\"s\",\"orderId\":\"" + id + "\",\"status\":\"in transit\",\"carrier\":\"carrier\"}";
      };
    }

    /** The answer to {@code request}; with {@code together}, it comes once the view's three requests are in. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T> CompletableFuture<HttpResponse<T>> answer(HttpRequest request) {
      URI uri = request.uri();
      String path = uri.getPath();
      String part = path.startsWith("/orders/") ? "orders" : path.startsWith("/customers/") ? "customers" : "shipments";
      // the shipment by its orderId parameter, wherever it stands in the query (a token in the query is step 4's to see)
      String id = part.equals("shipments") ? java.util.Arrays.stream(String.valueOf(uri.getQuery()).split("&"))
          .filter(p -> p.startsWith("orderId=")).map(p -> p.substring("orderId=".length())).findFirst().orElse("")
          : path.substring(path.lastIndexOf('/') + 1);
      asked.computeIfAbsent(part + " " + id, key -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
      request.timeout().ifPresent(t -> longestTimeout.accumulateAndGet(t.toNanos(), Math::max));
      CompletableFuture<Void> in = allIn.computeIfAbsent(id, key -> new CompletableFuture<>());
      java.util.Set<String> parts = partsIn.computeIfAbsent(id, key -> java.util.concurrent.ConcurrentHashMap.newKeySet());
      parts.add(part);
      Thread page = watched;
      if (together && page != null && parts.size() == PARTS.length && !in.isDone()) {
        watched = null;  // once, for the view watched: all three requests are in and none is answered yet
        try {
          heldWhileAnswering.addAll(threadsHeld(page));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (!together || apart || parts.size() == PARTS.length) in.complete(null);
      Late<HttpResponse<String>> answer = new Late<>();
      String what = id.startsWith(part + ".") ? id.substring(part.length() + 1) : "";
      Runnable settle = () -> {
        switch (what) {
          case "" -> answer.complete(new Answer(200, json(part, id)));
          case "timeout" -> answer.completeExceptionally(new java.net.http.HttpTimeoutException("request timed out"));
          case "reset" -> answer.completeExceptionally(new java.net.SocketException("connection reset"));
          case "closed" -> answer.completeExceptionally(new java.io.IOException(CLOSED));
          case "refused" -> answer.completeExceptionally(new java.net.ConnectException("Connection refused"));
          case "connect" -> answer.completeExceptionally(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out"));
          case "late" -> held.put(part + " " + id, answer);
          default -> answer.complete(what.startsWith("empty") ? new Answer(Integer.parseInt(what.substring("empty".length())), "")
              : what.startsWith("blank") ? new Answer(Integer.parseInt(what.substring("blank".length())), "")
              : new Answer(Integer.parseInt(what), part + " answered " + what));
        }
      };
      if (in.isDone()) settle.run();
      else {
        in.thenRun(settle);
        // Three calls that never come together (one after the other): answered after a bounded wait, once.
        APART_TIMER.schedule(() -> {
          if (in.complete(null)) apart = true;
        }, apartMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      return (CompletableFuture) answer;
    }

    @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws java.io.IOException, InterruptedException {
      blockingSends.incrementAndGet();
      try {
        return this.<T>answer(request).get();  // get() without a timeout: Late runs out only timeouts
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof java.io.IOException io) throw io;
        throw new IllegalStateException(e.getCause());
      }
    }
    @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      return answer(request);
    }
  }

  /**
   * A RestClient whose HttpClient is {@code http}: stand-in services that can give every answer a real one can (each
   * status, a timeout, a broken connection, an answer that comes late). The given RestClient keeps one HttpClient in a
   * field for all its calls; one without it (a client made per call) fails here, in the step {@code todo} names.
   */
  static RestClient clientOn(HttpClient http, String todo) throws Exception {
    java.lang.reflect.Field field = java.util.Arrays.stream(RestClient.class.getDeclaredFields())
        .filter(f -> f.getType() == HttpClient.class).findFirst().orElse(null);
    assertThat(field != null && !java.lang.reflect.Modifier.isStatic(field.getModifiers()))
        .as("%s: RestClient keeps no HttpClient of its own in a field (found: %s): the given RestClient makes one"
            + " HttpClient and uses it for every call, so connections stay open and are reused (HTTP/1.1 keep-alive), where"
            + " a client made per call opens a new connection for each; keep the given field `http`: these tests put"
            + " stand-in services behind it to try every answer a service can give", todo, field)
        .isTrue();
    RestClient client = new RestClient(Services.TOKEN);
    field.setAccessible(true);
    field.set(client, http);
    return client;
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: concurrent calls")
  class Step1 {
    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT - 1)  // cheap: before the late part's waits
    @DisplayName("the three calls hold no thread while their answers are on their way: getAsync from the page, not a get nor a join on threads of its own")
    void noThreadHeldPerCall() throws Exception {
      // Three requests that do not come together soon are answered at once: this test looks only at views whose calls
      // overlap (the others are for "all three calls are in flight ..."), and the sweep below looks again, with more time.
      Backends backends = new Backends(true, 300);
      OrderViews fake = new OrderViews(clientOn(backends, "TODO 1"), services);
      backends.watched = Thread.currentThread();
      assertThat(fake.concurrent("whole", "whole")).as("TODO 1: the concurrent view while every part answers").isEqualTo(Backends.view("whole"));
      assertThat(backends.heldWhileAnswering).as(HELD, "").isEmpty();
    }

    /** What a thread held per call means, and what to do instead. */
    static final String HELD = "TODO 1: while the view's three requests were at the services and none was answered yet, these"
        + " threads of the view's own waited for the answers%s: a blocking get(...) or a getAsync(...) joined inside"
        + " supplyAsync(...) (or on a pool of its own), or one that polls isDone() there with a sleep between, holds a thread"
        + " per call while its answer is on its way; start the three"
        + " calls with client.getAsync(...) on the page's thread and join them there: a pool of threads that each wait serves"
        + " only as many calls at once as it has threads";

    @Test
    @DisplayName("build the same view as the sequential calls")
    void sameView() {
      assertThat(views.concurrent("42", "7")).as("TODO 1: the concurrent view").isEqualTo(EXPECTED);
    }

    @Test
    @DisplayName("ask each service exactly once")
    void oneCallEach() {
      views.concurrent("42", "7");
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 1: requests to orders, customers, shipments (each should get one)").containsExactly(1, 1, 1);
    }

    @Test
    @DisplayName("all three calls are in flight at the same time")
    void allThreeInFlightTogether() {
      services.expectTogether();
      views.concurrent("42", "7");
      assertThat(services.metTogether())
          .as("TODO 1: the three requests never were at the services at the same time, so the page still waits"
              + " for one call after the other: start all three with getAsync before you join any of them (see hint 1)")
          .isTrue();
    }

    @Test
    @DisplayName("a failed call fails the view, whichever of the three it is: no view with a hole in it")
    void anyFailedCallFailsTheView() {
      for (SimulatedService down : new SimulatedService[] {services.orders, services.customers, services.shipments}) {
        down.down(true);
        for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments}) s.resetCount();
        try {
          Throwable thrown = catchThrowable(() -> views.concurrent("42", "7"));
          assertThat(thrown)
              .as("TODO 1: %s answered 503, yet concurrent(...) returned a view: every part is needed, so join every"
                  + " future and let its failure through (no exceptionally(...) that fills in null)", down.name())
              .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
          // The view fails as soon as the 503 is in, while the other two requests may still be on their way: wait (bounded)
          // until each service has had its request, so the counts are final whatever the machine's load.
          long until = System.nanoTime() + 2_000_000_000L;
          while ((services.orders.requests() == 0 || services.customers.requests() == 0 || services.shipments.requests() == 0)
              && System.nanoTime() < until) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
          }
          assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
              .as("TODO 1: %s answered 503 and the view failed, but orders, customers and shipments were asked this many"
                  + " times: each service is asked once per view, failed or not; a retry is one more round-trip, and a"
                  + " service that is down is only asked again (no exceptionallyCompose(...) that calls again)",
                  down.name())
              .containsExactly(1, 1, 1);
        } finally {
          down.down(false);
        }
      }
      // Whatever the failed call answered: a 404 is no more a part than a 503 (no "not shipped yet" null).
      services.latency(Duration.ZERO);
      try {
        for (String failing : new String[] {"orders", "customers", "shipments"}) {
          for (int status : FAILURES) {
            services.answer(failing, status);
            for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments}) s.resetCount();
            services.expectTogether();  // no answer before all three are asked: the counts below are final when the view fails
            try {
              Throwable thrown = catchThrowable(() -> views.concurrent("42", "7"));
              assertThat(thrown)
                  .as("TODO 1: %s answered %d (the other two answered their part), yet concurrent(...) returned a view: any"
                      + " answer that is not the part is a failed call, a 404 as much as a 503, and a failed call fails the"
                      + " view; let every future's failure through (no exceptionally(...) that fills in null)", failing, status)
                  .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
              assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
                  .as("TODO 1: %s answered %d and the view failed, but orders, customers and shipments were asked this many"
                      + " times: each service is asked once per view, failed or not", failing, status)
                  .containsExactly(1, 1, 1);
            } finally {
              services.answer(failing, 0);
            }
          }
        }
      } finally {
        services.latency(Duration.ofMillis(LATENCY_MS));
      }
    }

    /** Failed answers a service may give: a redirect, the client errors a call can meet, the server errors. */
    static final int[] FAILURES = {301, 400, 401, 403, 404, 409, 410, 429, 500, 501, 502, 503, 504};

    @Test
    @DisplayName("whatever a part answers instead of itself (every status from 100 to 599 that is not a 2xx, a 2xx with no body, a timeout, a connection broken, refused or not made in time), the concurrent view fails and each service is asked once")
    void everyFailedAnswerFailsTheViewOnce() throws Exception {
      Backends backends = new Backends(true);
      RestClient client = clientOn(backends, "TODO 1");
      OrderViews fake = new OrderViews(client, services);
      // First a whole view: its three calls go out with getAsync, so no thread is held per call while it waits.
      backends.watched = Thread.currentThread();
      assertThat(fake.concurrent("whole", "whole")).as("TODO 1: the concurrent view while every part answers").isEqualTo(Backends.view("whole"));
      assertThat(backends.blockingSends())
          .as("TODO 1: the concurrent view made %d of its three calls with the blocking get(...) (on threads of its own, such"
              + " as supplyAsync(() -> client.get(...))): start them with client.getAsync(...), which holds no thread while"
              + " the answer is on its way; a pool of threads that each block in get serves only as many calls at once as it"
              + " has threads (the common pool has one fewer than the machine's cores), so pages that arrive together at the"
              + " view service wait for each other", backends.blockingSends())
          .isZero();
      assertThat(backends.heldWhileAnswering).as(HELD, " (the sweep's first view)").isEmpty();
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (String part : PARTS) {
        for (String what : FAILED_ANSWERS) {
          String id = part + "." + what;  // the view with this id: `part` answers `what`, the other two their parts
          Throwable thrown = null;
          OrderViews.OrderView view = null;
          try {
            view = fake.concurrent(id, id);
          } catch (RuntimeException e) {
            thrown = e;
          }
          int[] asked = backends.asked(id);
          if (thrown instanceof UnsupportedOperationException) wrong.add("concurrent(...) is not written yet: " + thrown.getMessage());
          else if (thrown == null) wrong.add(part + " answered " + what + ", yet concurrent(...) returned a view: " + view);
          else if (!ownFailure(thrown, what, part + " answered " + what)) {
            wrong.add(part + " answered " + what + ", and the view failed with " + describe(thrown) + ", not with that call's own"
                + (what.startsWith("empty") ? " failure to read a part from nothing (an HttpError is for a status that is not a 2xx)"
                : Character.isDigit(what.charAt(0)) ? " HttpError " + what + " with the body it sent (\"" + part + " answered " + what
                + "\")" : " " + ownClass(what).getSimpleName()
                + " (as it is or as the cause of another exception, never a new IOException made of its message)"));
          } else if (!java.util.Arrays.equals(asked, new int[] {1, 1, 1})) {
            wrong.add(part + " answered " + what + ", and orders, customers, shipments were asked " + java.util.Arrays.toString(asked) + " times");
          }
          if (backends.apart()) wrong.add("the three requests of the view " + id + " were never in flight together (two seconds"
              + " waited): start all three with getAsync before joining any; the sweep stops here");
          if (wrong.size() >= 5 || backends.apart()) break;
        }
        if (wrong.size() >= 5 || backends.apart()) break;
      }
      assertThat(wrong)
          .as("TODO 1: each part in turn answered every status from 100 to 599 that is not a 2xx, a 2xx with no body (a 204"
              + " \"not shipped yet\" has no part in it either), timed out, or had"
              + " its connection broken, refused or not made in time (the other two answered their parts); the first views"
              + " that went wrong are below: any"
              + " answer that is not the part fails the view (no exceptionally(...) or handle(...) that fills in null, whatever the"
              + " status: a 408 or a timeout as much as a 404), the view fails with the failed call's own error (its"
              + " HttpError, with the status and the body the service sent: no new HttpError with a text of the view's own;"
              + " or the timeout or broken connection, as it is or inside join()'s CompletionException, so the"
              + " caller can tell \"the service said 503\" from \"nobody answered\": no cast that turns an IOException into"
              + " a ClassCastException), and each service is asked once per view, failed or not (no exceptionallyCompose(...)"
              + " that asks again: a retry is one more round-trip; not after a refused connection or a connect timeout either,"
              + " which reached no service: a service that is restarting or overloaded refuses the second try as well, and"
              + " the view waits for two failures instead of one)")
          .isEmpty();
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: twelve hundred views
    @DisplayName("whatever a part answers instead of itself with no body at all (every status from 100 to 599 that is not a 2xx, as a load balancer may send it), the concurrent view fails with that call's own HttpError and each service is asked once")
    void everyBodilessFailureFailsTheViewOnce() throws Exception {
      Backends backends = new Backends(true);
      OrderViews fake = new OrderViews(clientOn(backends, "TODO 1"), services);
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (String part : PARTS) {
        for (int status = 100; status <= 599 && wrong.size() < 5 && !backends.apart(); status++) {
          if (status / 100 == 2) continue;
          String id = part + ".blank" + status;  // `part` answers `status` with no body, the other two their parts
          Throwable thrown = null;
          OrderViews.OrderView view = null;
          try {
            view = fake.concurrent(id, id);
          } catch (RuntimeException e) {
            thrown = e;
          }
          RestClient.HttpError error = httpError(thrown);
          int[] asked = backends.asked(id);
          if (thrown instanceof UnsupportedOperationException) wrong.add("concurrent(...) is not written yet: " + thrown.getMessage());
          else if (thrown == null) wrong.add(part + " answered " + status + " with no body, yet concurrent(...) returned a view: " + view);
          else if (error == null || error.status() != status || !error.body().isEmpty()) {
            wrong.add(part + " answered " + status + " with no body, and the view failed with " + describe(thrown) + ", not with that"
                + " call's own HttpError " + status + " and its empty body");
          } else if (!java.util.Arrays.equals(asked, new int[] {1, 1, 1})) {
            wrong.add(part + " answered " + status + " with no body, and orders, customers, shipments were asked "
                + java.util.Arrays.toString(asked) + " times");
          }
          if (backends.apart()) wrong.add("the three requests of the view " + id + " were never in flight together (two seconds"
              + " waited): start all three with getAsync before joining any; the sweep stops here");
        }
      }
      assertThat(wrong)
          .as("TODO 1: each part in turn answered every status from 100 to 599 that is not a 2xx with no body at all (as a load"
              + " balancer or a proxy may, a 503 as much as a 404), the other two their parts; the first views that went wrong are"
              + " below: the view fails with the failed call's own HttpError, its empty body as it came, and each service is"
              + " asked once per view, failed or not, whatever the failure's body (no exceptionallyCompose(...) that asks again"
              + " when a 502, 503 or 504 says nothing: a retry is one more round-trip to a service that is down)")
          .isEmpty();
    }

    /**
     * Whether {@code thrown} is the failure of the call that answered {@code what}: its HttpError with that status and the
     * {@code body} the service sent with it (as it is or in a CompletionException, not a new one with a text of its own), or for a timeout or a broken connection that very failure in its causes (the
     * HttpTimeoutException of a timeout, the SocketException of a reset, the ConnectException of a refused connection,
     * the HttpConnectTimeoutException of a connection not made in time), not another IOException made of its message.
     */
    static boolean ownFailure(Throwable thrown, String what, String body) {
      RestClient.HttpError error = httpError(thrown);
      return ownFailure(thrown, what) && (error == null || body.equals(error.body()));
    }

    /** The same, whatever the body of an HttpError (for answers whose body the caller did not see sent). */
    static boolean ownFailure(Throwable thrown, String what) {
      // a 2xx with no body: no part to read, so the call fails, but with no HttpError (that is for statuses that are not 2xx)
      if (what.startsWith("empty")) return thrown != null && !(thrown instanceof UnsupportedOperationException) && httpError(thrown) == null;
      if (Character.isDigit(what.charAt(0))) {
        RestClient.HttpError error = httpError(thrown);
        return error != null && error.status() == Integer.parseInt(what);
      }
      for (Throwable t = thrown; t != null; t = t.getCause()) if (ownClass(what).isInstance(t)) return httpError(thrown) == null;
      return false;
    }

    /** The exception a call that answered {@code what} ("timeout", "reset", "closed", "refused", "connect") fails with. */
    static Class<? extends java.io.IOException> ownClass(String what) {
      return switch (what) {
        case "timeout" -> java.net.http.HttpTimeoutException.class;
        case "reset" -> java.net.SocketException.class;
        case "closed" -> java.io.IOException.class;
        case "refused" -> java.net.ConnectException.class;
        default -> java.net.http.HttpConnectTimeoutException.class;
      };
    }

    @Test @WaitsLong // on unfinished code it waits out its 20 s bound for the view
    @DisplayName("a part that comes late is waited for, however late: the view never leaves it out (no timeout that fills in null), nor asks for it again")
    void latePartIsWaitedFor() throws Exception {
      boolean first = true;
      for (String part : PARTS) {
        Backends backends = new Backends(false);
        OrderViews page = new OrderViews(clientOn(backends, "TODO 1"), services);
        String id = part + ".late";
        CompletableFuture<OrderViews.OrderView> built = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
          try {
            built.complete(page.concurrent(id, id));
          } catch (Throwable e) {
            built.completeExceptionally(e);
          }
        }, "page");
        Baseline before = Baseline.now();
        caller.start();
        try {
          // The late part answers only once the page waits for a future with no clock running (or is done), so it comes
          // later than any timeout the page set: one on the part's own future has run out at once (Late runs every timeout
          // out at once); with any other (allOf(...).orTimeout(...), completeOnTimeout(...) on a future of its own, a
          // get(timeout), a loop that polls until a deadline, a task on a scheduler or a java.util.Timer of its own) the
          // page is waited for until it is done: with the first late
          // part, however long its clock runs, up to its calls' own timeout (the given 15 s; a part later than that fails
          // its call, and the view with it); a page's deadline is the same for every part, so the other two wait less.
          // The other two parts have answered before the page waits, so a page parked with no clock waits for the late
          // part alone. States, not timing: the waits are bounded.
          long until = System.nanoTime() + 5_000_000_000L;
          while (caller.isAlive() && !parkedOnAFuture(caller) && System.nanoTime() < until) Thread.sleep(1);
          long callTimeout = Math.min(Math.max(backends.longestTimeoutNanos(), 15_000_000_000L), 40_000_000_000L);
          until = System.nanoTime() + (first ? callTimeout + 1_000_000_000L : 10_000_000_000L);
          first = false;
          boolean clock = false;  // once seen running, the page is waited for until it is done (or the bound)
          // A part asked for again while the first request waits (a hedge, a second try of its own) ends the wait: seen.
          while (caller.isAlive() && System.nanoTime() < until && java.util.Arrays.stream(backends.asked(id)).allMatch(n -> n <= 1)
              && (clock |= clockRunning(java.util.List.of(caller), before))) {
            // A deadline on CompletableFuture's timer runs out now, however long: no waiting it out. The page it wakes is
            // let run before its state is looked at again (woken, it still shows parked until it runs), bounded.
            if (runPendingTimeoutsNow() > 0) {
              long woken = System.nanoTime() + 2_000_000_000L;
              while (caller.isAlive() && wokenNotRunYet(caller) && System.nanoTime() < woken) Thread.sleep(1);
            }
            Thread.sleep(5);
          }
        } finally {
          backends.release(part, id);
        }
        caller.join(20_000);
        Throwable failed = built.handle((view, e) -> e).getNow(null);
        if (failed instanceof UnsupportedOperationException) assertThat(failed).as("TODO 1: the concurrent view with a late %s", part).isNull();
        assertThat(backends.asked(id))
            .as("TODO 1: %s answered late, and orders, customers and shipments were asked this many times for the one view:"
                + " a late part is waited for, not asked again (no hedge that sends a second request when the first is slow,"
                + " no second try after a wait of the page's own): each is one more round-trip to a service that is slow"
                + " already, and each service is asked once per view", part)
            .containsExactly(1, 1, 1);
        if (failed != null) continue;  // a view that fails has no hole: only a view returned must be whole
        assertThat(built.getNow(null))
            .as("TODO 1: %s answered late (after every timeout the view set had run out, however long: up to the calls' own"
                + " 15 s timeout), and concurrent(...) returned a view without it: a view with a hole in it; every part is"
                + " needed, so wait for every future (join), and never fill in a part that has not come"
                + " (completeOnTimeout(null, ...), orTimeout(...) then exceptionally(...), get(timeout) then null, a task on a"
                + " ScheduledExecutorService or a java.util.Timer that completes the view with what has come, on a part's"
                + " future or on allOf(...) alike, whatever its length)", part)
            .isEqualTo(Backends.view(id));
      }
    }

    /**
     * Whether a page still running has a clock running: it waits with a timeout (a timed get, a sleep), is not parked on
     * a future, a timeout is pending on CompletableFuture's timer (orTimeout, completeOnTimeout, delayedExecutor), or a
     * task on a scheduler or Timer of its own.
     */
    static boolean clockRunning(java.util.List<Thread> pages, Baseline before) throws InterruptedException {
      boolean alive = false;
      for (Thread page : pages) {
        if (!page.isAlive()) continue;
        alive = true;
        if (page.getState() != Thread.State.WAITING || !parkedOnAFuture(page)) return true;
      }
      return alive && (labThreadOnAClock(pages) || timeoutPending() || schedulerPending(before, pages));
    }

    /**
     * Whether a thread of the lab's own other than the pages (one whose stack runs the lab's code: a thread it started, a
     * task it gave a pool) sleeps, waits with a timeout or runs: a deadline of the page's own kept by a plain thread
     * (Thread.sleep, then the view completed with what has come), whenever that thread was started.
     */
    static boolean labThreadOnAClock(java.util.List<Thread> pages) {
      for (var thread : Thread.getAllStackTraces().entrySet()) {
        Thread.State state = thread.getKey().getState();
        if (pages.contains(thread.getKey()) || (state != Thread.State.TIMED_WAITING && state != Thread.State.RUNNABLE)) continue;
        for (StackTraceElement frame : thread.getValue()) if (labClass(frame.getClassName())) return true;
      }
      return false;
    }

    /** Whether a class is the lab's own (OrderViews, RestClient, ViewService, their nested classes and lambdas), not a test's. */
    static boolean labClass(String name) {
      for (String lab : new String[] {"OrderViews", "RestClient", "ViewService"}) {
        if (name.equals(lab) || name.startsWith(lab + "$")) return true;
      }
      return false;
    }

    /** The threads alive before a page started. */
    record Baseline(java.util.Set<Long> ids) {
      static Baseline now() {
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (Thread thread : liveThreads()) ids.add(thread.getId());
        return new Baseline(ids);
      }
    }

    /**
     * Whether a scheduler's thread (a ScheduledExecutorService's, a java.util.Timer's) waits for a task to run later: a
     * deadline of the page's own, on a timer the tests cannot see into (the servers' own schedulers, named "Scheduler-"
     * by Jetty, the tests' "apart-timer" and the runner's own threads aside: a scheduler of Surefire's waits there too, and
     * was taken for a page's deadline, so that an IDE's run waited 36 s for a page with none). A thread started since the
     * page began settles first (it starts, then waits for its task), bounded.
     */
    static boolean schedulerPending(Baseline before, java.util.List<Thread> pages) throws InterruptedException {
      long until = System.nanoTime() + 2_000_000_000L;
      for (boolean settling = true; settling && System.nanoTime() < until; ) {
        settling = false;
        for (Thread thread : liveThreads()) {
          if (before.ids().contains(thread.getId()) || pages.contains(thread)) continue;
          Thread.State state = thread.getState();
          if (state == Thread.State.NEW || state == Thread.State.RUNNABLE) settling = true;
        }
        if (settling) Thread.sleep(1);
      }
      for (var thread : Thread.getAllStackTraces().entrySet()) {
        String name = thread.getKey().getName();
        if (pages.contains(thread.getKey()) || RUNNER_THREADS.contains(thread.getKey().getId())
            || name.startsWith("Scheduler-") || name.equals("apart-timer")) continue;
        if (thread.getKey().getState() == Thread.State.TIMED_WAITING && scheduler(thread.getValue())) return true;
      }
      return false;
    }

    /** Whether a thread's stack is a scheduler's, waiting for its next task. */
    static boolean scheduler(StackTraceElement[] stack) {
      for (StackTraceElement frame : stack) {
        if (frame.getClassName().equals("java.util.TimerThread")
            || frame.getClassName().equals("java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue")) return true;
      }
      return false;
    }

    /**
     * Whether CompletableFuture's timer thread has a timeout to run later: a task of ours runs on it now, and once
     * done the thread waits either for the next timeout (TIMED_WAITING) or for nothing (WAITING). The tests set no
     * timeout of their own there (Backends uses its own timer), so a pending one is the page's.
     */
    static boolean timeoutPending() throws InterruptedException {
      java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
      Thread[] timer = new Thread[1];
      CompletableFuture.delayedExecutor(0, java.util.concurrent.TimeUnit.NANOSECONDS, Runnable::run).execute(() -> {
        timer[0] = Thread.currentThread();
        ran.countDown();
      });
      if (!ran.await(5, java.util.concurrent.TimeUnit.SECONDS)) return true;
      long until = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < until) {
        Thread.State state = timer[0].getState();
        Object blocker = java.util.concurrent.locks.LockSupport.getBlocker(timer[0]);
        // Waiting on its queue's condition, not for the queue's lock: what it waits for is what is queued.
        boolean onQueue = blocker != null && blocker.getClass().getName().endsWith("ConditionObject");
        if (onQueue && state == Thread.State.TIMED_WAITING) return true;
        if (onQueue && state == Thread.State.WAITING) return false;
        Thread.sleep(1);
      }
      return true;
    }

    /**
     * Runs at once every timeout pending on CompletableFuture's own timer (orTimeout, completeOnTimeout, delayedExecutor),
     * as if its time had come: a page's deadline there, on allOf(...) or a future of its own, runs out now instead of after
     * its seconds, whatever their number (the tests set no timeout of their own there, but timeoutPending's, due at once).
     * Only where that timer can be read (Java 17 to 22, through sun.misc.Unsafe as PlatformCharset does: java.base keeps the
     * field closed to reflection, and Unsafe's field access warns from Java 24 on); elsewhere, or if anything fails, the
     * deadline runs out in its own time, and the tests wait for it as before.
     */
    static int runPendingTimeoutsNow() {
      int ran = 0;
      if (Runtime.version().feature() >= 23) return ran;
      try {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        java.lang.reflect.Field theUnsafe = type.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        java.lang.reflect.Field field = Class.forName("java.util.concurrent.CompletableFuture$Delayer").getDeclaredField("delayer");
        Object base = type.getMethod("staticFieldBase", java.lang.reflect.Field.class).invoke(unsafe, field);
        long offset = (long) type.getMethod("staticFieldOffset", java.lang.reflect.Field.class).invoke(unsafe, field);
        Object timer = type.getMethod("getObjectVolatile", Object.class, long.class).invoke(unsafe, base, offset);
        if (!(timer instanceof java.util.concurrent.ScheduledThreadPoolExecutor delayer)) return ran;
        // Taken off the queue first, so that the timer's own thread cannot run the same one as well.
        for (Runnable task : delayer.getQueue().toArray(new Runnable[0])) {
          if (delayer.remove(task)) {
            task.run();
            ran++;
          }
        }
      } catch (Exception | LinkageError unreadable) {
        // the deadline runs out in its own time
      }
      return ran;
    }

    /**
     * Whether the thread waits, with no clock, on a CompletableFuture that is done already: woken, it has not run yet (a
     * thread unparked shows its old state until it runs).
     */
    static boolean wokenNotRunYet(Thread thread) {
      Object blocker = java.util.concurrent.locks.LockSupport.getBlocker(thread);
      // a join() or get() with no timeout waits in a ManagedBlocker whose isReleasable() says whether it was woken
      return thread.getState() == Thread.State.WAITING && parkedOnAFuture(thread)
          && blocker instanceof java.util.concurrent.ForkJoinPool.ManagedBlocker waiting && waiting.isReleasable();
    }

    /**
     * Waits, 10 s at most, for the view of a page whose parts have all answered; it gives up sooner once the page has
     * waited a second on end for something that is not its own (BLOCKED on a monitor, or parked on anything but a
     * future: a lock, a permit, a pool's queue). States, not timing: a page that is merely slow is waited for.
     */
    static void awaitUnlessStalled(Thread page, java.util.concurrent.Future<?> view) throws InterruptedException {
      long until = System.nanoTime() + 10_000_000_000L;
      long stalledSince = 0;
      while (!view.isDone() && System.nanoTime() < until) {
        Thread.State state = page.getState();
        boolean stalled = state == Thread.State.BLOCKED
            || (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) && !parkedOnAFuture(page);
        if (!stalled) stalledSince = 0;
        else if (stalledSince == 0) stalledSince = System.nanoTime();
        else if (System.nanoTime() - stalledSince > 1_000_000_000L) break;
        Thread.sleep(2);
      }
    }

    /** Whether the thread is parked waiting for a CompletableFuture (join, get, allOf(...).join()). */
    static boolean parkedOnAFuture(Thread thread) {
      Object blocker = java.util.concurrent.locks.LockSupport.getBlocker(thread);
      return blocker != null && blocker.getClass().getName().startsWith("java.util.concurrent.CompletableFuture");
    }

    /**
     * Whether at least {@code missing} (at least one) of these callers are held on a lock (a monitor, a ReentrantLock) that
     * another of them owns while it waits for a future (its answer): requests that cannot be sent until an answer comes
     * that waits for them. A lock held only while nothing is waited for (or a wait for something else) does not count.
     */
    static boolean heldBehindACaller(java.util.List<Thread> callers, int missing) {
      if (missing <= 0) return false;
      var mx = java.lang.management.ManagementFactory.getThreadMXBean();
      int held = 0;
      for (Thread caller : callers) {
        Thread.State state = caller.getState();
        if (state != Thread.State.BLOCKED && state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) continue;
        var info = mx.getThreadInfo(caller.getId());
        if (info == null || info.getLockOwnerId() < 0) continue;
        for (Thread owner : callers) {
          if (owner != caller && owner.getId() == info.getLockOwnerId() && parkedOnAFuture(owner)) {
            held++;
            break;
          }
        }
      }
      return held >= missing;
    }

    @Test
    @DisplayName("one client serves callers at the same time: blocking calls from three threads overlap too")
    void oneClientOverlappingCallers() throws Exception {
      services.expectTogether();
      RestClient shared = new RestClient(Services.TOKEN);
      java.util.List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
      ExecutorService callers = Executors.newFixedThreadPool(3, r -> {
        Thread t = new Thread(r, "caller-" + threads.size());
        threads.add(t);
        return t;
      });
      try {
        java.util.List<Future<Services.Order>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) calls.add(callers.submit(() -> shared.get(services.orders.url() + "/orders/42", Services.Order.class)));
        // Callers held on a lock by a caller that waits for its answer cannot meet the requests waiting at the service for
        // them: say so at once rather than wait out the services' meeting (a serialised client's calls never come together).
        while (!calls.stream().allMatch(Future::isDone)) {
          if (heldBehindACaller(threads, services.stillToMeet())) {
            services.neverTogether();
            break;
          }
          Thread.sleep(1);
        }
        for (Future<Services.Order> call : calls) assertThat(call.get()).as("TODO 1: the order").isEqualTo(Services.ORDERS.get("42"));
      } finally {
        callers.shutdownNow();
      }
      assertThat(services.metTogether())
          .as("TODO 1: three threads called get() on one RestClient, and their requests never were at the service at the"
              + " same time: the client serialises its callers (a lock, a shared connection); the view service shares one")
          .isTrue();
    }

    @Test
    @DisplayName("a page interrupted while it waits for its parts, or before it asks for them, keeps its interrupt, and its view has no hole: join() waits on and says so after, a failure keeps it too")
    void interruptedPageKeepsTheInterrupt() throws Exception {
      Backends backends = new Backends(false);
      OrderViews page = new OrderViews(clientOn(backends, "TODO 1"), services);
      String id = "shipments.late";  // shipments answers when released, the other two at once
      CompletableFuture<Throwable> failed = new CompletableFuture<>();
      CompletableFuture<Boolean> kept = new CompletableFuture<>();
      OrderViews.OrderView[] built = new OrderViews.OrderView[1];
      Thread caller = new Thread(() -> {
        try {
          built[0] = page.concurrent(id, id);
          failed.complete(null);
        } catch (Throwable e) {
          failed.complete(e);
        }
        kept.complete(Thread.interrupted());
      }, "page");
      caller.setDaemon(true);
      caller.start();
      try {
        // States, not timing: the page waits for its late part, is interrupted, and the code that waits has seen it (the
        // flag is taken: join() keeps it to set again when it returns, get() throws InterruptedException), bounded.
        long until = System.nanoTime() + 5_000_000_000L;
        while (caller.isAlive() && !parkedOnAFuture(caller) && System.nanoTime() < until) Thread.sleep(1);
        caller.interrupt();
        until = System.nanoTime() + 5_000_000_000L;
        while (caller.isAlive() && caller.isInterrupted() && System.nanoTime() < until) Thread.sleep(1);
      } finally {
        backends.release("shipments", id);
      }
      caller.join(5_000);
      if (failed.getNow(null) instanceof UnsupportedOperationException todo) assertThat(todo).as("TODO 1: the concurrent view").isNull();
      assertThat(caller.isAlive())
          .as("TODO 1: the page's thread, interrupted while concurrent(...) waited for the shipment, was still inside"
              + " concurrent(...) 5 s after the shipment answered (%s): a view whose parts have all answered is built at once,"
              + " interrupt or not", caller.getState() + (parkedOnAFuture(caller) ? ", parked on a future" : ""))
          .isFalse();
      if (failed.getNow(null) == null) {
        assertThat(built[0])
            .as("TODO 1: the page's thread was interrupted while concurrent(...) waited for the shipment, and the view came back"
                + " without it: an interrupt is no reason for a view with a hole in it; wait on (join() does) or fail, and keep"
                + " the interrupt either way")
            .isEqualTo(Backends.view(id));
      }
      assertThat(kept.getNow(false))
          .as("TODO 1: the page's thread was interrupted while concurrent(...) waited for its parts, and %s with its interrupt"
              + " gone: whoever interrupted it (a page cancelled, a server stopping) is ignored by the code above; join()"
              + " waits on and sets the interrupt again when it returns, and an InterruptedException caught from get() must"
              + " set it again (Thread.currentThread().interrupt()) before anything is thrown",
              failed.getNow(null) == null ? "the view came back" : "the view failed with " + describe(failed.getNow(null)))
          .isTrue();
      // A page cancelled before it asks (its thread interrupted already, by a server stopping): whatever the view does, the
      // interrupt is still there for the code above it when concurrent(...) returns or throws.
      String before = "interrupted-before";
      CompletableFuture<Throwable> failedBefore = new CompletableFuture<>();
      CompletableFuture<Boolean> keptBefore = new CompletableFuture<>();
      OrderViews.OrderView[] builtBefore = new OrderViews.OrderView[1];
      Thread cancelled = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          builtBefore[0] = page.concurrent(before, before);
          failedBefore.complete(null);
        } catch (Throwable e) {
          failedBefore.complete(e);
        }
        keptBefore.complete(Thread.interrupted());
      }, "cancelled-page");
      cancelled.setDaemon(true);
      cancelled.start();
      cancelled.join(5_000);
      assertThat(cancelled.isAlive())
          .as("TODO 1: a page whose thread was interrupted before it asked, its three parts answering at once, was still inside"
              + " concurrent(...) 5 s later (%s): a view whose parts have all answered is built at once, interrupt or not",
              cancelled.getState() + (parkedOnAFuture(cancelled) ? ", parked on a future" : ""))
          .isFalse();
      if (failedBefore.getNow(null) == null) {
        assertThat(builtBefore[0])
            .as("TODO 1: the page's thread was interrupted before it called concurrent(...), and the view came back with a hole")
            .isEqualTo(Backends.view(before));
      }
      assertThat(keptBefore.getNow(false))
          .as("TODO 1: the page's thread was interrupted before it called concurrent(...), and %s with its interrupt gone: the"
              + " code above it (a page cancelled, a server stopping) carries on as if nobody had asked it to stop;"
              + " Thread.interrupted() takes the flag it tests (Thread.currentThread().isInterrupted() only reads it): a view"
              + " that gives up on a cancelled page throws with the interrupt set again, and join() keeps it as it is",
              failedBefore.getNow(null) == null ? "the view came back" : "the view failed with " + describe(failedBefore.getNow(null)))
          .isTrue();
    }

    @Test
    @DisplayName("a page whose part comes late holds back no other page: a view built at the same time on the same OrderViews, for the same order or the same customer, comes back while that part is still on its way (no lock around the joins)")
    void latePartHoldsBackNoOtherPage() throws Exception {
      // {late part, the slow page's order and customer, the other page's order and customer}: the other page shares the
      // slow page's order (its customer comes late) or its customer (its shipment comes late), so no lock is missed, be
      // it one for every view, one per order or one per customer.
      String[][] cases = {{"customers", "o-1", "customers.late", "o-1", "c-2"}, {"shipments", "shipments.late", "c-1", "o-2", "c-1"}};
      for (String[] pages : cases) {
        Backends backends = new Backends(false);
        OrderViews views = new OrderViews(clientOn(backends, "TODO 1"), services);
        String latePart = pages[0];
        String lateId = latePart.equals("customers") ? pages[2] : pages[1];
        CompletableFuture<OrderViews.OrderView> slow = new CompletableFuture<>();
        CompletableFuture<OrderViews.OrderView> other = new CompletableFuture<>();
        Thread slowPage = new Thread(() -> {
          try {
            slow.complete(views.concurrent(pages[1], pages[2]));
          } catch (Throwable e) {
            slow.completeExceptionally(e);
          }
        }, "page-with-a-late-part");
        Thread otherPage = new Thread(() -> {
          try {
            other.complete(views.concurrent(pages[3], pages[4]));
          } catch (Throwable e) {
            other.completeExceptionally(e);
          }
        }, "page-at-the-same-time");
        // Daemons, joined briefly below: a concurrent(...) that never returns (a join on a future nothing completes) must
        // cost this test its 10 s bound once, not that and 40 s more of waiting for the two pages to end.
        slowPage.setDaemon(true);
        otherPage.setDaemon(true);
        boolean heldBack;
        String seen;
        try {
          slowPage.start();
          // States, not timing: the slow page waits for its late part (bounded), then the other page asks for its view.
          long until = System.nanoTime() + 5_000_000_000L;
          while (slowPage.isAlive() && !parkedOnAFuture(slowPage) && System.nanoTime() < until) Thread.sleep(1);
          otherPage.start();
          // The other page's parts all answer at once: it is done soon, unless it waits for something that is not its own
          // (a lock the slow page holds while it waits: BLOCKED, or parked on another lock) for a second on end, bounded.
          awaitUnlessStalled(otherPage, other);
          heldBack = !other.isDone();
          seen = otherPage.getState() + (parkedOnAFuture(otherPage) ? ", parked on a future" : "");
        } finally {
          backends.release(latePart, lateId);
        }
        slowPage.join(2_000); // its late part is answered now: a page that still waits is judged below by the other one
        otherPage.join(2_000);
        Throwable failed = other.handle((view, e) -> e).getNow(null);
        if (failed instanceof UnsupportedOperationException) assertThat(failed).as("TODO 1: the concurrent view").isNull();
        String shared = latePart.equals("customers") ? "the same order" : "the same customer";
        assertThat(heldBack)
            .as("TODO 1: one page waited for its late %s, and another page built at the same time on the same OrderViews, for %s,"
                + " whose three parts had all answered, did not get its view until the late part came (its thread was %s): the"
                + " view service builds many views at once with one OrderViews, so each waits for its own parts and nobody"
                + " else's; no synchronized method or lock around the joins (the futures are the call's own already), not one"
                + " per order or per customer either, which makes every page wait for the slowest page in front of it",
                latePart, shared, seen)
            .isFalse();
        assertThat(other.handle((view, e) -> view).getNow(null))
            .as("TODO 1: the view built for %s while another page waited for its late part (it failed with %s)", shared, describe(failed))
            .isEqualTo(Backends.view(pages[3], pages[4]));
      }
    }

    /** How many calls one client must have in flight at once: the three of each of the pages the view service serves together. */
    static final int CALLS_AT_ONCE = 3 * Step2.PAGES_AT_ONCE;

    /**
     * How many getAsync calls one thread makes at once: no call holds a thread there, so thousands cost milliseconds, and a
     * bulkhead the client chose itself (64, 256, 1024 calls) is seen as well as one of six: the rule is no limit at all.
     */
    static final int ASYNC_CALLS_AT_ONCE = 4096;

    /**
     * How many pages wait for their parts at once on one OrderViews: more than the view service's server ever brings
     * together (Jetty's pool, under Javalin, has 250 threads, each serving one page), so a bulkhead of the view's own
     * holds a page back here whatever its size, whenever it could hold one back in the view service.
     */
    static final int PAGES_WAITING_AT_ONCE = 256;

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // last of its step: a bulkhead waits out its bound
    @DisplayName("no page is held back by how many others wait for their parts on the same OrderViews: two hundred and fifty-five wait for a late order, more than the view service's server ever serves together, all with their calls in flight, and one more page gets its view at once (no bulkhead of the view's own, whatever its size)")
    void noCapOnPagesAtOnce() throws Exception {
      int slow = PAGES_WAITING_AT_ONCE - 1;
      SlowPages backends = new SlowPages();
      OrderViews shared = new OrderViews(clientOn(backends, "TODO 1"), services);
      java.util.List<Thread> threads = new java.util.ArrayList<>();
      java.util.List<CompletableFuture<OrderViews.OrderView>> built = new java.util.ArrayList<>();
      for (int p = 0; p <= slow; p++) {
        String id = p < slow ? "slow-" + p : "other";  // the last page's parts all answer at once
        CompletableFuture<OrderViews.OrderView> view = new CompletableFuture<>();
        Thread page = new Thread(() -> {
          try {
            view.complete(shared.concurrent(id, id));
          } catch (Throwable e) {
            view.completeExceptionally(e);
          }
        }, p < slow ? "page-with-a-late-order" : "page-at-the-same-time");
        page.setDaemon(true);  // a page held for good (a wait that ignores interrupts) must not keep the run alive
        threads.add(page);
        built.add(view);
      }
      Thread other = threads.get(slow);
      CompletableFuture<OrderViews.OrderView> otherView = built.get(slow);
      boolean allIn;
      int inThen;
      boolean heldBack;
      String seen;
      try {
        for (int p = 0; p < slow; p++) threads.get(p).start();
        // States, not timing: a view that lets every page make its calls has them all in, each page then waiting for its
        // own order; one that holds pages back has them all waiting (for a part, or for their turn) while fewer are in.
        allIn = backends.allIn(threads.subList(0, slow), 3 * slow);
        inThen = backends.in();
        // Then one more page, whose three parts answer at once: it is done soon, unless it waits for something that is
        // not its own (a permit, a lock, a pool's thread the slow pages hold) for a second on end, bounded.
        other.start();
        awaitUnlessStalled(other, otherView);
        heldBack = !otherView.isDone();
        seen = other.getState() + (parkedOnAFuture(other) ? ", parked on a future" : "");
      } finally {
        backends.release();  // the late orders answer now: pages held back go on, and no thread is left waiting
      }
      // One bound for all the pages, not one each: pages that never end (a join on a future nothing completes) would
      // hold the run for 256 times any bound of their own.
      long joined = System.nanoTime() + 5_000_000_000L;
      for (Thread page : threads) page.join(Math.max(1, (joined - System.nanoTime()) / 1_000_000));
      Throwable failed = built.stream().map(view -> view.handle((v, e) -> e).getNow(null)).filter(e -> e != null).findFirst().orElse(null);
      if (failed instanceof UnsupportedOperationException) assertThat(failed).as("TODO 1: the concurrent view").isNull();
      assertThat(allIn)
          .as("TODO 1: %d pages asked one OrderViews for their views at once, as the view service's pages do (its server"
              + " serves up to 250 together), each order answering late, and only %d of their %d requests went out: the view"
              + " holds pages back until others are done (a bulkhead: a semaphore, a pool of its own, a limit sized by the"
              + " machine's cores), so a page waits for other pages' slow parts as much as behind a lock; whatever its"
              + " size, a page past it is held back; start the page's three calls when it asks, and let it wait for its"
              + " own parts only", slow, inThen, 3 * slow)
          .isTrue();
      assertThat(heldBack)
          .as("TODO 1: %d pages waited for their late orders on one OrderViews, and one more page, whose three parts had all"
              + " answered, did not get its view until the late orders came (its thread was %s): a bulkhead around the joins"
              + " (a semaphore, a pool of threads that wait) makes a page wait for the slowest pages in front of it, whatever"
              + " its size; each page waits for its own parts and nobody else's", slow, seen)
          .isFalse();
      assertThat(otherView.handle((view, e) -> view).getNow(null))
          .as("TODO 1: the view built while %d other pages waited for their late orders (it failed with %s)", slow, describe(failed))
          .isEqualTo(Backends.view("other"));
    }

    /**
     * An HttpClient standing in for orders, customers and shipments, with no network: each answers its part of the view
     * named by the id at once, except the order of a view whose id begins "slow-", which answers when released. Counted:
     * the requests in.
     */
    static final class SlowPages extends workbook.test.StandInHttpClient {
      private final CompletableFuture<Void> released = new CompletableFuture<>();
      private final java.util.concurrent.atomic.AtomicInteger in = new java.util.concurrent.atomic.AtomicInteger();

      int in() { return in.get(); }

      void release() { released.complete(null); }

      /**
       * Whether {@code expected} requests came in: true as soon as they have; false once every one of the {@code pages}
       * has been waiting for half a second while no request came in, or after twenty seconds at most.
       */
      boolean allIn(java.util.List<Thread> pages, int expected) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        long stalledSince = 0;
        int seen = -1;
        while (System.nanoTime() < until) {
          int count = in.get();
          if (count >= expected) return true;
          boolean allWait = pages.stream().allMatch(t -> {
            Thread.State state = t.getState();
            return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING || state == Thread.State.BLOCKED
                || state == Thread.State.TERMINATED;
          });
          if (!allWait || count != seen) {
            seen = count;
            stalledSince = 0;
          } else if (stalledSince == 0) {
            stalledSince = System.nanoTime();
          } else if (System.nanoTime() - stalledSince > 500_000_000L) {
            return false;
          }
          Thread.sleep(2);
        }
        return in.get() >= expected;
      }

      @SuppressWarnings({"unchecked", "rawtypes"})
      private <T> CompletableFuture<HttpResponse<T>> answer(HttpRequest request) {
        in.incrementAndGet();
        URI uri = request.uri();
        String path = uri.getPath();
        String part = path.startsWith("/orders/") ? "orders" : path.startsWith("/customers/") ? "customers" : "shipments";
        String id = part.equals("shipments") ? java.util.Arrays.stream(String.valueOf(uri.getQuery()).split("&"))
            .filter(p -> p.startsWith("orderId=")).map(p -> p.substring("orderId=".length())).findFirst().orElse("")
            : path.substring(path.lastIndexOf('/') + 1);
        HttpResponse<String> answer = new Answer(200, Backends.json(part, id));
        if (part.equals("orders") && id.startsWith("slow-")) return (CompletableFuture) released.thenApply(done -> answer);
        return (CompletableFuture) CompletableFuture.completedFuture(answer);
      }

      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
          throws java.io.IOException, InterruptedException {
        try {
          return this.<T>answer(request).get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return answer(request);
      }
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // last of its step: a client that holds calls back waits out its bound
    @DisplayName("one client has as many calls in flight as its callers make: forty-eight at once (sixteen views), from getAsync and from get on as many threads, and four thousand from one thread, getAsync and get (each made inside the one before), none held back")
    void noCapOnCallsInFlight() throws Exception {
      for (boolean async : new boolean[] {true, false}) {
        int atOnce = async ? ASYNC_CALLS_AT_ONCE : CALLS_AT_ONCE;
        HeldAnswers held = new HeldAnswers(atOnce);
        RestClient client = clientOn(held, "TODO 1");
        java.util.List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(async ? 1 : CALLS_AT_ONCE, r -> {
          Thread t = new Thread(r, "caller");
          threads.add(t);
          return t;
        });
        java.util.List<Future<?>> calls = new java.util.ArrayList<>();
        boolean together;
        try {
          if (async) {
            calls.add(callers.submit(() -> {
              java.util.List<CompletableFuture<Services.Order>> orders = new java.util.ArrayList<>();
              for (int i = 0; i < atOnce; i++) orders.add(client.getAsync("http://127.0.0.1:9/orders/" + i, Services.Order.class));
              orders.forEach(CompletableFuture::join);
              return null;
            }));
          } else {
            for (int i = 0; i < atOnce; i++) {
              String url = "http://127.0.0.1:9/orders/" + i;
              calls.add(callers.submit(() -> client.get(url, Services.Order.class)));
            }
          }
          // States, not timing: a client that lets every call through has them all in at once, and waits for nothing here;
          // one that holds calls back has every caller waiting while fewer are in (bounded, for a caller that never waits).
          together = held.allIn(threads, async ? 1 : atOnce);
        } finally {
          held.answerAll();  // the calls held back go out and are answered, so no caller is left waiting
        }
        int most = held.mostAtOnce();
        try {
          for (Future<?> call : calls) call.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
          callers.shutdownNow();
        }
        assertThat(together)
            .as("TODO 1: %d calls were made at once on one RestClient (%s), as the view service makes them for sixteen pages"
                + " (and getAsync, which holds no thread, for thousands), and at most %d of them were at the service together: the client holds calls back (a semaphore, a pool of"
                + " its own, a lock) until others are answered, so pages that arrive together wait for each other's calls; a"
                + " limit of the client's own choosing (six per service, as a browser keeps) is not for a client between"
                + " services, nor is a bulkhead of 64 or 1024: let every call go out when it is made", atOnce,
                async ? "getAsync from one thread" : "get from as many threads", most)
            .isTrue();
      }
      // get as far as getAsync, without a thread per call: each call's send makes the next call from inside it, on the
      // one caller's thread, before it answers, so that thread has as many blocking calls in flight as getAsync's one
      // thread has, for a few frames of stack each. A limit of any size (64, 25 per core, 1024) holds the call past it
      // back for good: seen by states, not timing.
      NestedCalls nested = new NestedCalls(ASYNC_CALLS_AT_ONCE);
      RestClient client = clientOn(nested, "TODO 1");
      nested.client = client;
      CompletableFuture<Throwable> done = new CompletableFuture<>();
      Thread caller = new Thread(null, () -> {
        try {
          client.get("http://127.0.0.1:9/orders/1", Services.Order.class);
          done.complete(null);
        } catch (Throwable e) {
          done.complete(e);
        }
      }, "caller", 64L << 20);  // stack enough for thousands of calls, one inside the other (a few frames each)
      caller.setDaemon(true);
      caller.start();
      boolean heldBack = nested.heldBack(caller, done);
      if (heldBack) nested.letGo(caller, done);
      Throwable failed = done.getNow(null);
      assertThat(!heldBack && failed == null && nested.mostAtOnce() == ASYNC_CALLS_AT_ONCE)
          .as("TODO 1: %d blocking get calls were made on one RestClient, each from inside the one before while it was on its"
              + " way (%s), and at most %d of them were at the service together: the client holds the call past some"
              + " number back until others are answered (a semaphore, a pool of its own, a limit sized by the machine's"
              + " cores), whatever the number: a bulkhead of 64 or 1024 on get holds back the pages the view service serves"
              + " together as much as one of six; let every call go out when it is made, on get as on getAsync",
              ASYNC_CALLS_AT_ONCE, heldBack ? "the next one was held back, with the caller waiting"
              : failed == null ? "all answered" : "the calls failed with " + describe(failed), nested.mostAtOnce())
          .isTrue();
    }

    /**
     * An HttpClient standing in for a service, with no network, whose blocking send makes the client's next call from inside
     * it, on the same thread, before it answers with the order named by its path: calls pile up in flight on one thread, up
     * to {@code calls}, then each answers in turn. Counted: the most in flight at once.
     */
    static final class NestedCalls extends workbook.test.StandInHttpClient {
      private final int calls;
      private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
      private final java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
      volatile RestClient client;
      private volatile boolean stop;

      NestedCalls(int calls) { this.calls = calls; }

      /** The most calls that were in flight here at the same time. */
      int mostAtOnce() { return most.get(); }

      /**
       * Whether the calls stopped piling up before all were in, with the caller waiting while no call came in for half a
       * second: a call held back; false as soon as the caller is done. Bounded: twenty seconds at most.
       */
      boolean heldBack(Thread caller, CompletableFuture<Throwable> done) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        long stalledSince = 0;
        int seen = -1;
        while (System.nanoTime() < until) {
          try {
            done.get(5, java.util.concurrent.TimeUnit.MILLISECONDS);
            return false;
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException notYet) {
            // still on its way
          }
          int count = most.get();
          boolean waits = waiting(caller);
          if (!waits || count != seen) {
            seen = count;
            stalledSince = 0;
          } else if (stalledSince == 0) {
            stalledSince = System.nanoTime();
          } else if (System.nanoTime() - stalledSince > 500_000_000L) {
            return true;
          }
        }
        return !done.isDone();
      }

      /**
       * Lets a caller held back go, so that no thread of the lab's is left waiting for good (later tests look at the lab's
       * threads): no call makes another from now on, and the caller and every thread waiting in the lab's code (a pool's,
       * holding the calls before it) are interrupted until the caller is done, bounded. A wait that ignores interrupts stays.
       */
      void letGo(Thread caller, CompletableFuture<Throwable> done) throws InterruptedException {
        stop = true;
        long until = System.nanoTime() + 5_000_000_000L;
        while (!done.isDone() && System.nanoTime() < until) {
          caller.interrupt();
          for (var thread : Thread.getAllStackTraces().entrySet()) {
            if (thread.getKey() == Thread.currentThread() || !waiting(thread.getKey())) continue;
            if (java.util.Arrays.stream(thread.getValue()).anyMatch(frame -> Step1.labClass(frame.getClassName()))) thread.getKey().interrupt();
          }
          try {
            done.get(50, java.util.concurrent.TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException notYet) {
            // still unwinding
          }
        }
      }

      private static boolean waiting(Thread t) {
        Thread.State state = t.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING || state == Thread.State.BLOCKED;
      }

      @SuppressWarnings("unchecked")
      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        int now = inFlight.incrementAndGet();
        most.accumulateAndGet(now, Math::max);
        try {
          if (now < calls && !stop) client.get("http://127.0.0.1:9/orders/" + (now + 1), Services.Order.class);  // the next call, from inside
          String path = request.uri().getPath();
          String id = path.substring(path.lastIndexOf('/') + 1);
          return (HttpResponse<T>) new Answer(200, "{\"id\":\"" + id + "\",\"customerId\":\"7\",\"item\":\"item\",\"totalCents\":1}");
        } finally {
          inFlight.decrementAndGet();
        }
      }
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return CompletableFuture.completedFuture(send(request, handler));
      }
    }

    /**
     * An HttpClient standing in for a service, with no network: it answers no request until {@code expected} are in at once
     * (or {@link #answerAll()} is called), then every one, and every later one at once, with the order named by its path.
     */
    static final class HeldAnswers extends workbook.test.StandInHttpClient {
      private final java.util.concurrent.CountDownLatch in;
      private final CompletableFuture<Void> released = new CompletableFuture<>();
      private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
      private final java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();

      HeldAnswers(int expected) { in = new java.util.concurrent.CountDownLatch(expected); }

      /**
       * Whether the expected requests all came in together: true as soon as they are; false once the {@code callers}
       * (all {@code started} of them) have all been waiting for half a second while no request came in (each waits in the
       * client, held back, or for an answer held here), or after twenty seconds at most.
       */
      boolean allIn(java.util.List<Thread> callers, int started) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        long stalledSince = 0;
        long seen = -1;
        while (System.nanoTime() < until) {
          if (in.await(5, java.util.concurrent.TimeUnit.MILLISECONDS)) return true;
          boolean allWait = callers.size() == started && callers.stream().allMatch(t -> {
            Thread.State state = t.getState();
            return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING || state == Thread.State.BLOCKED;
          });
          long count = in.getCount();
          if (!allWait || count != seen) {
            seen = count;
            stalledSince = 0;
          } else if (stalledSince == 0) {
            stalledSince = System.nanoTime();
          } else if (System.nanoTime() - stalledSince > 500_000_000L) {
            return false;
          }
        }
        return in.getCount() == 0;
      }

      /** The most requests that were in, unanswered, at the same time. */
      int mostAtOnce() { return most.get(); }

      void answerAll() { released.complete(null); }

      @SuppressWarnings("unchecked")
      private <T> CompletableFuture<HttpResponse<T>> answer(HttpRequest request) {
        String path = request.uri().getPath();
        String id = path.substring(path.lastIndexOf('/') + 1);
        if (!released.isDone()) most.accumulateAndGet(waiting.incrementAndGet(), Math::max);
        in.countDown();
        if (in.getCount() == 0) released.complete(null);
        return released.thenApply(done -> {
          waiting.decrementAndGet();
          return (HttpResponse<T>) new Answer(200, "{\"id\":\"" + id + "\",\"customerId\":\"7\",\"item\":\"item\",\"totalCents\":1}");
        });
      }

      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
          throws java.io.IOException, InterruptedException {
        try {
          return this.<T>answer(request).get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return answer(request);
      }
    }

    @Test
    @DisplayName("two views built at the same time each get their own order, customer and shipment, and two of the same view each ask for their own")
    void overlappingViewsStayApart() throws Exception {
      OrderViews.OrderView[] built = twoAtOnce(views::concurrent);
      assertThat(built)
          .as("TODO 1: two views built at once (the view service serves many pages) got each other's parts:"
              + " keep the futures in local variables, not in fields that the other call overwrites")
          .containsExactly(EXPECTED, OTHER);
      assertThat(services.metTogether()).as("TODO 1: the six requests of two views were not in flight together").isTrue();
      // Two pages that build the same view at once: each makes its own three calls, six requests in flight together.
      services.expectTogether(6);
      ExecutorService pages = Executors.newFixedThreadPool(2);
      try {
        Future<OrderViews.OrderView> first = pages.submit(() -> views.concurrent("42", "7"));
        Future<OrderViews.OrderView> second = pages.submit(() -> views.concurrent("42", "7"));
        assertThat(new OrderViews.OrderView[] {first.get(), second.get()})
            .as("TODO 1: two pages built the view of order 42 at once").containsExactly(EXPECTED, EXPECTED);
      } finally {
        pages.shutdownNow();
      }
      assertThat(services.metTogether())
          .as("TODO 1: two pages built the same view at once, and their six requests were never at the services together: a"
              + " call that shares another caller's request to the same URL (one request for both), or waits for it, is not"
              + " the caller's own; one client has as many calls in flight as its callers make, each one round-trip")
          .isTrue();
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: a composite endpoint")
  class Step2 {
    @Test
    @DisplayName("the page gets the whole view in one round-trip")
    void oneRoundTripFromThePage() {
      OrderViews.OrderView view = OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(view).as("TODO 2: the view from GET /order-views/42?customerId=7").isEqualTo(EXPECTED);
      assertThat(viewService.requests()).as("TODO 2: round-trips from the page to the view service").isEqualTo(1);
    }

    @Test
    @DisplayName("the view comes as JSON: 200 with Content-Type application/json, the media type the page asked for")
    void viewIsJson() throws Exception {
      String view = viewService.url() + "/order-views/42?customerId=7";
      HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(view)).header("Accept", "application/json").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as("TODO 2: GET %s while every service is up", view).isEqualTo(200);
      String type = answer.headers().firstValue("Content-Type").orElse("(none)");
      assertThat(type.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT))
          .as("TODO 2: the view went out with Content-Type: %s; the page asked for application/json and reads the body as"
              + " JSON, so say so: ctx.json(view) writes the view and its media type, ctx.result(text) says text/plain", type)
          .isEqualTo("application/json");
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: a view service of its own
    @DisplayName("the view goes out in UTF-8, JSON's charset, whatever the machine's: names that are not ASCII reach the page as the services sent them")
    void viewGoesOutInUtf8() throws Exception {
      // Parts whose text is not ASCII, as the services send it (UTF-8 JSON): a customer Zoe with her diaeresis, a Japanese
      // carrier, an item with accents and a cup of coffee (a character outside the BMP as well).
      String item = "caf\u00e9 cr\u00e8me \u2615 \ud83c\udf75";
      String name = "Zo\u00eb \u00c5berg";
      String carrier = "\u30e4\u30de\u30c8\u904b\u8f38";
      Map<String, String> parts = Map.of(
          "o", "{\"id\":\"o\",\"customerId\":\"c\",\"item\":\"" + item + "\",\"totalCents\":1}",
          "c", "{\"id\":\"c\",\"name\":\"" + name + "\",\"email\":\"zoe@example.com\"}",
          "shipments", "{\"id\":\"s\",\"orderId\":\"o\",\"status\":\"in transit\",\"carrier\":\"" + carrier + "\"}");
      OrderViews.OrderView sent = new OrderViews.OrderView(new Services.Order("o", "c", item, 1),
          new Services.Customer("c", name, "zoe@example.com"), new Services.Shipment("s", "o", "in transit", carrier));
      RestClient behind = clientOn(new Step3.Answers(what -> new Answer(parts.containsKey(what) ? 200 : 404,
          parts.getOrDefault(what, "no such part"))), "TODO 2");
      try (SimulatedService unicodeViews = ViewService.start(new OrderViews(behind, services), 0)) {
        String url = unicodeViews.url() + "/order-views/o?customerId=c";
        java.util.List<String> wrong = new java.util.ArrayList<>();
        // As the view service runs on a machine whose charset is not UTF-8: a JVM 17 under LANG=C (ASCII) or on Windows (cp1252).
        for (java.nio.charset.Charset machine : new java.nio.charset.Charset[] {java.nio.charset.StandardCharsets.US_ASCII,
            java.nio.charset.Charset.forName("windows-1252")}) {
          HttpResponse<String> answer = workbook.test.PlatformCharset.with(machine,
              () -> PLAIN.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "application/json").build(),
                  HttpResponse.BodyHandlers.ofString()));
          Throwable thrown = null;
          OrderViews.OrderView read = null;
          try {
            read = RestClient.parse(answer, OrderViews.OrderView.class);
          } catch (RuntimeException e) {
            thrown = e;
          }
          if (thrown instanceof UnsupportedOperationException || thrown == null && !sent.equals(read)) {
            wrong.add("with the machine's charset " + machine + ", the page read " + (read == null ? describe(thrown) : read));
          } else if (thrown != null) {
            wrong.add("with the machine's charset " + machine + ", the view service answered " + answer.statusCode() + " "
                + answer.headers().firstValue("Content-Type").orElse("(no Content-Type)") + ": " + answer.body());
          }
        }
        assertThat(wrong)
            .as("TODO 2: the services sent parts whose text is not ASCII (%s, %s, %s), and the view the page got (read in the"
                + " charset its Content-Type names, else UTF-8, JSON's only one: RFC 8259 8.1) was not that view while the view"
                + " service ran with another default charset, as a JVM 17 does under LANG=C or on Windows (below): write the view"
                + " with ctx.json(view), which writes UTF-8 and says application/json; json.getBytes() or new String(bytes)"
                + " without a charset use the machine's, and turn every name that is not ASCII into ? or worse",
                item, name, carrier)
            .isEmpty();
      }
    }

    @Test
    @DisplayName("the view service makes its three calls concurrently")
    void viewServiceCallsConcurrently() {
      services.expectTogether();
      OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(services.metTogether())
          .as("TODO 2: the view service called orders, customers and shipments one after the other; build the view"
              + " with views.concurrent(...), so the one round-trip the page pays is as short as it can be")
          .isTrue();
    }

    @Test
    @DisplayName("when a service behind it is down, the page gets an error, not a view with holes: the HttpError 502 itself, saying what that service said, in one round-trip")
    void failureIsAnError() {
      for (SimulatedService down : new SimulatedService[] {services.orders, services.customers, services.shipments}) {
        down.down(true);
        for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments, viewService}) s.resetCount();
        try {
          Throwable thrown = catchThrowable(() -> OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7"));
          assertThat(thrown)
              .as("TODO 2: %s answered 503, yet the page got a view; a view with a missing part must come back"
                  + " as an error status (5xx), or the page shows a view with a hole in it", down.name())
              .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
          assertThat(thrown)
              .as("TODO 2: the page's one call failed with %s: fetch the view with one client.get(...), whose failure is"
                  + " the HttpError itself; getAsync(...).join() or .get() hands the page the error wrapped in another"
                  + " exception it must unwrap", describe(thrown))
              .isInstanceOf(RestClient.HttpError.class);
          RestClient.HttpError error = (RestClient.HttpError) thrown;
          assertThat(error.status())
              .as("TODO 2: %s answered 503, and the page's HttpError says %d: the view service answers 502 Bad Gateway"
                  + " (the given handler), never the failed service's own status, since the page did nothing wrong",
                  down.name(), error.status())
              .isEqualTo(502);
          assertThat(error.body())
              .as("TODO 2: the page's HttpError 502 must carry what the view service said: the given handler names the"
                  + " failed call's own error (%s answered 503 \"%s is down\")", down.name(), down.name())
              .isEqualTo(BAD_GATEWAY + "HTTP 503: " + down.name() + " is down");
          assertThat(viewService.requests())
              .as("TODO 2: %s answered 503 and the page's view failed after %d requests to the view service: the page pays"
                  + " one round-trip per view, failed or not; a 502 is the answer, not a reason to ask again (no retry in"
                  + " composite, nor in RestClient.get)", down.name(), viewService.requests())
              .isEqualTo(1);
          assertCalledOnceEach(down.name() + " answered 503");
        } finally {
          down.down(false);
        }
      }
    }

    /** How the given handler begins every 502 it answers. */
    static final String BAD_GATEWAY = "a service behind the view failed: ";

    /** Behind one failed view, each service was asked once: no retry, no second way round. */
    void assertCalledOnceEach(String behind) {
      // The view fails as soon as one call has failed, while the others may still be on their way: wait (bounded) until
      // each service has had its request, so the counts do not depend on how fast the machine is.
      long until = System.nanoTime() + 2_000_000_000L;
      while ((services.orders.requests() == 0 || services.customers.requests() == 0 || services.shipments.requests() == 0)
          && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 2: %s, and the view service asked orders, customers and shipments this many times for one page:"
              + " it builds the view once with views.concurrent(...) and lets the failure reach the given handler; a"
              + " second try (again, or views.sequential as a fallback) costs the page more calls behind its one"
              + " round-trip and asks a service that is down once more", behind)
          .containsExactly(1, 1, 1);
    }

    @Test
    @DisplayName("any failure behind the view is a 502 Bad Gateway: each service down, a part not found, a refused token, a service gone")
    void everyFailureBehindIsBadGateway() throws Exception {
      String view = viewService.url() + "/order-views/42?customerId=7";
      // The same view once while all is well: what the view service answers next must not come from it.
      HttpResponse<String> before = PLAIN.send(HttpRequest.newBuilder(URI.create(view)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(before.statusCode()).as("TODO 2: GET %s while every service is up", view).isEqualTo(200);
      for (SimulatedService down : new SimulatedService[] {services.orders, services.customers, services.shipments}) {
        down.down(true);
        try {
          assertBadGateway(view, down.name() + " answered 503", "HTTP 503: " + down.name() + " is down");
        } finally {
          down.down(false);
        }
      }
      assertBadGateway(viewService.url() + "/order-views/42?customerId=999", "customers answered 404",
          "HTTP 404: no customer with that id");
      // One part not found while the other two are there: no view with a hole, whichever part it is.
      for (String missing : new String[] {"orders", "customers", "shipments"}) {
        services.answer(missing, 404);
        try {
          assertBadGateway(view, missing + " alone answered 404", "HTTP 404: " + missing + " answered 404");
        } finally {
          services.answer(missing, 0);
        }
      }
      // Two calls fail: the 502 names the one the view was waiting for first, whichever that is.
      assertBadGateway(viewService.url() + "/order-views/999?customerId=7", "orders and shipments answered 404",
          "HTTP 404: no order with that id", "HTTP 404: no shipment with that id");
      services.requireToken(true);
      try (SimulatedService refused = ViewService.start(new OrderViews(new RestClient("not-the-token"), services), 0)) {
        assertBadGateway(refused.url() + "/order-views/42?customerId=7", "the services refused the view service's token with 401",
            "HTTP 401: missing or wrong bearer token");
      }
      Services gone = new Services(Duration.ZERO);
      OrderViews nobodyHome = new OrderViews(new RestClient(Services.TOKEN), gone);
      String[] goneParts = {gone.orders.url() + "/orders/42", gone.customers.url() + "/customers/7",
          gone.shipments.url() + "/shipments?orderId=42"};
      gone.close();
      // What each call behind the view fails with when nobody is there (HttpClient's ConnectException, which has no
      // message): the 502 names it as the given handler does, by its class when it has no message.
      java.util.List<String> named = new java.util.ArrayList<>();
      RestClient refusedClient = new RestClient(Services.TOKEN);
      for (String part : goneParts) {
        Throwable failed = refusedClient.getAsync(part, Services.Order.class).handle((order, e) -> e).join();
        Throwable own = failed instanceof CompletionException && failed.getCause() != null ? failed.getCause() : failed;
        if (own != null) named.add(java.util.Objects.toString(own.getMessage(), own.toString()));
      }
      try (SimulatedService orphan = ViewService.start(nobodyHome, 0)) {
        String url = orphan.url() + "/order-views/42?customerId=7";
        assertBadGateway(url, "the services behind it were gone (connection refused)");
        HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.body())
            .as("TODO 2: the services behind the view were gone, so its calls failed with a refused connection (%s), and the"
                + " 502 said something else: let the call's own error reach the given handler (join()'s CompletionException"
                + " is unwrapped for it), which names it by its message or, having none as here, by its class; an exception"
                + " of the view service's own made of its message (new IllegalStateException(cause.getMessage(), cause))"
                + " names itself instead, and the page cannot tell \"nobody answered\" from a bug in the view service", named)
            .isIn(named.stream().map(text -> BAD_GATEWAY + text).toArray());
      }
    }

    /** said: what the failed call behind may have said (any one of them); none: nobody answered, the error is named. */
    void assertBadGateway(String url, String behind, String... said) throws Exception {
      for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments}) s.resetCount();
      HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode())
          .as("TODO 2: %s, so the page must get 502 Bad Gateway from the view service (the given exception handler),"
              + " not its own copy of that status, a 500 or a view; body was: %s", behind, answer.body())
          .isEqualTo(502);
      if (said.length == 0) {
        assertThat(answer.body())
            .as("TODO 2: %s, and the 502 must still say what went wrong, as the given handler writes it (the error's"
                + " message, or its name when it has none), never \"null\"", behind)
            .startsWith(BAD_GATEWAY).isNotEqualTo(BAD_GATEWAY + "null");
        return;
      }
      assertThat(answer.body())
          .as("TODO 2: %s, and the 502 must say what that service said, as the given handler writes it: let the call's"
              + " HttpError reach the handler (a view service that catches it and answers its own text hides which"
              + " service failed and how)", behind)
          .isIn(java.util.Arrays.stream(said).map(s -> BAD_GATEWAY + s).toArray());
      assertCalledOnceEach(behind);
    }

    @Test
    @DisplayName("a request without customerId gets no view: the page's own ids or nothing, and a 4xx (none, an empty or a blank customerId), never a 2xx, a redirect or a 5xx, and no service behind the view is asked")
    void noCustomerNoView() throws Exception {
      for (String asked : new String[] {"/order-views/42", "/order-views/42?customerId=", "/order-views/42?customerId=%20"}) {
        for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments}) s.resetCount();
        HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(viewService.url() + asked)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode())
            .as("TODO 2: GET %s names no customer, yet the view service answered a view (%s): read the"
                + " customer from ctx.queryParam(\"customerId\") and never make one up", asked, answer.body())
            .isNotEqualTo(200);
        assertThat(answer.statusCode())
            .as("TODO 2: GET %s names no customer (none, an empty or a blank one), and the view service answered %d %s: the"
                + " page's own request lacks its customer, so the answer is a 4xx (400 Bad Request, RFC 9110 15.5.1), never a"
                + " 2xx, which tells the page (and every cache on the way) that it succeeded, nor a 3xx, which sends it to a"
                + " view it did not ask for, nor a 5xx: a 502 (the given handler's, for an exception thrown in the route or a"
                + " call behind made with no customer) says a service behind the view failed (RFC 9110 15.6.3), and the page"
                + " learns nothing of its own mistake; check customerId for null, empty and blank before the view is built,"
                + " and answer 400 there", asked, answer.statusCode(), answer.body())
            .isBetween(400, 499);
        assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
            .as("TODO 2: GET %s names no customer, and before it answered %d the view service asked orders, customers and"
                + " shipments this many times: the page's own mistake is refused before any call (400, RFC 9110 15.5.1), not"
                + " found out from the calls that fail behind it (a request for /customers/null or /customers/ costs every"
                + " service a round-trip, and a service that is down turns the page's mistake into its outage); check"
                + " customerId for null, empty and blank first, then build the view", asked, answer.statusCode())
            .containsExactly(0, 0, 0);
      }
    }

    /** How many pages arrive at the view service together: more than a bulkhead sized by a machine's cores lets through. */
    static final int PAGES_AT_ONCE = 16;

    @Test
    @DisplayName("sixteen pages at the same time each get their own view, and are served at the same time")
    void overlappingPagesStayApart() throws Exception {
      RestClient browser = new RestClient(Services.TOKEN);  // one client for every page: its calls overlap (step 1)
      OrderViews.OrderView[] built = pagesAtOnce(PAGES_AT_ONCE, (order, customer) ->
          OrderViews.composite(browser, viewService.url(), order, customer));
      OrderViews.OrderView[] expected = new OrderViews.OrderView[PAGES_AT_ONCE];
      for (int p = 0; p < PAGES_AT_ONCE; p++) expected[p] = p % 2 == 0 ? EXPECTED : OTHER;
      assertThat(built)
          .as("TODO 2: %d pages (orders 42 and 43 in turn) asked the view service at once and got each other's parts: the"
              + " view must be built from this request's own ids, with nothing shared between requests", PAGES_AT_ONCE)
          .containsExactly(expected);
      assertThat(services.metTogether())
          .as("TODO 2: %d pages asked the view service at once, and the %d requests behind their views were never at the"
              + " services together: the view service holds some pages back until others are done (a lock around the"
              + " handler or around views.concurrent, a semaphore or a pool that lets only a few views be built at once);"
              + " pages that arrive together must be served together, each with its own concurrent calls",
              PAGES_AT_ONCE, 3 * PAGES_AT_ONCE)
          .isTrue();
    }

    @Test
    @DisplayName("whatever the view service itself answers instead of a view (every status from 100 to 599 that is not a 2xx, a 2xx with no body, a timeout, a connection broken, refused or not made in time), the page asks once and gets that call's own error")
    void pageAsksTheViewServiceOnce() throws Exception {
      ViewServiceStandIn standIn = new ViewServiceStandIn();
      RestClient client = clientOn(standIn, "TODO 2");
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (String what : FAILED_ANSWERS) {
        Throwable thrown = catchThrowable(() -> OrderViews.composite(client, "http://127.0.0.1:9", what, "7"));
        int asked = standIn.asked(what);
        boolean status = Character.isDigit(what.charAt(0));
        if (thrown == null || thrown instanceof UnsupportedOperationException) {
          wrong.add("the view service answered " + what + ", and composite(...) " + (thrown == null ? "returned a view" : "threw " + describe(thrown)));
        } else if (status && !(thrown instanceof RestClient.HttpError error && error.status() == Integer.parseInt(what)
            && error.body().equals("views answered " + what))) {
          wrong.add("the view service answered " + what + ", and the page's call threw " + describe(thrown) + ", not that HttpError itself");
        } else if (!status && !Step1.ownFailure(thrown, what)) {
          wrong.add("the view service's answer " + (what.equals("timeout") ? "timed out" : what.equals("reset") ? "broke off"
              : what.equals("closed") ? "never came (the connection closed before its first byte)"
              : what.equals("refused") ? "was a refused connection" : what.startsWith("empty") ? "was a " + what.substring(5)
              + " with no body (no view to read, and no HttpError: it is a 2xx)" : "was a connection not made in time")
              + ", and the page's call threw " + describe(thrown));
        } else if (asked != 1) {
          wrong.add("the view service answered " + what + ", and the page asked it " + asked + " times");
        }
        if (wrong.size() >= 5) break;
      }
      assertThat(wrong)
          .as("TODO 2: the view service itself answered every status from 100 to 599 that is not a 2xx (a 503 when it is"
              + " down, a 502 for a part, ...), a 2xx with no body, timed out, broke the connection, refused it or did not take it in time; the"
              + " first pages that went wrong are below:"
              + " composite(...) makes its one client.get(...) and lets its failure through as it is (the HttpError with the"
              + " view service's status and body, or the connection's own error); no second try, not for a 503 either, nor"
              + " for a refused connection (a view service that is restarting refuses the second as well): the"
              + " page pays one round-trip per view, failed or not")
          .isEmpty();
    }

    /**
     * An HttpClient standing in for the view service, with no network: GET /order-views/{what} answers {@code what}
     * (a status with the body "views answered {status}" and Retry-After: 0 or 1, "timeout", "reset", "refused", "connect");
     * each request counted.
     */
    static final class ViewServiceStandIn extends workbook.test.StandInHttpClient {
      private final Map<String, java.util.concurrent.atomic.AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();

      int asked(String what) {
        var count = asked.get(what);
        return count == null ? 0 : count.get();
      }

      @SuppressWarnings({"unchecked", "rawtypes"})
      private CompletableFuture answer(HttpRequest request) {
        String path = request.uri().getPath();
        String what = path.substring(path.lastIndexOf('/') + 1);
        asked.computeIfAbsent(what, key -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        return switch (what) {
          case "timeout" -> CompletableFuture.failedFuture(new java.net.http.HttpTimeoutException("request timed out"));
          case "reset" -> CompletableFuture.failedFuture(new java.net.SocketException("connection reset"));
          case "closed" -> CompletableFuture.failedFuture(new java.io.IOException(CLOSED));
          case "refused" -> CompletableFuture.failedFuture(new java.net.ConnectException("Connection refused"));
          case "connect" -> CompletableFuture.failedFuture(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out"));
          default -> CompletableFuture.completedFuture(what.startsWith("empty")
              ? new Answer(Integer.parseInt(what.substring("empty".length())), "") : new Answer(Integer.parseInt(what), "views answered " + what));
        };
      }

      @SuppressWarnings("unchecked")
      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
          throws java.io.IOException, InterruptedException {
        try {
          return (HttpResponse<T>) answer(request).get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof java.io.IOException io) throw io;
          throw new IllegalStateException(e.getCause());
        }
      }
      @SuppressWarnings("unchecked")
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return answer(request);
      }
    }

    @Test
    @DisplayName("the view service asks each service behind it once")
    void viewServiceFansOutOnce() {
      OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 2: requests from the view service to orders, customers, shipments").containsExactly(1, 1, 1);
    }

    @Test
    @DisplayName("behind the view, whatever a part answers instead of itself (every status from 100 to 599 that is not a 2xx, a 2xx with no body, a timeout, a connection broken, refused or not made in time) is one 502 saying what it said, each service asked once")
    void everyFailedAnswerBehindIsOneBadGateway() throws Exception {
      Backends backends = new Backends(true);
      RestClient client = clientOn(backends, "TODO 2");
      java.util.List<String> wrong = new java.util.ArrayList<>();
      try (SimulatedService fakeViews = ViewService.start(new OrderViews(client, services), 0)) {
        for (int i = 0; i < FAILED_ANSWERS.size() && wrong.size() < 5 && !backends.apart(); i++) {
          String what = FAILED_ANSWERS.get(i);
          String part = PARTS[i % PARTS.length];  // the parts take turns: a view retried is retried whichever part failed
          String id = part + "." + what;
          HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(fakeViews.url() + "/order-views/" + id
              + "?customerId=" + id)).build(), HttpResponse.BodyHandlers.ofString());
          boolean status = Character.isDigit(what.charAt(0));
          int[] asked = backends.asked(id);
          if (answer.statusCode() != 502) {
            wrong.add(part + " answered " + what + ": the page got " + answer.statusCode() + " " + answer.body());
          } else if (status ? !answer.body().equals(Step2.BAD_GATEWAY + "HTTP " + what + ": " + part + " answered " + what)
              : !answer.body().startsWith(Step2.BAD_GATEWAY) || answer.body().equals(Step2.BAD_GATEWAY + "null")) {
            wrong.add(part + " answered " + what + ": the 502 said \"" + answer.body() + "\"");
          } else if (!java.util.Arrays.equals(asked, new int[] {1, 1, 1})) {
            wrong.add(part + " answered " + what + ": orders, customers, shipments were asked " + java.util.Arrays.toString(asked)
                + " times for the page's one view");
          }
          if (backends.apart()) wrong.add("the three calls behind the view " + id + " were never in flight together (two seconds"
              + " waited): build the view with views.concurrent(...); the sweep stops here");
        }
      }
      assertThat(wrong)
          .as("TODO 2: the parts took turns answering every status from 100 to 599 that is not a 2xx, a 2xx with no body, timing out,"
              + " breaking the connection, refusing it and not taking it in time; the first pages that went wrong are below:"
              + " the view service builds the view"
              + " once with views.concurrent(...) and lets any failure reach the given handler, which answers 502 with"
              + " what the failed call said; no second try of the view (not for a 504 or a 408 either: a retry asks"
              + " every service again behind the page's one round-trip, nor for a refused connection, which the other two"
              + " services did answer)")
          .isEmpty();
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: four hundred pages
    @DisplayName("behind the view, whatever a part answers instead of itself with no body at all (every status from 100 to 599 that is not a 2xx, as a load balancer may send it) is one 502 saying what it said, each service asked once")
    void everyBodilessFailureBehindIsOneBadGateway() throws Exception {
      Backends backends = new Backends(true);
      RestClient client = clientOn(backends, "TODO 2");
      java.util.List<String> wrong = new java.util.ArrayList<>();
      try (SimulatedService fakeViews = ViewService.start(new OrderViews(client, services), 0)) {
        for (int status = 100; status <= 599 && wrong.size() < 5 && !backends.apart(); status++) {
          if (status / 100 == 2) continue;
          String part = PARTS[status % PARTS.length];  // the parts take turns: a view retried is retried whichever part failed
          String id = part + ".blank" + status;
          HttpResponse<String> answer = PLAIN.send(HttpRequest.newBuilder(URI.create(fakeViews.url() + "/order-views/" + id
              + "?customerId=" + id)).build(), HttpResponse.BodyHandlers.ofString());
          int[] asked = backends.asked(id);
          if (answer.statusCode() != 502) {
            wrong.add(part + " answered " + status + " with no body: the page got " + answer.statusCode() + " " + answer.body());
          } else if (!answer.body().equals(BAD_GATEWAY + "HTTP " + status + ": ")) {
            wrong.add(part + " answered " + status + " with no body: the 502 said \"" + answer.body() + "\"");
          } else if (!java.util.Arrays.equals(asked, new int[] {1, 1, 1})) {
            wrong.add(part + " answered " + status + " with no body: orders, customers, shipments were asked "
                + java.util.Arrays.toString(asked) + " times for the page's one view");
          }
          if (backends.apart()) wrong.add("the three calls behind the view " + id + " were never in flight together (two seconds"
              + " waited): build the view with views.concurrent(...); the sweep stops here");
        }
      }
      assertThat(wrong)
          .as("TODO 2: the parts took turns answering every status from 100 to 599 that is not a 2xx with no body at all (as a"
              + " load balancer or a proxy may); the first pages that went wrong are below: the view service builds the view once"
              + " with views.concurrent(...) and lets the failure reach the given handler, which answers 502 with what the failed"
              + " call said (its status, and its body, none for none); no second try of the view when a 502, 503 or 504 says"
              + " nothing: a retry asks every service again behind the page's one round-trip")
          .isEmpty();
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: a typed error for non-2xx answers")
  class Step3 {
    @Test
    @DisplayName("a 404 becomes an HttpError with status 404 and the server's message")
    void notFound() {
      Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN)
          .get(services.orders.url() + "/orders/999", Services.Order.class));
      assertThat(thrown).as("TODO 3: GET /orders/999 should throw RestClient.HttpError, not try to read JSON from an error page")
          .isInstanceOf(RestClient.HttpError.class);
      RestClient.HttpError error = (RestClient.HttpError) thrown;
      assertThat(error.status()).as("TODO 3: the status in the HttpError").isEqualTo(404);
      assertThat(error.body()).as("TODO 3: the server's body, kept in the HttpError").isEqualTo("no order with that id");
    }

    @Test
    @DisplayName("any 2xx is a success: a 203 carries the resource too")
    void any2xxIsSuccess() {
      Javalin proxy = Rest.start(cfg -> cfg.routes.get("/orders/{id}",
          ctx -> ctx.status(203).json(Services.ORDERS.get("42"))));
      try {
        Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN).get(Rest.url(proxy) + "/orders/42", Services.Order.class));
        assertThat(thrown)
            .as("TODO 3: 203 Non-Authoritative Information (a proxy's copy) is a 2xx: the body is the order; check"
                + " status / 100 == 2, not status == 200 (see hint 2)")
            .isNull();
      } finally {
        proxy.stop();
      }
    }

    @Test
    @DisplayName("a 3xx is not a success: a redirect or a 304 has no order to read")
    void redirectIsAnError() {
      for (int status : new int[] {302, 304}) {
        Javalin moved = Rest.start(cfg -> cfg.routes.get("/orders/{id}",
            ctx -> ctx.status(status).header("Location", "/elsewhere")));
        try {
          Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN).get(Rest.url(moved) + "/orders/42", Services.Order.class));
          assertThat(thrown).as("TODO 3: a %d is not a 2xx, so it is an HttpError (only 2xx carries the resource)", status)
              .isInstanceOf(RestClient.HttpError.class);
          assertThat(((RestClient.HttpError) thrown).status()).as("TODO 3: the status in the HttpError").isEqualTo(status);
        } finally {
          moved.stop();
        }
      }
    }

    @Test
    @DisplayName("every status from 200 to 599, from get and getAsync alike: a 2xx is the resource, anything else an HttpError with its status and body, each asked once")
    void everyStatusOnBothPaths() throws Exception {
      Map<Integer, java.util.concurrent.atomic.AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();
      Javalin any = Rest.start(cfg -> cfg.routes.get("/status/{code}", ctx -> {
        int code = Integer.parseInt(ctx.pathParam("code"));
        asked.computeIfAbsent(code, c -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        if (code / 100 == 2) ctx.status(code).json(Services.ORDERS.get("42"));
        // The body as it comes, spaces, newlines and length (none at all, up to 8 KB, and one of more than 1 MB) too; and Retry-After (0 s or 1 s), as a
        // service that is down or busy may say: the call is still made once.
        else ctx.status(code).header("Retry-After", retryAfter(code)).result(errorBody(code));
      }));
      ExecutorService callers = Executors.newFixedThreadPool(4);
      try {
        RestClient client = new RestClient(Services.TOKEN);
        for (int first = 200; first <= 599; first += 50) {
          // getAsync: fifty statuses in flight at once, each checked when its answer is in.
          Map<Integer, CompletableFuture<Throwable>> async = new TreeMap<>();
          for (int status = first; status < first + 50; status++) {
            async.put(status, client.getAsync(Rest.url(any) + "/status/" + status, Services.Order.class).handle((order, e) -> e));
          }
          // get: the same fifty from four callers at once (each call blocks), each checked when its answer is in.
          Map<Integer, Future<Throwable>> blocking = new TreeMap<>();
          for (int status = first; status < first + 50; status++) {
            String url = Rest.url(any) + "/status/" + status;
            blocking.put(status, callers.submit(() -> catchThrowable(() -> client.get(url, Services.Order.class))));
          }
          for (var call : blocking.entrySet()) checkAnswer(call.getKey(), "get", call.getValue().get());
          async.forEach((status, failure) -> checkAnswer(status, "getAsync", failure.join()));
        }
        // One get and one getAsync per status: each asks once, whatever the answer.
        Map<Integer, Integer> askedAgain = new TreeMap<>();
        asked.forEach((status, times) -> { if (times.get() != 2) askedAgain.put(status, times.get()); });
        assertThat(askedAgain)
            .as("TODO 3: each status was asked for by one get and one getAsync, yet the server was asked this many times for"
                + " these statuses (status=times): a call is one round-trip, and an answer that is not a 2xx becomes the"
                + " HttpError as it came, even when it says when to come back (\"Retry-After: 0\" or \"1\", as every one"
                + " here does, 503 with 1 s); a retry (in get,"
                + " getAsync or parse's caller) asks a service that is down again and makes every failure cost the caller one"
                + " more round-trip")
            .isEmpty();
      } finally {
        callers.shutdownNow();
        any.stop();
      }
    }

    @Test
    @DisplayName("every answer that is not a 2xx is one round-trip whether it says Retry-After: 0, 1 or nothing at all, on get and getAsync alike")
    void retryAfterOrNotEachAskedOnce() throws Exception {
      RetryAfterStandIn standIn = new RetryAfterStandIn();
      RestClient client = clientOn(standIn, "TODO 3");
      // the answers most clients retry: a status that is not a 2xx, with text, saying "0", "1" or nothing about coming back
      java.util.List<String> wrong = askedOnceEach(client, standIn, (status, says, body) -> status / 100 != 2 && body.equals("t")
          && (says.equals("-") || says.equals("0") || says.equals("1")));
      assertThat(wrong)
          .as("TODO 3: every status from 100 to 599 that is not a 2xx came once with no Retry-After, once with \"Retry-After: 0\""
              + " and once with \"Retry-After: 1\", to get and to getAsync; the first calls that went wrong are below: each"
              + " becomes the HttpError with its status at once, and the call is one round-trip whatever the answer says about"
              + " coming back, or does not say (no retry of a 408, a 502 or a 504 \"when the server named no Retry-After\","
              + " nor a wait for the one it names): a retry asks a service that is down again and makes every failure cost the"
              + " caller one more round-trip; and its HttpError keeps the body the server sent, a 1xx's as much as a"
              + " 5xx's")
          .isEmpty();
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: thousands of answers
    @DisplayName("every answer is one round-trip whatever its Retry-After says (a date already past or a second ahead as much as 0 or 1) and whatever its body (text, none, an HTML page, the JSON null or a JSON problem, kept whole), a 2xx as much as any other, on get and getAsync alike")
    void everyAnswerAskedOnceWhateverItSays() throws Exception {
      RetryAfterStandIn standIn = new RetryAfterStandIn();
      RestClient client = clientOn(standIn, "TODO 3");
      // the rest of the answers a server may give: an HTTP-date, no body at all, an HTML page, the JSON null, a 2xx (the
      // first test tried the others)
      java.util.List<String> wrong = askedOnceEach(client, standIn, (status, says, body) -> status / 100 == 2 || !body.equals("t")
          || says.equals("past") || says.equals("next"));
      assertThat(wrong)
          .as("TODO 3: every status from 100 to 599 came with each Retry-After a server may send (none, \"0\", \"1\", an HTTP-date"
              + " already past, one a second ahead: RFC 9110 10.2.3 allows both forms) and with a body or none, to get and to"
              + " getAsync; the first calls that went wrong are below: each is one round-trip whatever the answer says about"
              + " coming back, or does not say, and whatever its body (no retry when the date it names has come, nor of a 503"
              + " that has no body or is an HTML page, as a proxy's is, nor of a 2xx whose body is the JSON null, nor a 202"
              + " asked again when it says when the resource is ready): a retry asks a service that is down again and makes"
              + " every failure cost the caller one more round-trip; a 2xx is the resource (none in an empty one, an HTML page"
              + " or the JSON null: an error that is no HttpError), and anything else becomes the HttpError at once, with the"
              + " body the server sent, none for none, and a JSON problem ({\"title\": ..., \"detail\": ..., \"message\": ...})"
              + " whole, as it came: not cut down to one of its fields (the caller may need its status, its type, its other"
              + " fields; an HttpError carries the body, what to show of it is the caller's choice)")
          .isEmpty();
    }

    /** Which answers of {@link RetryAfterStandIn} a sweep tries: its status, its Retry-After code, its body ("t" or "e"). */
    interface Tried {
      boolean test(int status, String says, String body);
    }

    /**
     * Sends every answer {@code tried} names (status 100 to 599, each Retry-After, a body or none) to get and to getAsync, and
     * returns the first five that went wrong: a 2xx with the order is the order, a 2xx with no body an error that is no
     * HttpError, anything else the HttpError with its status and the body sent; each asked once.
     */
    static java.util.List<String> askedOnceEach(RestClient client, RetryAfterStandIn standIn, Tried tried) {
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (int status = 100; status <= 599 && wrong.size() < 5; status++) {
        boolean success = status / 100 == 2;
        for (String says : RetryAfterStandIn.SAYS) {
          for (String body : RetryAfterStandIn.BODIES) {
            if (!tried.test(status, says, body)) continue;
            // a JSON problem is an error's body: once per status that is not a 2xx, with no Retry-After
            if (body.equals("j") && (success || !says.equals("-"))) continue;
            for (boolean async : new boolean[] {false, true}) {
              String what = status + "." + says + "." + body + (async ? ".async" : ".get");
              String url = "http://127.0.0.1:9/orders/" + what;
              Object[] got = new Object[1];
              Throwable thrown = async ? client.getAsync(url, Services.Order.class).handle((o, e) -> { got[0] = o; return e; }).join()
                  : catchThrowable(() -> got[0] = client.get(url, Services.Order.class));
              RestClient.HttpError error = httpError(thrown);
              String sent = RetryAfterStandIn.body(status, body);
              int code = status;
              java.util.function.Supplier<String> how = () -> (async ? "getAsync" : "get") + " of a " + code + " with "
                  + retryAfterAsSaid(says) + (body.equals("e") ? " and no body" : body.equals("t") && success ? " and the order"
                  : " and the body \"" + sent + "\"" + (body.equals("h") ? " (Content-Type: " + RetryAfterStandIn.HTML + ")"
                  : body.equals("j") ? " (Content-Type: " + RetryAfterStandIn.PROBLEM + ")" : ""));
              if (success && body.equals("t") && (thrown != null || !Services.ORDERS.get("42").equals(got[0]))) {
                wrong.add(how.get() + " gave " + (thrown != null ? describe(thrown) : got[0]) + ", not the order");
              } else if (success && !body.equals("t") && (thrown == null || error != null)) {
                wrong.add(how.get() + " gave " + (thrown == null ? got[0] : describe(thrown)) + ": a 2xx without an order in it has no"
                    + " order to read, and it is no HttpError either");
              } else if (!success && (error == null || error.status() != status)) {
                wrong.add(how.get() + " failed with " + describe(thrown));
              } else if (!success && !sent.equals(error.body())) {
                wrong.add(how.get() + " failed with an HttpError whose body is \"" + error.body() + "\"");
              } else if (standIn.asked(what) != 1) {
                wrong.add(how.get() + " asked " + standIn.asked(what) + " times");
              }
              if (wrong.size() >= 5) return wrong;
            }
          }
        }
      }
      return wrong;
    }

    /** How a Retry-After code of {@link RetryAfterStandIn} reads in a message. */
    static String retryAfterAsSaid(String says) {
      return switch (says) {
        case "-" -> "no Retry-After";
        case "past" -> "Retry-After: " + RetryAfterStandIn.date(-3600);
        case "next" -> "Retry-After: " + RetryAfterStandIn.date(1);
        default -> "Retry-After: " + says;
      };
    }

    /**
     * An HttpClient standing in for a service, with no network: GET /orders/{status}.{says}.{body}.{path} answers that
     * status with "Retry-After: {says}" ("-": none; "past": an HTTP-date an hour ago; "next": one a second from now, both
     * in IMF-fixdate, GMT) and the body {@link #body} makes of its code ({@link #BODIES}); each request counted.
     */
    static final class RetryAfterStandIn extends workbook.test.StandInHttpClient {
      /** Every Retry-After the sweep sends: none, delay-seconds 0 and 1, an HTTP-date past and one a second ahead. */
      static final String[] SAYS = {"-", "0", "1", "past", "next"};
      /** The body of a 2xx with text: order 42. */
      static final String ORDER = "{\"id\":\"42\",\"customerId\":\"7\",\"item\":\"espresso machine\",\"totalCents\":24900}";
      /**
       * Every body the sweeps send: t, text ("answered 503", the order for a 2xx); e, none at all; h, an HTML page (as a
       * proxy or a load balancer writes one); n, the JSON null; j, a JSON problem (RFC 9457, as many services write their
       * errors: its title, detail and a message field say what went wrong, and the body is still the whole object).
       */
      static final String[] BODIES = {"t", "e", "h", "n", "j"};
      /** The Content-Type of the HTML page. */
      static final String HTML = "text/html; charset=UTF-8";
      /** The Content-Type of the JSON problem. */
      static final String PROBLEM = "application/problem+json";

      /** The body of an answer with this status and body code. */
      static String body(int status, String body) {
        return switch (body) {
          case "e" -> "";
          case "h" -> "<!DOCTYPE html>\n<html><head><title>" + status + "</title></head><body><h1>answered " + status + "</h1></body></html>\n";
          case "n" -> "null";
          case "j" -> "{\"type\":\"about:blank\",\"title\":\"answered " + status + "\",\"status\":" + status
              + ",\"detail\":\"answered " + status + " (detail)\",\"message\":\"answered " + status + " (message)\",\"error\":\"e" + status + "\"}";
          default -> status / 100 == 2 ? ORDER : "answered " + status;
        };
      }

      private final Map<String, java.util.concurrent.atomic.AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();

      int asked(String what) {
        var count = asked.get(what);
        return count == null ? 0 : count.get();
      }

      /** IMF-fixdate (RFC 9110 5.6.7): English names whatever the machine's locale. */
      static final java.time.format.DateTimeFormatter IMF_FIXDATE =
          java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);

      /** An HTTP-date {@code seconds} from now, in GMT whatever the machine's time zone. */
      static String date(long seconds) {
        return IMF_FIXDATE.format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(seconds));
      }

      @SuppressWarnings("unchecked")
      private <T> HttpResponse<T> answer(HttpRequest request) {
        String path = request.uri().getPath();
        String what = path.substring(path.lastIndexOf('/') + 1);
        asked.computeIfAbsent(what, key -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        String[] parts = what.split("\\.");
        int status = Integer.parseInt(parts[0]);
        String says = switch (parts[1]) {
          case "-" -> null;
          case "past" -> date(-3600);
          case "next" -> date(1);
          default -> parts[1];
        };
        return (HttpResponse<T>) new Answer(status, body(status, parts[2]), says,
            parts[2].equals("h") ? HTML : parts[2].equals("j") ? PROBLEM : null);
      }

      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) { return answer(request); }
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return CompletableFuture.completedFuture(answer(request));
      }
    }

    /**
     * The body the status sweep's server sends with a status that is not a 2xx: none at all (300, 325, ...), ten bytes to
     * 8 KB, or for a 502 an error page of more than 1 MB (a body is kept whole, whatever its length: no cap).
     */
    static String errorBody(int status) {
      if (status % 25 == 0) return "";
      if (status == 502) return " answer 502\n" + "<p>error page</p>\n".repeat(58_300);
      return " answer " + status + "\n" + "<p>error page</p>\n".repeat((status * 37) % 480);
    }

    /** thrown: what the call failed with (null: it returned). Only the statuses that allow a body carry one. */
    void checkAnswer(int status, String path, Throwable thrown) {
      boolean noBody = status == 204 || status == 205 || status == 304;
      if (status / 100 == 2) {
        assertThat(httpError(thrown))
            .as("TODO 3: %d is a 2xx, a success, yet %s failed with an HttpError: check status / 100 == 2 (see hint 2)", status, path)
            .isNull();
        if (!noBody) assertThat(thrown).as("TODO 3: a %d with the order in its body, from %s", status, path).isNull();
        // A 2xx without a body has no order to read: an error, never a null order and a view with a hole in it.
        else if (status == 204) assertThat(thrown).as("TODO 3: a %d has no body, so there is no order to read, yet %s returned one (null?):"
            + " read every 2xx body as the resource and let an empty one fail, never return null", status, path).isNotNull();
        return;
      }
      RestClient.HttpError error = httpError(thrown);
      assertThat(error)
          .as("TODO 3: %d is not a 2xx, so %s must fail with RestClient.HttpError (from getAsync: the future fails with it);"
              + " it failed with %s", status, path, describe(thrown))
          .isNotNull();
      assertThat(error.status()).as("TODO 3: the status in the HttpError from %s", path).isEqualTo(status);
      if (noBody) return;
      String sent = errorBody(status);
      // The length first: a body cut short is told in one line, not in two pages of error page.
      assertThat(error.body().length()).as("TODO 3: the server sent %d a body of %d characters, and the HttpError from %s"
          + " keeps %d of them: keep the body whole, an error page of more than 1 MB as much as one of ten bytes (no cap on"
          + " its length, no trimming, nothing made up for an empty one)", status, sent.length(), path, error.body().length())
          .isEqualTo(sent.length());
      assertThat(error.body()).as("TODO 3: the server's body in the HttpError from %s, as it came (not trimmed, not rewritten): the caller"
          + " reads what the server said, an error page of more than 1 MB as much as one of ten bytes (no cap on its length), and an empty body as empty (no text made"
          + " up for it: the status says what it needs to)", path).isEqualTo(sent);
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: it makes 64 MB of text
    @DisplayName("an error body is kept whole however long: parse keeps an error page of more than 32 MiB as it came, to its last character")
    void longErrorBodyKeptWhole() {
      // past the caps a careful client might choose (1 MiB, 10 MB, 10 MiB, 16 MiB, 32 MiB): the rule is no cap at all
      String sent = "<p>error page</p>\n".repeat((32 << 20) / 18 + 1) + "the last line of the page";
      Throwable thrown = catchThrowable(() -> RestClient.parse(new Answer(502, sent), Services.Order.class));
      RestClient.HttpError error = httpError(thrown);
      assertThat(error).as("TODO 3: a 502 with an error page of %d characters must be an HttpError; parse threw %s", sent.length(),
          thrown == null ? "nothing" : thrown.getClass().getSimpleName()).isNotNull();
      int kept = error.body() == null ? -1 : error.body().length();
      assertThat(kept == sent.length() && error.body().equals(sent))
          .as("TODO 3: the server sent a 502 with an error page of %d characters, and the HttpError keeps %d (%s): keep the body"
              + " as it came, whatever its length: no cap (10 MB, 10 MiB or any other), no cut, no trimming", sent.length(), kept,
              kept == sent.length() ? "as many, but not the same text" : "cut short")
          .isTrue();
    }

    @Test @org.junit.jupiter.api.Order(org.junit.jupiter.api.Order.DEFAULT + 1)  // after the cheap ones: a server of its own
    @DisplayName("a body is read in the charset its answer names, on get and getAsync alike: JSON as UTF-8 (a name like Zoe with its diaeresis, or in Japanese, stays as it is), an error page in the charset its Content-Type says (ISO-8859-1 too), never one of the client's own or the machine's")
    void bodyReadInTheCharsetItsAnswerNames() throws Exception {
      // Each answer: its status, its Content-Type, its text, the charset its bytes are in (the one its Content-Type names,
      // UTF-8 for JSON without one: RFC 8259 8.1). A client that picks a charset of its own (ISO-8859-1, HTTP/1.1's old
      // default, or the machine's: Charset.defaultCharset() follows the locale on a JVM 17) reads one of them wrong.
      String item = "Zo\u00eb's caf\u00e9 cr\u00e8me, \u6771\u4eac \u2615";
      Object[][] answers = {
          {"/orders/json", 200, "application/json", "{\"id\":\"1\",\"customerId\":\"7\",\"item\":\"" + item + "\",\"totalCents\":1}",
              java.nio.charset.StandardCharsets.UTF_8},
          {"/orders/json-utf8", 200, "application/json; charset=utf-8", "{\"id\":\"2\",\"customerId\":\"7\",\"item\":\"" + item
              + "\",\"totalCents\":1}", java.nio.charset.StandardCharsets.UTF_8},
          {"/orders/error-utf8", 404, "text/plain; charset=UTF-8", "keine Bestellung \u00ab42\u00bb \u2013 \u6771\u4eac \u2615", java.nio.charset.StandardCharsets.UTF_8},
          {"/orders/error-latin1", 503, "text/html; charset=ISO-8859-1", "<p>Service indisponible : r\u00e9essayez plus tard, \u00abmerci\u00bb</p>",
              java.nio.charset.StandardCharsets.ISO_8859_1}};
      com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
          new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
      for (Object[] answer : answers) {
        server.createContext((String) answer[0], exchange -> {
          byte[] bytes = ((String) answer[3]).getBytes((java.nio.charset.Charset) answer[4]);
          exchange.getResponseHeaders().set("Content-Type", (String) answer[2]);
          exchange.sendResponseHeaders((Integer) answer[1], bytes.length);
          try (var out = exchange.getResponseBody()) { out.write(bytes); }
        });
      }
      server.start();
      try {
        RestClient client = new RestClient(Services.TOKEN);
        java.util.List<String> wrong = new java.util.ArrayList<>();
        for (Object[] answer : answers) {
          for (boolean async : new boolean[] {false, true}) {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + answer[0];
            String how = (async ? "getAsync" : "get") + " of " + answer[0] + " (" + answer[1] + ", Content-Type: " + answer[2] + ")";
            Services.Order order = null;
            Throwable thrown = null;
            try {
              order = async ? client.getAsync(url, Services.Order.class).join() : client.get(url, Services.Order.class);
            } catch (RuntimeException e) {
              thrown = e;
            }
            String read = (Integer) answer[1] / 100 == 2 ? (order == null ? null : order.item())
                : (httpError(thrown) == null ? null : httpError(thrown).body());
            String sent = (Integer) answer[1] / 100 == 2 ? item : (String) answer[3];
            if (!sent.equals(read)) {
              wrong.add(how + " read " + (read == null ? describe(thrown) : "'" + read + "'") + " where the service sent '" + sent + "'");
            }
          }
        }
        assertThat(wrong)
            .as("TODO 3: the bodies were not read as the services sent them (this JVM's default charset is %s): read each"
                + " body in the charset its answer names, as the given HttpResponse.BodyHandlers.ofString() does (the"
                + " Content-Type's charset, else UTF-8, the only one JSON has: RFC 8259 8.1); a charset of the client's own"
                + " (ISO-8859-1, HTTP/1.1's old default) or the machine's (Charset.defaultCharset(), new String(bytes): it"
                + " follows the locale on a JVM 17) garbles every name that is not ASCII and keeps no error page as it came",
                java.nio.charset.Charset.defaultCharset())
            .isEmpty();
      } finally {
        server.stop(0);
      }
    }

    @Test
    @DisplayName("a 1xx is not a success either (RestClient.parse is handed every status from 100 to 199): an HttpError with its status and body")
    void informationalIsAnError() {
      String order = "{\"id\":\"42\",\"customerId\":\"7\",\"item\":\"espresso machine\",\"totalCents\":24900}";
      for (int status = 100; status <= 199; status++) {
        int code = status;
        Throwable thrown = catchThrowable(() -> RestClient.parse(new Answer(code, order), Services.Order.class));
        assertThat(thrown)
            .as("TODO 3: a %d is an interim answer, not the resource: parse must throw an HttpError for it"
                + " (only 2xx is a success, so compare status / 100 with 2, not status with 300)", code)
            .isInstanceOf(RestClient.HttpError.class);
        assertThat(((RestClient.HttpError) thrown).status()).as("TODO 3: the status in the HttpError").isEqualTo(code);
        assertThat(((RestClient.HttpError) thrown).body())
            .as("TODO 3: a %d came with a body, and the HttpError must keep it as it came, as for a 4xx or a 5xx: the"
                + " caller reads what the server said, whatever the status (nothing dropped for an interim answer, no"
                + " text of the client's own instead)", code)
            .isEqualTo(order);
      }
    }

    @Test
    @DisplayName("a status outside 100 to 599 is no success either: every one from 0 to 99 and from 600 to 999 is an HttpError with that status and the body sent, from parse, get and getAsync alike")
    void pastTheRangeIsAnError() throws Exception {
      RestClient client = clientOn(new Answers(what -> new Answer(Integer.parseInt(what), "answered " + what)), "TODO 3");
      java.util.List<String> wrong = new java.util.ArrayList<>();
      // below the range as well as past it: three digits that are no HTTP status, 000 to 099 and 600 to 999
      for (int status = 0; status <= 999 && wrong.size() < 5; status = status == 99 ? 600 : status + 1) {
        int code = status;
        String url = "http://127.0.0.1:9/orders/" + status;
        Throwable[] thrown = {catchThrowable(() -> RestClient.parse(new Answer(code, "{\"id\":\"42\"}"), Services.Order.class)),
            catchThrowable(() -> client.get(url, Services.Order.class)),
            client.getAsync(url, Services.Order.class).handle((order, e) -> e).join()};
        String[] how = {"parse", "get", "getAsync"};
        String[] sent = {"{\"id\":\"42\"}", "answered " + status, "answered " + status};
        for (int i = 0; i < thrown.length; i++) {
          RestClient.HttpError error = httpError(thrown[i]);
          if (error == null || error.status() != status) wrong.add(how[i] + " of a " + status + ": " + describe(thrown[i]));
          else if (!sent[i].equals(error.body())) {
            wrong.add(how[i] + " of a " + status + " whose body is '" + sent[i] + "': an HttpError whose body is '" + error.body() + "'");
          }
        }
      }
      assertThat(wrong)
          .as("TODO 3: answers with every status from 0 to 99 and from 600 to 999 (no HTTP status: RFC 9110 15 says a client"
              + " handles one outside 100 to 599 as a 5xx) did not all fail with an HttpError of that status (the first are"
              + " below): only a 2xx is the resource, so test that it is a 2xx (status / 100 == 2), not that it is one of the"
              + " error classes you can list (1xx, 3xx, 4xx, 5xx), below 600, or a number whose first digit is 2 (20 is none);"
              + " and the HttpError keeps the body the server sent with it, as for any other status (a client handles it as"
              + " a 5xx, body and all: no text of its own instead)")
          .isEmpty();
    }

    @Test
    @DisplayName("a 2xx without a body is an error, whichever 2xx it is (200 to 299), and so is one whose body is only the JSON null, from parse, get and getAsync alike: never a null order")
    void emptySuccessIsAnError() throws Exception {
      // "/orders/204" answers 204 with no body at all; "/orders/204.1" with the JSON literal null, "/orders/204.2" with it between blanks
      String[] bodies = {"", "null", " null\n"};
      RestClient client = clientOn(new Answers(what -> new Answer(Integer.parseInt(what.split("\\.")[0]),
          what.contains(".") ? bodies[Integer.parseInt(what.split("\\.")[1])] : "")), "TODO 3");
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (int status = 200; status <= 299 && wrong.size() < 5; status++) {
        for (int b = 0; b < bodies.length && wrong.size() < 5; b++) {
          int code = status;
          String body = bodies[b];
          String url = "http://127.0.0.1:9/orders/" + status + (b == 0 ? "" : "." + b);
          Object[] got = new Object[3];
          Throwable[] thrown = {catchThrowable(() -> got[0] = RestClient.parse(new Answer(code, body), Services.Order.class)),
              catchThrowable(() -> got[1] = client.get(url, Services.Order.class)),
              client.getAsync(url, Services.Order.class).handle((order, e) -> { got[2] = order; return e; }).join()};
          String[] how = {"parse", "get", "getAsync"};
          for (int i = 0; i < thrown.length; i++) {
            if (thrown[i] == null) {
              wrong.add(how[i] + " of a " + status + (b == 0 ? " with no body" : " whose body is '" + body.strip() + "'") + " returned " + got[i]);
            }
          }
        }
      }
      assertThat(wrong)
          .as("TODO 3: answers with every 2xx and no body at all, or only the JSON literal null, returned instead of failing (the"
              + " first are below): a 2xx with nothing in it has no order to read, a 205 or a 200 as much as a 204, and a body"
              + " of null is no order either; read every 2xx body as the resource and let an empty one fail, and keep the"
              + " given check that refuses a null read from the body: never return null for it (the page would show a view"
              + " with a hole)")
          .isEmpty();
    }

    @Test
    @DisplayName("a 2xx with fields the client does not know is still the resource, from parse, get and getAsync alike: a tolerant reader")
    void unknownFieldsAreIgnored() throws Exception {
      // orders 42 as a newer orders service sends it: a field added at the top and one at the end, an object and a list too
      String newer = "{\"currency\":\"EUR\",\"id\":\"42\",\"customerId\":\"7\",\"item\":\"espresso machine\","
          + "\"totalCents\":24900,\"lines\":[{\"sku\":\"em-1\",\"qty\":1}],\"placedAt\":{\"date\":\"2026-12-07\"}}";
      RestClient client = clientOn(new Answers(what -> new Answer(Integer.parseInt(what), newer)), "TODO 3");
      Object[] got = new Object[3];
      Throwable[] thrown = {catchThrowable(() -> got[0] = RestClient.parse(new Answer(200, newer), Services.Order.class)),
          catchThrowable(() -> got[1] = client.get("http://127.0.0.1:9/orders/200", Services.Order.class)),
          client.getAsync("http://127.0.0.1:9/orders/203", Services.Order.class).handle((order, e) -> { got[2] = order; return e; }).join()};
      String[] how = {"parse", "get", "getAsync"};
      for (int i = 0; i < how.length; i++) {
        assertThat(thrown[i])
            .as("TODO 3: a newer orders service answered 2xx with order 42 and fields this client does not know (currency, lines,"
                + " placedAt), and %s failed with %s: a client between services is a tolerant reader (fact R4): it takes the"
                + " fields it needs and ignores the rest, so a service can add a field without breaking every caller; keep"
                + " the given ObjectMapper's FAIL_ON_UNKNOWN_PROPERTIES off", how[i], describe(thrown[i]))
            .isNull();
        assertThat(got[i]).as("TODO 3: the order %s read from a newer service's answer", how[i]).isEqualTo(Services.ORDERS.get("42"));
      }
    }

    /** An HttpClient standing in for a service, with no network: GET /orders/{what} gets the answer made of {@code what}. */
    static final class Answers extends workbook.test.StandInHttpClient {
      private final java.util.function.Function<String, Answer> answers;

      Answers(java.util.function.Function<String, Answer> answers) { this.answers = answers; }

      @SuppressWarnings("unchecked")
      private <T> HttpResponse<T> answer(HttpRequest request) {
        String path = request.uri().getPath();
        return (HttpResponse<T>) answers.apply(path.substring(path.lastIndexOf('/') + 1));
      }

      @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) { return answer(request); }
      @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return CompletableFuture.completedFuture(answer(request));
      }
    }

    @Test
    @DisplayName("the concurrent view fails with the HttpError of the service that is down, whichever it is")
    void concurrentServiceDown() {
      for (SimulatedService down : new SimulatedService[] {services.orders, services.customers, services.shipments}) {
        down.down(true);
        try {
          Throwable thrown = catchThrowable(() -> views.concurrent("42", "7"));
          RestClient.HttpError error = httpError(thrown);
          assertThat(error)
              .as("TODO 3: %s answered 503; the concurrent view should fail with its HttpError (join() wraps it in a"
                  + " CompletionException, nothing else should), but failed with %s", down.name(), describe(thrown))
              .isNotNull();
          assertThat(error.status()).as("TODO 3: the status in the HttpError").isEqualTo(503);
        } finally {
          down.down(false);
        }
      }
    }

    @Test
    @DisplayName("a service that cannot be reached is an error on get and getAsync alike, never an empty answer")
    void unreachableIsAnError() throws Exception {
      int closed;
      try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        closed = socket.getLocalPort();  // free, and nobody listens once it is closed
      }
      String url = "http://127.0.0.1:" + closed + "/orders/42";
      RestClient client = new RestClient(Services.TOKEN);
      Throwable blocking = catchThrowable(() -> client.get(url, Services.Order.class));
      assertThat(blocking)
          .as("TODO 3: nobody answers at %s, yet get() returned: a call that failed must throw, or the view gets a hole", url)
          .isNotNull();
      Throwable async = client.getAsync(url, Services.Order.class).handle((order, e) -> e).join();
      assertThat(async)
          .as("TODO 3: nobody answers at %s, yet the future of getAsync completed with a value: it must fail", url)
          .isNotNull();
      for (Throwable failed : new Throwable[] {blocking, async}) {
        RestClient.HttpError madeUp = httpError(failed);
        assertThat(madeUp)
            .as("TODO 3: nobody answers at %s, yet the call failed with HttpError %s: an HttpError carries a status and a"
                + " body a server sent, and no server sent any; let the connection's own failure through (the given"
                + " UncheckedIOException from get, the IOException in getAsync's future), so callers can tell \"the"
                + " service said 503\" from \"nobody answered\"", url, madeUp == null ? 0 : madeUp.status())
            .isNull();
      }
    }

    @Test
    @DisplayName("a call whose connection breaks in the middle of the answer is made once, on get and getAsync alike: an error, never a second try")
    void brokenConnectionIsNotRetried() throws Exception {
      java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
      try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
        // A service that reads the request, starts its answer and breaks the connection: the request was made.
        Thread service = new Thread(() -> {
          while (!server.isClosed()) {
            try (java.net.Socket socket = server.accept()) {
              var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
              for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) { /* the request's head */ }
              asked.incrementAndGet();  // counted before the connection breaks, so before the caller sees it fail
              socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\":"
                  .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
              socket.getOutputStream().flush();
            } catch (java.io.IOException closed) {
              return;
            }
          }
        }, "breaks-its-answers");
        service.setDaemon(true);
        service.start();
        String url = "http://127.0.0.1:" + server.getLocalPort() + "/orders/42";
        RestClient client = new RestClient(Services.TOKEN);
        Throwable blocking = catchThrowable(() -> client.get(url, Services.Order.class));
        assertThat(blocking).as("TODO 3: the connection broke in the middle of the answer, yet get() returned: a failed call must throw")
            .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
        assertThat(asked.get())
            .as("TODO 3: get() was called once and its connection broke after the service had the request, yet the service"
                + " was asked %d times: a failed call is not made again (the service may have done the work; a retry is one"
                + " more round-trip the caller did not ask for); let the given UncheckedIOException through", asked.get())
            .isEqualTo(1);
        Throwable async = client.getAsync(url, Services.Order.class).handle((order, e) -> e).join();
        assertThat(async).as("TODO 3: the connection broke in the middle of the answer, yet getAsync's future completed with a value")
            .isNotNull();
        assertThat(asked.get() - 1)
            .as("TODO 3: getAsync() was called once and its connection broke after the service had the request, yet the"
                + " service was asked %d times: a failed call is not made again, on getAsync either", asked.get() - 1)
            .isEqualTo(1);
      }
    }

    @Test
    @DisplayName("a call that times out, whose connection breaks, is refused or is not made in time is made once, on get and getAsync alike: its own error, not an HttpError, never a second try")
    void timedOutCallIsNotRetried() throws Exception {
      Backends backends = new Backends(false);
      RestClient client = clientOn(backends, "TODO 3");
      // The HttpClient the client keeps, as it is made: its connect timeout tells a connection not made from a slow answer.
      java.lang.reflect.Field kept = java.util.Arrays.stream(RestClient.class.getDeclaredFields())
          .filter(f -> f.getType() == HttpClient.class).findFirst().orElseThrow();
      kept.setAccessible(true);
      Optional<Duration> connect = ((HttpClient) kept.get(new RestClient(Services.TOKEN))).connectTimeout();
      assertThat(connect.filter(t -> t.compareTo(Duration.ofSeconds(15)) < 0))
          .as("TODO 3: the HttpClient RestClient keeps has %s: a service whose host takes no connection then holds each call"
              + " until the request's own 15 s run out, and the caller gets a timeout as if the service were slow; keep the"
              + " given client's connect timeout (2 s), shorter than the request's, so a connection not made fails as such,"
              + " with an HttpConnectTimeoutException, and soon", connect.map(t -> "a connect timeout of " + t.toMillis() + " ms")
              .orElse("no connect timeout (HttpClient.newHttpClient() sets none)"))
          .isPresent();
      for (String what : new String[] {"timeout", "reset", "closed", "refused", "connect"}) {
        String id = "orders." + what;
        String url = services.orders.url() + "/orders/" + id;
        String how = what.equals("timeout") ? "timed out" : what.equals("reset") ? "broke its connection"
            : what.equals("closed") ? "had its connection closed before a byte of the answer (\"" + CLOSED + "\")"
            : what.equals("refused") ? "found its connection refused" : "could not connect in time (a connect timeout)";
        Throwable blocking = catchThrowable(() -> client.get(url, Services.Order.class));
        assertThat(blocking).as("TODO 3: the request %s, yet get() returned: a failed call must throw", how)
            .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
        assertThat(backends.asked(id)[0])
            .as("TODO 3: get() was called once and its request %s (%s), yet it was sent %d times: a failed call is not made"
                + " again, not even a GET (a retry is one more round-trip the caller did not ask for); let the given"
                + " UncheckedIOException through", how, what.equals("refused") || what.equals("connect") ? "a service that is"
                + " restarting or overloaded refuses the second try as well, and the caller waits for two failures instead of one"
                : "the service may have had it and done the work", backends.asked(id)[0])
            .isEqualTo(1);
        Throwable async = client.getAsync(url, Services.Order.class).handle((order, e) -> e).join();
        assertThat(async).as("TODO 3: the request %s, yet getAsync's future completed with a value", how).isNotNull();
        assertThat(backends.asked(id)[0] - 1)
            .as("TODO 3: getAsync() was called once and its request %s, yet it was sent %d times: a failed call is not"
                + " made again on getAsync either (no exceptionallyCompose(...) that sends it again)", how, backends.asked(id)[0] - 1)
            .isEqualTo(1);
        for (Throwable failed : new Throwable[] {blocking, async}) {
          RestClient.HttpError madeUp = httpError(failed);
          assertThat(madeUp)
              .as("TODO 3: the request %s, and the call failed with HttpError %s: no server sent a status, so let the"
                  + " failure itself through, as for a service nobody answers at", how, madeUp == null ? 0 : madeUp.status())
              .isNull();
          assertThat(Step1.ownFailure(failed, what))
              .as("TODO 3: the request %s, and %s failed with %s: the caller must get that call's own failure, the %s, as"
                  + " it is or as the cause of the given UncheckedIOException (get) or of the future's CompletionException"
                  + " (getAsync), so it can tell a timeout from a broken or refused connection; a new IOException made of its"
                  + " message hides which it was", how, failed == blocking ? "get()" : "getAsync()", describe(failed),
                  Step1.ownClass(what).getSimpleName())
              .isTrue();
        }
      }
    }

    @Test
    @DisplayName("a call interrupted while it waits for its answer, or before it is made, fails and keeps its thread's interrupt, so the code above it stops too")
    void interruptedCallKeepsTheInterrupt() throws Exception {
      // A send that is interrupted while it waits, as HttpClient's is: it throws InterruptedException, the flag cleared (so
      // too on a thread interrupted before the call: HttpClient's send waits for its answer, and sees the flag at once).
      RestClient client = clientOn(new workbook.test.StandInHttpClient() {
        @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws InterruptedException {
          Thread.interrupted();
          throw new InterruptedException("interrupted while waiting for the answer");
        }
        @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
          return CompletableFuture.failedFuture(new IllegalStateException("getAsync is not called here"));
        }
      }, "TODO 3");
      CompletableFuture<Boolean> kept = new CompletableFuture<>();
      CompletableFuture<Throwable> failed = new CompletableFuture<>();
      CompletableFuture<Boolean> keptBefore = new CompletableFuture<>();
      CompletableFuture<Throwable> failedBefore = new CompletableFuture<>();
      Thread page = new Thread(() -> {
        failed.complete(catchThrowable(() -> client.get("http://127.0.0.1:9/orders/42", Services.Order.class)));
        kept.complete(Thread.interrupted());
        // the same call on a thread interrupted before it (a page cancelled before its call)
        Thread.currentThread().interrupt();
        failedBefore.complete(catchThrowable(() -> client.get("http://127.0.0.1:9/orders/43", Services.Order.class)));
        keptBefore.complete(Thread.interrupted());
      }, "interrupted-page");
      page.start();
      page.join(10_000);
      assertThat(failed.getNow(null))
          .as("TODO 3: get() was interrupted while it waited for its answer, yet it returned: an interrupted call fails").isNotNull();
      assertThat(kept.getNow(false))
          .as("TODO 3: get() was interrupted while it waited for its answer and failed with %s, but its thread is no longer"
              + " interrupted: the page (or the server stopping it) asked that thread to stop, and the code above the call"
              + " carries on as if nobody had; catch InterruptedException on its own and set the interrupt again"
              + " (Thread.currentThread().interrupt()), as the given get does, before you throw", describe(failed.getNow(null)))
          .isTrue();
      assertThat(failedBefore.getNow(null))
          .as("TODO 3: get() was called on a thread interrupted already, and it returned: an interrupted call fails").isNotNull();
      assertThat(keptBefore.getNow(false))
          .as("TODO 3: get() was called on a thread interrupted already and failed with %s, but its thread is no longer"
              + " interrupted: the code above the call carries on as if nobody had asked it to stop; Thread.interrupted() takes"
              + " the flag it tests (Thread.currentThread().isInterrupted() only reads it), so set it again before you throw, as"
              + " the given get does when send(...) throws InterruptedException", describe(failedBefore.getNow(null)))
          .isTrue();
    }

    @Test
    @DisplayName("a service that is down becomes an HttpError 503, and is asked once")
    void serviceDown() {
      services.shipments.down(true);
      Throwable thrown = catchThrowable(() -> views.sequential("42", "7"));
      assertThat(thrown).as("TODO 3: a 503 from shipments").isInstanceOf(RestClient.HttpError.class);
      assertThat(((RestClient.HttpError) thrown).status()).as("TODO 3: the status in the HttpError").isEqualTo(503);
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 3: shipments answered 503 to the sequential view, and orders, customers and shipments were asked this"
              + " many times: each call of get is one round-trip; the 503 becomes the HttpError at once, never a reason to"
              + " ask again")
          .containsExactly(1, 1, 1);
    }

    @Test
    @DisplayName("the sequential view has no holes either: whatever a part answers instead of itself (every status from 100 to 599 that is not a 2xx, a 2xx with no body, a timeout, a connection broken, refused or not made in time), it fails with that call's own error, and nothing is asked twice")
    void sequentialViewHasNoHoles() throws Exception {
      Backends backends = new Backends(false);
      OrderViews page = new OrderViews(clientOn(backends, "TODO 3"), services);
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (int p = 0; p < PARTS.length && wrong.size() < 5; p++) {
        for (String what : FAILED_ANSWERS) {
          String id = PARTS[p] + "." + what;  // `part` answers `what`, the other two their parts
          Throwable thrown = null;
          OrderViews.OrderView view = null;
          try {
            view = page.sequential(id, id);
          } catch (RuntimeException e) {
            thrown = e;
          }
          int[] asked = backends.asked(id);
          if (thrown == null) wrong.add(PARTS[p] + " answered " + what + ", yet sequential(...) returned a view: " + view);
          else if (!Step1.ownFailure(thrown, what, PARTS[p] + " answered " + what)) {
            wrong.add(PARTS[p] + " answered " + what + ", and the view failed with " + describe(thrown));
          }
          else if (asked[p] != 1 || java.util.Arrays.stream(asked).anyMatch(n -> n > 1)) {
            wrong.add(PARTS[p] + " answered " + what + ", and orders, customers, shipments were asked " + java.util.Arrays.toString(asked) + " times");
          }
          if (wrong.size() >= 5) break;
        }
      }
      assertThat(wrong)
          .as("TODO 3: each part in turn answered every status from 100 to 599 that is not a 2xx, a 2xx with no body, timed out, or had its"
              + " connection broken, refused or not made in time, to the given sequential view; the first views that went wrong are below: a view has no holes"
              + " on any path, so every answer that is not the part is the call's own error (an HttpError with its status"
              + " from get, or the given UncheckedIOException), never a null part (no catch that fills in \"not shipped"
              + " yet\"), and no part is asked for twice (not after a refused connection or a connect timeout either: the"
              + " given get is one round-trip whatever its failure)")
          .isEmpty();
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: a bearer token between services")
  class Step4 {
    @Test
    @DisplayName("services that require the token still answer")
    void tokenAccepted() {
      services.requireToken(true);
      assertThat(catchThrowable(() -> views.sequential("42", "7")))
          .as("TODO 4: every request needs the header 'Authorization: Bearer <token>'").isNull();
    }

    @Test
    @DisplayName("concurrent calls and the composite view carry the token too")
    void tokenOnEveryCall() {
      services.requireToken(true);
      assertThat(catchThrowable(() -> views.concurrent("42", "7")))
          .as("TODO 4: the concurrent calls (getAsync) were refused: every request, blocking or not, needs"
              + " 'Authorization: Bearer <token>'; build it where every request is built").isNull();
      assertThat(catchThrowable(() -> OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7")))
          .as("TODO 4: the view service's own calls were refused: it must send the bearer token as well").isNull();
    }

    @Test
    @DisplayName("a wrong token is refused with 401")
    void wrongToken() {
      services.requireToken(true);
      Throwable thrown = catchThrowable(() -> new RestClient("not-the-token")
          .get(services.orders.url() + "/orders/42", Services.Order.class));
      assertThat(thrown).as("TODO 4: a wrong token should get a 401 HttpError (steps 3 and 4)")
          .isInstanceOf(RestClient.HttpError.class);
      assertThat(((RestClient.HttpError) thrown).status()).as("TODO 4: status for a wrong token").isEqualTo(401);
      Throwable async = new RestClient("not-the-token").getAsync(services.orders.url() + "/orders/42", Services.Order.class)
          .handle((order, e) -> e).join();
      assertThat(httpError(async)).as("TODO 4: a wrong token on getAsync should fail its future with a 401 HttpError, not %s",
          describe(async)).isNotNull().extracting(RestClient.HttpError::status).isEqualTo(401);
    }

    @Test
    @DisplayName("each client sends its own token, whatever other clients were made after it")
    void eachClientItsOwnToken() {
      services.requireToken(true);
      RestClient mine = new RestClient(Services.TOKEN);
      RestClient other = new RestClient("another-callers-token");
      String url = services.orders.url() + "/orders/42";
      assertThat(catchThrowable(() -> mine.get(url, Services.Order.class)))
          .as("TODO 4: a client made with the right token was refused once another client was made: keep the token"
              + " in the instance (this.token), not in a static field shared by every client").isNull();
      assertThat(httpError(catchThrowable(() -> other.get(url, Services.Order.class))))
          .as("TODO 4: the other client's token is wrong, so its request must get a 401 HttpError").isNotNull()
          .extracting(RestClient.HttpError::status).isEqualTo(401);
    }

    @Test
    @DisplayName("callers on several threads each get the answer to their own URL, with the token: every call builds its own request")
    void eachCallBuildsItsOwnRequest() throws Exception {
      RestClient client = new RestClient(Services.TOKEN);
      // The client's HttpClient swapped for one that answers at once with what it was asked (the id in
      // the path, the Authorization header as the item), so the callers spend their time building requests.
      java.lang.reflect.Field field = java.util.Arrays.stream(RestClient.class.getDeclaredFields())
          .filter(f -> f.getType() == HttpClient.class).findFirst().orElse(null);
      if (field == null) return;  // a client without an HttpClient field builds a new one per call, and its requests too
      field.setAccessible(true);
      field.set(client, new EchoClient());
      int threads = 4;
      // A builder shared by the threads breaks within a few calls; the one-instant overlap is proved by the LockStep test below.
      int callsEach = 2000;
      ExecutorService callers = Executors.newFixedThreadPool(threads);
      try {
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger wrongCount = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Future<java.util.List<String>>> results = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          results.add(callers.submit(() -> {
            start.await();
            java.util.List<String> wrong = new java.util.ArrayList<>();
            for (int i = 0; i < callsEach && wrongCount.get() <= 5; i++) {  // five wrong answers say enough
              String id = thread + "-" + i;
              String url = "http://127.0.0.1:9/orders/" + id;
              Services.Order order;
              try {
                order = i % 2 == 0 ? client.get(url, Services.Order.class) : client.getAsync(url, Services.Order.class).join();
              } catch (RuntimeException e) { // a builder two threads change at once can also break inside
                if (wrongCount.incrementAndGet() <= 5) wrong.add("asked for " + id + ", the call threw " + e);
                continue;
              }
              if ((!order.id().equals(id) || !order.item().equalsIgnoreCase("Bearer " + Services.TOKEN))
                  && wrongCount.incrementAndGet() <= 5) {
                wrong.add("asked for " + id + ", got " + order.id() + " with Authorization: '" + order.item() + "'");
              }
            }
            return wrong;
          }));
        }
        start.countDown();
        java.util.List<String> wrong = new java.util.ArrayList<>();
        for (Future<java.util.List<String>> result : results) wrong.addAll(result.get());
        assertThat(wrong)
            .as("TODO 4: %d threads made %d calls each on one RestClient; %d got another call's answer, no token or an exception (the first are below):"
                + " build a new request (URI, headers, token) for every call; a builder kept in a field is shared by"
                + " every thread, and one caller's uri(...) overwrites another's before it builds", threads, callsEach, wrongCount.get())
            .isEmpty();
      } finally {
        callers.shutdownNow();
      }
    }

    @Test
    @DisplayName("two calls at the same time on one client each get their own URL, even when both build their request at once")
    void overlappingCallsBuildTheirOwnRequests() throws Exception {
      RestClient client = new RestClient(Services.TOKEN);
      java.lang.reflect.Field http = java.util.Arrays.stream(RestClient.class.getDeclaredFields())
          .filter(f -> f.getType() == HttpClient.class).findFirst().orElse(null);
      if (http == null) return;  // a client without an HttpClient field builds a new one per call, and its requests too
      http.setAccessible(true);
      http.set(client, new EchoClient());
      // A request builder kept in a static field is shared by every call of every client, on every thread: a call that
      // sets its URI on it (instead of on a copy) leaves that URI there for the next caller to overwrite, or to build. A
      // static field of RestClient, of a class nested in it (a holder of defaults) or of a helper class written next to it.
      for (Class<?> type : typesOf(RestClient.class, "RestClient.java")) {
        for (java.lang.reflect.Field kept : type.getDeclaredFields()) {
          if (!java.lang.reflect.Modifier.isStatic(kept.getModifiers()) || kept.isSynthetic()) continue;
          Object value;
          try {
            kept.setAccessible(true);
            value = kept.get(null);
          } catch (ReflectiveOperationException | RuntimeException unreadable) {
            continue;
          }
          java.util.List<HttpRequest.Builder> builders = buildersIn(value, 0, 8);  // the builder itself, or one an object there holds
          if (builders.isEmpty()) continue;
          String url = "http://127.0.0.1:9/orders/left-behind";
          client.get(url, Services.Order.class);
          URI left = null;
          for (HttpRequest.Builder builder : builders) {
            try {
              URI uri = builder.copy().build().uri();
              if (uri.equals(URI.create(url))) left = uri;
            } catch (IllegalStateException noUri) {
              // a builder without a URI: the call set its URI on a copy of its own
            }
          }
          assertThat(left)
              .as("TODO 4: after get(\"%s\"), the request builder in (or held by what is in) the static field %s.%s holds that URI: every call of"
                  + " every client, on every thread, sets its URI (and token) on that one builder, and two at once build each"
                  + " other's request; build a new request in every call (HttpRequest.newBuilder(...), or copy() of a shared"
                  + " base)", url, type.getSimpleName(), kept.getName())
              .isNotEqualTo(URI.create(url));
        }
      }
      // A request builder the client keeps, however deep (in a lambda it made once, in records of records of its settings),
      // is shared by every call of the client: after a call it holds that call's URI. Read, never changed, so seen even
      // where it cannot be stepped (a lambda's captured builder is a final field of a hidden class).
      String kept = "http://127.0.0.1:9/orders/kept-by-the-client";
      client.get(kept, Services.Order.class);
      for (HttpRequest.Builder builder : buildersIn(client, 0, 8)) {
        URI uri = null;
        try {
          uri = builder.copy().build().uri();
        } catch (IllegalStateException noUri) {
          // a builder without a URI: a base the calls copy
        }
        assertThat(uri)
            .as("TODO 4: after get(\"%s\"), a request builder the client keeps (in one of its fields, in a lambda it made"
                + " once, or in an object or record it holds, however deep) holds that URI: every call of the client, on"
                + " every thread, sets its URI on that one builder, and two at once build each other's request (a lock"
                + " around it makes the calls wait for each other); build a new request in every call"
                + " (HttpRequest.newBuilder(...), or copy() of a base that has no URI)", kept)
            .isNotEqualTo(URI.create(kept));
      }
      // A request builder kept in the client, or in an object of the lab's own that the client keeps (a request factory, a
      // holder of its headers), is made to step with the other call: both set their URI, then both build.
      workbook.test.LockStep step = new workbook.test.LockStep(Duration.ofSeconds(2));
      stepBuilders(client, step, 0);
      java.util.List<Object> got = step.run(
          () -> client.get("http://127.0.0.1:9/orders/first", Services.Order.class).id(),
          () -> client.getAsync("http://127.0.0.1:9/orders/second", Services.Order.class).join().id());
      assertThat(got)
          .as("TODO 4: two threads called get(\".../orders/first\") and getAsync(\".../orders/second\") on one RestClient"
              + " at the same time and got the orders with these ids: a request builder kept in a field (the client's own, or"
              + " one of an object the client keeps, such as a request factory made once with its headers) is shared by both"
              + " calls, and one call's uri(...) overwrites the other's before it builds; build a new request (URI,"
              + " headers, token) in every call")
          .containsExactly("first", "second");
    }

    /**
     * Puts a SteppedBuilder in place of every request builder {@code owner} keeps in a field, and in the fields of each object
     * of the lab's own it keeps (a request factory, a holder of headers), a few levels deep: a builder there is shared by
     * every call of the client as much as one in the client's own field. A record of the lab's own that holds one (a record
     * of the client's defaults) is put back as a copy holding the stepped builder.
     */
    static void stepBuilders(Object owner, workbook.test.LockStep step, int depth) { stepped(owner, step, depth); }

    /** {@code value} with its builders stepped: the builder wrapped, an object changed in place, a record copied; else itself. */
    static Object stepped(Object value, workbook.test.LockStep step, int depth) {
      if (value instanceof HttpRequest.Builder builder) return value instanceof SteppedBuilder ? value : new SteppedBuilder(builder, step);
      if (!labObject(value) || depth > 3) return value;
      Class<?> type = value.getClass();
      try {
        if (type.isRecord()) {
          var components = type.getRecordComponents();
          Object[] args = new Object[components.length];
          Class<?>[] types = new Class<?>[components.length];
          boolean changed = false;
          for (int i = 0; i < components.length; i++) {
            var accessor = components[i].getAccessor();
            accessor.setAccessible(true);
            Object component = accessor.invoke(value);
            args[i] = stepped(component, step, depth + 1);
            types[i] = components[i].getType();
            changed |= args[i] != component;
          }
          if (!changed) return value;
          var canonical = type.getDeclaredConstructor(types);
          canonical.setAccessible(true);
          return canonical.newInstance(args);
        }
        for (Class<?> t = type; t != null && t != Object.class; t = t.getSuperclass()) {
          for (java.lang.reflect.Field kept : t.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(kept.getModifiers()) || kept.isSynthetic()) continue;
            try {
              kept.setAccessible(true);
              Object inside = kept.get(value);
              Object now = stepped(inside, step, depth + 1);
              if (now != inside) kept.set(value, now);
            } catch (ReflectiveOperationException | RuntimeException unsettable) {
              // a hidden class's field: left as it is
            }
          }
        }
      } catch (ReflectiveOperationException | RuntimeException unreadable) {
        // left as it is
      }
      return value;
    }

    /** Every request builder {@code value} is or holds, in the fields of objects of the lab's own, records too, a few levels deep. */
    static java.util.List<HttpRequest.Builder> buildersIn(Object value, int depth) { return buildersIn(value, depth, 3); }

    /** The same, up to {@code deepest} levels (a lambda's captured values are its fields, read like any other). */
    static java.util.List<HttpRequest.Builder> buildersIn(Object value, int depth, int deepest) {
      java.util.List<HttpRequest.Builder> found = new java.util.ArrayList<>();
      java.util.List<?> contents = depth <= deepest ? contentsOf(value) : null;
      if (value instanceof HttpRequest.Builder builder) found.add(builder);
      else if (contents != null) for (Object inside : contents) found.addAll(buildersIn(inside, depth + 1, deepest));
      else if (labObject(value) && depth <= deepest) {
        for (Class<?> t = value.getClass(); t != null && t != Object.class; t = t.getSuperclass()) {
          for (java.lang.reflect.Field kept : t.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(kept.getModifiers()) || kept.isSynthetic()) continue;
            try {
              kept.setAccessible(true);
              found.addAll(buildersIn(kept.get(value), depth + 1, deepest));
            } catch (ReflectiveOperationException | RuntimeException unreadable) {
              // left out
            }
          }
        }
      }
      return found;
    }

    /**
     * What a JDK container holds (a map's keys and values, a collection's or an array's elements, what an AtomicReference or
     * an Optional holds): a builder in one is kept by the client as much as one in a field (a base builder per service or per
     * token in a map); else null.
     */
    static java.util.List<?> contentsOf(Object value) {
      try {
        if (value instanceof Map<?, ?> map) {
          java.util.List<Object> all = new java.util.ArrayList<>(map.keySet());
          all.addAll(map.values());
          return all;
        }
        if (value instanceof java.util.Collection<?> collection) return new java.util.ArrayList<>(collection);
        if (value instanceof Object[] array) return java.util.Arrays.asList(array);
        if (value instanceof java.util.concurrent.atomic.AtomicReference<?> reference) return java.util.Collections.singletonList(reference.get());
        if (value instanceof Optional<?> optional) return optional.stream().toList();
      } catch (RuntimeException unreadable) {
        // a collection that cannot be copied: left out
      }
      return null;
    }

    /** Whether {@code value} is an object of the lab's own (not the JDK's, not an enum constant, not an HttpClient stand-in). */
    static boolean labObject(Object value) {
      return value != null && value.getClass().getClassLoader() == RestClient.class.getClassLoader() && !value.getClass().isEnum()
          && !(value instanceof HttpClient);
    }

    /**
     * The type, the classes nested in it, and every other top-level class compiled from the learner's source file
     * {@code source} (a helper class written next to RestClient): found among the compiled classes next to the type, by the
     * source file each names; the type and its nested classes alone when those cannot be listed.
     */
    static java.util.List<Class<?>> typesOf(Class<?> main, String source) {
      java.util.Set<Class<?>> all = new java.util.LinkedHashSet<>();
      java.util.Deque<Class<?>> todo = new java.util.ArrayDeque<>(java.util.List.of(main));
      try {
        java.nio.file.Path where = java.nio.file.Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI());
        java.util.List<String> names = new java.util.ArrayList<>();
        if (java.nio.file.Files.isDirectory(where)) {
          try (var files = java.nio.file.Files.list(where)) { files.forEach(f -> names.add(f.getFileName().toString())); }
        } else {
          try (java.util.jar.JarFile jar = new java.util.jar.JarFile(where.toFile())) { jar.stream().forEach(e -> names.add(e.getName())); }
        }
        byte[] sourceName = source.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (String name : names) {
          if (!name.endsWith(".class") || name.contains("/") || name.contains("$") || name.startsWith("OrderViewsTest")) continue;
          byte[] bytes;
          try (java.io.InputStream in = main.getClassLoader().getResourceAsStream(name)) {
            if (in == null) continue;
            bytes = in.readAllBytes();
          }
          // the class file names its source file (its SourceFile attribute): the learner's file, or another
          if (!new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).contains(new String(sourceName, java.nio.charset.StandardCharsets.ISO_8859_1))) continue;
          todo.add(Class.forName(name.substring(0, name.length() - ".class".length()), false, main.getClassLoader()));
        }
      } catch (Exception | LinkageError unlisted) {
        // the compiled classes cannot be listed here: the type and its nested classes only
      }
      while (!todo.isEmpty()) {
        Class<?> type = todo.pop();
        if (all.add(type)) todo.addAll(java.util.List.of(type.getDeclaredClasses()));
      }
      return new java.util.ArrayList<>(all);
    }

    @Test
    @DisplayName("the token goes as it is, whatever its letters: capitals, digits and - . _ ~ + / =, on get and getAsync, in the Authorization header and nowhere else")
    void tokenGoesAsItIs() throws Exception {
      long seed = Long.getLong("lab01.seed", System.nanoTime());
      java.util.Random random = new java.util.Random(seed);
      // RFC 6750's b64token: letters in both cases, digits, - . _ ~ + /, then any number of =.
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
      clientOn(new EchoClient(), "TODO 4");  // the client keeps its HttpClient in a field: the echo goes there
      java.lang.reflect.Field http = java.util.Arrays.stream(RestClient.class.getDeclaredFields())
          .filter(f -> f.getType() == HttpClient.class).findFirst().orElseThrow();
      http.setAccessible(true);
      EchoClient echo = new EchoClient();
      java.util.List<String> wrong = new java.util.ArrayList<>();
      for (int i = 0; i < 200 && wrong.size() < 5; i++) {
        StringBuilder token = new StringBuilder();
        // The first tokens hold every character once (capitals first); the rest are drawn at random.
        if (i == 0) token.append(alphabet);
        else for (int n = 1 + random.nextInt(40); n > 0; n--) token.append(alphabet.charAt(random.nextInt(alphabet.length())));
        token.append("=".repeat(i % 3));
        RestClient mine = new RestClient(token.toString());
        http.set(mine, echo);
        String url = "http://127.0.0.1:9/orders/" + i;
        Services.Order echoed = i % 2 == 0 ? mine.get(url, Services.Order.class) : mine.getAsync(url, Services.Order.class).join();
        String sent = echoed.item();
        if (!sent.matches("(?i:bearer) +" + java.util.regex.Pattern.quote(token.toString()))) {
          wrong.add((i % 2 == 0 ? "get" : "getAsync") + " with the token '" + token + "' sent Authorization: '" + sent + "'");
        } else if (!echoed.customerId().equals(url)) {
          wrong.add((i % 2 == 0 ? "get" : "getAsync") + " of " + url + " with the token '" + token + "' asked for " + echoed.customerId());
        } else if (token.length() >= 8) {  // long enough that no other header holds it by chance (Accept: application/json)
          for (var header : echo.last.headers().map().entrySet()) {
            if (header.getKey().equalsIgnoreCase("Authorization")) continue;
            if (header.getValue().stream().anyMatch(value -> value.contains(token))) {
              wrong.add((i % 2 == 0 ? "get" : "getAsync") + " with the token '" + token + "' sent it in " + header.getKey() + ": "
                  + header.getValue() + " as well");
              break;
            }
          }
        }
      }
      assertThat(wrong)
          .as("TODO 4: clients made with tokens of every letter a bearer token may hold (seed %d, -Dlab01.seed=%d repeats"
              + " it) sent these Authorization headers: the scheme Bearer, one space, the token as it is; only the scheme"
              + " is case-insensitive (RFC 9110 11.1), the token is not (RFC 6750), and it is no URL: no lower-casing, no"
              + " encoding, no trimming; and the header is the one place it goes: the request asks for the URL the caller"
              + " gave, as it is (no access_token in the query as well: RFC 6750 2 says a client MUST NOT send the token in"
              + " more than one way in a request, and a URL with a token in it ends up in every access log), and no other"
              + " header carries it (no X-Api-Key, Cookie or Proxy-Authorization as well: a second way, to whoever reads that"
              + " header, and logged where Authorization is redacted)", seed, seed)
          .isEmpty();
    }

    @Test
    @DisplayName("every request carries the given 15 s timeout, on get and getAsync: a service that never answers fails the call, it does not hold the caller for ever, and a slow one has its 15 s (no shorter deadline of the client's own on getAsync's future)")
    void everyRequestHasTheGivenTimeout() throws Exception {
      EchoClient echo = new EchoClient();
      RestClient client = clientOn(echo, "TODO 4");
      for (boolean async : new boolean[] {false, true}) {
        String url = "http://127.0.0.1:9/orders/" + (async ? "async" : "get");
        if (async) client.getAsync(url, Services.Order.class).join();
        else client.get(url, Services.Order.class);
        Optional<Duration> timeout = echo.last.timeout();
        assertThat(timeout.filter(t -> t.equals(Duration.ofSeconds(15))))
            .as("TODO 4: the request of %s carries %s: %s; keep the given .timeout(Duration.ofSeconds(15)) as it is when you add"
                + " the header", async ? "getAsync" : "get",
                timeout.map(t -> "a timeout of " + t.toMillis() + " ms").orElse("no timeout"), timeout.isEmpty()
                ? "HttpClient sets none of its own, so a service that takes the request and never answers holds the caller (the"
                + " page, a thread of the view service) for ever"
                : timeout.get().compareTo(Duration.ofSeconds(15)) > 0 ? "a service that never answers holds the caller (the page,"
                + " a thread of the view service) that long, past the 15 s every call is given"
                : "a part that is slow but on its way (a service under load that answers in "
                + (timeout.get().toMillis() + 1000) / 1000 + " s) fails its call, and the whole view with it, where a late part is"
                + " waited for up to the calls' own 15 s (step 1); a shorter deadline is the page's to choose, for the whole"
                + " view, not the client's for every call of every caller")
            .isPresent();
      }
      // getAsync's future is the call too: a deadline of the client's own on it (orTimeout, completeOnTimeout) fails a
      // slow part sooner than its 15 s as much as a shorter request timeout does. A service that has not answered yet,
      // whose futures keep the deadlines they are given without running them: no waiting, whatever their length.
      java.util.concurrent.atomic.AtomicLong shortest = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
      RestClient pending = clientOn(new workbook.test.StandInHttpClient() {
        @Override public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
          throw new IllegalStateException("get is not called here");
        }
        @Override public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
          return new Deadlines<>(shortest);
        }
      }, "TODO 4");
      CompletableFuture<Services.Order> call = pending.getAsync("http://127.0.0.1:9/orders/pending", Services.Order.class);
      long deadline = shortest.get();
      assertThat(deadline >= Duration.ofSeconds(15).toNanos() && !call.isDone())
          .as("TODO 4: getAsync gave its call %s: a part that is slow but on its way (a service under load that answers in"
              + " %d s) fails its call, and the whole view with it, where every call has the given 15 s (the request's"
              + " own timeout is the call's deadline, on get and getAsync alike); no orTimeout(...) or completeOnTimeout(...)"
              + " of the client's own on getAsync's future: a shorter deadline is the page's to choose, for the whole view,"
              + " not the client's for every call of every caller", call.isDone() && deadline == Long.MAX_VALUE
              ? "an answer before the service gave one (" + call.handle((order, e) -> order != null ? order : describe(e)).join() + ")"
              : "a deadline of its own of " + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline) + " ms",
              (java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(Math.min(deadline, Duration.ofSeconds(15).toNanos())) + 1000) / 1000)
          .isTrue();
    }

    /**
     * A future of a service that has not answered: it never completes by itself, and keeps the shortest deadline it or
     * any stage made from it was given (orTimeout, completeOnTimeout) in {@code shortest}, without running it.
     */
    static final class Deadlines<T> extends CompletableFuture<T> {
      private final java.util.concurrent.atomic.AtomicLong shortest;

      Deadlines(java.util.concurrent.atomic.AtomicLong shortest) { this.shortest = shortest; }

      @Override public <U> CompletableFuture<U> newIncompleteFuture() { return new Deadlines<>(shortest); }
      @Override public CompletableFuture<T> orTimeout(long timeout, java.util.concurrent.TimeUnit unit) {
        shortest.accumulateAndGet(unit.toNanos(timeout), Math::min);
        return this;
      }
      @Override public CompletableFuture<T> completeOnTimeout(T value, long timeout, java.util.concurrent.TimeUnit unit) {
        shortest.accumulateAndGet(unit.toNanos(timeout), Math::min);
        return this;
      }
    }

    @Test
    @DisplayName("every request carries exactly one Authorization header, the sixth as well as the first")
    void oneAuthorizationHeaderPerRequest() {
      services.requireToken(true);
      RestClient client = new RestClient(Services.TOKEN);
      for (int i = 1; i <= 6; i++) {
        int call = i;
        String url = services.orders.url() + "/orders/42";
        Throwable thrown = call % 2 == 0 ? client.getAsync(url, Services.Order.class).handle((order, e) -> e).join()
            : catchThrowable(() -> client.get(url, Services.Order.class));
        assertThat(thrown)
            .as("TODO 4: call %d of one client was refused (401): each request needs its own 'Authorization: Bearer <token>',"
                + " once; build a new request for every call instead of adding to a shared builder", call)
            .isNull();
      }
    }
  }
}
