///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES StockServer.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/bytecode/ClassCode.java

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.grpc.CallStory;
import workbook.grpc.LocalGrpc;
import workbook.grpc.inventory.CheckStockRequest;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;

@DisplayName("Lab 04: gRPC unary calls")
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class CheckStockTest {
  public static void main(String[] args) { workbook.test.LabTests.run(CheckStockTest.class, args); }

  /** The bound the tests put on their own calls, so unfinished code fails instead of hanging. */
  static final Duration TEST_DEADLINE = Duration.ofSeconds(5);
  static Server server;
  static ManagedChannel channel;
  final List<Server> extraServers = new ArrayList<>();
  final List<ManagedChannel> extraChannels = new ArrayList<>();

  @BeforeAll
  static void startInventory() throws InterruptedException {
    server = StockServer.start(0, CallStory.narrate(new StockService(StockService.STOCK, Duration.ZERO)));
    channel = LocalGrpc.channel(server.getPort());
    // Connect now (bounded), so the first test does not pay for it inside a deadline: on a busy machine the
    // first connection of a JVM, which loads most of gRPC's classes, can take seconds.
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (channel.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < end) Thread.sleep(10);
  }

  @AfterAll
  static void stopInventory() {
    LocalGrpc.close(channel);
    LocalGrpc.stop(server);
  }

  @AfterEach
  void stopExtras() {
    extraChannels.forEach(LocalGrpc::close); // cancels any call still waiting
    extraServers.forEach(LocalGrpc::stop);
  }

  /** CheckStock as a test makes it: straight on the generated stub, with the test's own deadline. */
  static StockLevel checkStock(String productId) {
    return InventoryGrpc.newBlockingStub(channel).withDeadlineAfter(TEST_DEADLINE)
        .checkStock(CheckStockRequest.newBuilder().setProductId(productId).build());
  }

  /** The status a call failed with, or OK. */
  static Status statusOf(Runnable call) {
    try {
      call.run();
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  /** What a status the client got says about the server's code, for the messages below. */
  static String meaning(Status status) {
    return switch (status.getCode()) {
      case UNKNOWN -> "UNKNOWN: the service threw an exception (see what happened, below). Only"
          + " responseObserver.onError(Status.X.withDescription(...).asRuntimeException()) sends a status";
      case DEADLINE_EXCEEDED -> "no end within " + TEST_DEADLINE.toSeconds() + " s: after onNext, the service must call onCompleted()";
      case CANCELLED -> "CANCELLED: a unary call takes exactly one onNext";
      default -> LocalGrpc.describe(status);
    };
  }

  Server serve(io.grpc.BindableService service) {
    return serve(service, true);
  }

  /** A server StockServer.start builds for {@code service}, stopped after the test; narrated, its calls go into the story. */
  Server serve(io.grpc.BindableService service, boolean narrated) {
    Server s = StockServer.start(0, narrated ? CallStory.narrate(service) : service);
    extraServers.add(s);
    return s;
  }

  /** A client on a connected channel, so that short deadlines measure calls, not the connection's set-up. */
  StockClient clientOf(Server s, Duration deadline) throws InterruptedException {
    return new StockClient(channelTo(s), deadline);
  }

  /** A channel to {@code s}, connected (bounded), closed after the test. */
  ManagedChannel channelTo(Server s) throws InterruptedException {
    ManagedChannel c = LocalGrpc.channel(s.getPort());
    extraChannels.add(c);
    long end = System.nanoTime() + TEST_DEADLINE.toNanos();
    while (c.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < end) Thread.sleep(10);
    return c;
  }

  static CheckStockRequest request(String productId) {
    return CheckStockRequest.newBuilder().setProductId(productId).build();
  }

  /** Runs a client call in the background and waits at most {@code limit}: a call without a deadline cannot hang the test. */
  static <T> T within(Duration limit, String whenStuck, Supplier<T> call) throws Exception {
    return within(limit, whenStuck, workbook.test.Background.OWN_THREAD, call);
  }

  /** The same, on {@code thread}: {@link #checkoutThread()} makes every call given it on one thread, one after another. */
  static <T> T within(Duration limit, String whenStuck, java.util.concurrent.Executor thread, Supplier<T> call) throws Exception {
    CompletableFuture<T> future = CompletableFuture.supplyAsync(call, thread);
    try {
      return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(whenStuck);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /**
   * One checkout's thread: it makes every call given it in turn, as a thread of a checkout's pool makes call after call, so
   * that what a client keeps per thread (a stub, a deadline) is met again by its next call. Shut it down after.
   */
  static java.util.concurrent.ExecutorService checkoutThread() {
    return java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
      Thread t = new Thread(task, "a checkout's thread");
      t.setDaemon(true);
      return t;
    });
  }

  /** The fields of {@code type} (static ones too) that hold a protobuf builder, which every call through them would share. */
  static List<String> builderFields(Class<?> type) {
    return java.util.Arrays.stream(type.getDeclaredFields())
        .filter(field -> com.google.protobuf.Message.Builder.class.isAssignableFrom(field.getType())
            || com.google.protobuf.MessageLite.Builder.class.isAssignableFrom(field.getType()))
        .map(field -> field.getType().getName().replaceAll(".*[.]", "") + " " + field.getName()).toList();
  }

  /**
   * The fields, static ones too, of every class of the lab's own (StockService, StockServer, StockClient, a helper class next
   * to them, and their nested, anonymous and local classes) that hold a protobuf builder of a kind {@code kind} accepts:
   * wherever one builder is kept, every call that uses it shares it.
   */
  static List<String> labBuilderFields(java.util.function.Predicate<Class<?>> kind) {
    return workbook.test.LabClasses.beside(CheckStockTest.class, true).stream()
        .flatMap(type -> builderFields(type).stream().map(field -> type.getName() + ": " + field)
            .filter(field -> java.util.Arrays.stream(type.getDeclaredFields()).anyMatch(f -> field.endsWith(" " + f.getName())
                && kind.test(f.getType()))))
        .toList();
  }

  /**
   * Where the lab's own classes (nested, anonymous and local ones too) read how many threads the JVM or a pool runs:
   * Thread.activeCount(), getAllStackTraces() or enumerate, ThreadGroup's counts, ThreadMXBean's thread counts, a pool's
   * getActiveCount() or getPoolSize(), read from their class files (method references too). While calls are served,
   * each on a thread of its own, that number is a count of the calls under way kept by the JVM instead of a field of the
   * lab's: a cap on it queues or refuses the next call, whatever its limit, and no test can make the JVM run more
   * threads than a limit of its choosing. Nothing in this lab needs it.
   */
  static List<String> threadCountReads() {
    List<String> reads = new ArrayList<>();
    for (Class<?> type : workbook.test.LabClasses.beside(CheckStockTest.class, true)) {
      java.util.function.BiConsumer<String, String> called = (owner, name) -> {
        boolean counts = owner.equals("java/lang/Thread") && List.of("activeCount", "getAllStackTraces", "enumerate").contains(name)
            || owner.equals("java/lang/ThreadGroup") && List.of("activeCount", "activeGroupCount", "enumerate").contains(name)
            || owner.equals("java/lang/management/ThreadMXBean") && List.of("getThreadCount", "getPeakThreadCount",
                "getDaemonThreadCount", "getAllThreadIds").contains(name)
            || owner.startsWith("java/util/concurrent/") && List.of("getActiveCount", "getPoolSize", "getActiveThreadCount",
                "getRunningThreadCount", "getLargestPoolSize").contains(name);
        if (counts) reads.add(type.getName() + " calls " + owner.replace('/', '.') + "." + name);
      };
      // Every call in its code, and every method reference (Thread::activeCount as an IntSupplier), read from its class file
      for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) called.accept(c.owner(), c.name());
    }
    return reads.stream().distinct().toList();
  }

  /**
   * The lab's own top-level classes (the default package, as compiled with this test), so that a field is found
   * wherever the lab keeps it: in StockService, StockServer, StockClient or a helper class of its own next to them.
   */
  static List<Class<?>> labClasses() {
    return workbook.test.LabClasses.beside(CheckStockTest.class, false);
  }

  /**
   * The fields of {@code types}, of every other class of the lab's own (a helper class next to them) and of their nested
   * classes (static ones too) that hold a lock or a semaphore, or a static field holding a pool of a fixed size: whatever
   * their size, past it the next call waits for the ones before it (or is refused). Nothing in this lab needs one: the
   * stock table is only read.
   */
  static List<String> queueFields(Class<?>... types) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(types), labClasses().stream()).distinct()
        .flatMap(type -> java.util.stream.Stream.concat(java.util.stream.Stream.of(type), java.util.Arrays.stream(type.getDeclaredClasses())))
        .flatMap(type -> java.util.Arrays.stream(type.getDeclaredFields()))
        .map(field -> {
          String where = field.getDeclaringClass().getSimpleName() + "." + field.getName() + " (" + field.getType().getSimpleName() + ")";
          if (java.util.concurrent.Semaphore.class.isAssignableFrom(field.getType())
              || java.util.concurrent.locks.Lock.class.isAssignableFrom(field.getType())
              || java.util.concurrent.locks.ReadWriteLock.class.isAssignableFrom(field.getType())
              || java.util.concurrent.locks.StampedLock.class.isAssignableFrom(field.getType())) return where;
          if (!java.lang.reflect.Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) return null;
          try {
            field.setAccessible(true);
            String pool = Step3.fixedPool(field.get(null));
            return pool == null ? null : where + ", " + pool;
          } catch (IllegalAccessException | RuntimeException e) {
            return null; // a field that cannot be opened: not one of the lab's own
          }
        })
        .filter(java.util.Objects::nonNull)
        .toList();
  }

  /**
   * Everything the lab's own objects hold, from {@code roots} on: their fields, the fields of what those hold, and so on,
   * through every class of the lab's own (nested, anonymous and lambdas too, which keep what they capture in fields),
   * through gRPC's wrappers around a server's handlers, through arrays, collections and maps, and through a ThreadLocal
 * (the value a thread gets from it first). Each with where it was
   * found ("StockService.connections").
   */
  static java.util.Map<Object, String> reachable(java.util.Map<Object, String> roots) {
    java.util.Map<Object, String> found = new java.util.IdentityHashMap<>();
    java.util.ArrayDeque<Object[]> next = new java.util.ArrayDeque<>();
    roots.forEach((root, where) -> next.add(new Object[] {root, where}));
    while (!next.isEmpty() && found.size() < 10_000) {
      Object[] item = next.poll();
      Object held = item[0];
      String where = (String) item[1];
      if (held == null || found.containsKey(held)) continue;
      found.put(held, where);
      if (held instanceof Object[] array) {
        for (Object o : worthWalking(java.util.Arrays.asList(array))) next.add(new Object[] {o, where + "[]"});
        continue;
      }
      if (held instanceof java.util.Map<?, ?> map) {
        try {
          // However big (a static map of a semaphore per product, after 65,536 ids were asked): one of each kind is walked.
          List<? extends java.util.Map.Entry<?, ?>> entries = List.copyOf(map.entrySet());
          for (Object key : worthWalking(entries.stream().map(e -> (Object) e.getKey()).toList())) next.add(new Object[] {key, where + "{}"});
          for (Object value : worthWalking(entries.stream().map(e -> (Object) e.getValue()).toList())) next.add(new Object[] {value, where + "{}"});
        } catch (RuntimeException e) {
          // a map that cannot be read: nothing of the lab's own in it
        }
        continue;
      }
      if (held instanceof java.util.Collection<?> collection && !(held instanceof java.util.concurrent.BlockingQueue<?>)) {
        try {
          for (Object o : worthWalking(List.copyOf(collection))) next.add(new Object[] {o, where + "[]"});
        } catch (RuntimeException e) {
          // a collection that cannot be read: nothing of the lab's own in it
        }
        continue;
      }
      if (held instanceof ThreadLocal<?> local) {
        // What every thread gets from it first (withInitial's shared value): a semaphore kept there limits all of them.
        try {
          next.add(new Object[] {local.get(), where + ".get()"});
        } catch (RuntimeException e) {
          // a ThreadLocal whose initial value cannot be made here: nothing of the lab's own to see
        }
        continue;
      }
      String type = held.getClass().getName();
      // (and a client's stub's channel, wrapped by ClientInterceptors.intercept: the interceptors a client puts on its calls)
      boolean opened = held.getClass().getPackageName().isEmpty() || type.startsWith("io.grpc.ServerInterceptors")
          || type.startsWith("io.grpc.stub.ServerCalls") || type.startsWith("workbook.grpc.inventory.InventoryGrpc")
          || type.startsWith("io.grpc.ClientInterceptors");
      if (!opened) continue; // gRPC's and the JDK's own classes are judged by what they are, not opened
      for (Class<?> c = held.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        for (java.lang.reflect.Field f : c.getDeclaredFields()) {
          if (f.getType().isPrimitive() || java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
          try {
            f.setAccessible(true);
            String name = (c.getSimpleName().isEmpty() ? c.getName().replaceAll(".*[.]", "") : c.getSimpleName())
                .replaceAll("[$][$]Lambda.*", " (a lambda)");
            next.add(new Object[] {f.get(held), name + "." + f.getName()});
          } catch (RuntimeException | IllegalAccessException e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
    }
    return found;
  }

  /**
   * What of a container's elements {@link #reachable} walks: the first 1,000, then one of each further class, so that a
   * container of any size (65,536 entries, after step 2 asked that many ids) is judged by what kinds it holds.
   */
  static List<Object> worthWalking(List<?> items) {
    List<Object> kept = new ArrayList<>();
    java.util.Set<Class<?>> seen = new java.util.HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      Object o = items.get(i);
      if (o == null) continue;
      if (seen.add(o.getClass()) || i < 1_000) kept.add(o);
    }
    return kept;
  }

  /**
   * The roots of a server StockServer.start built: the handler of each of its methods, wrappers and all, and what the
   * server itself runs every call through: its executor (executor(...)), what callExecutor(...) gave it, and its
   * server-wide interceptors (intercept(...)), where a semaphore or a count around a growing pool queues calls too.
   */
  static java.util.Map<Object, String> handlersOf(Server s) {
    java.util.Map<Object, String> roots = new java.util.LinkedHashMap<>();
    for (io.grpc.ServerServiceDefinition service : s.getServices()) {
      for (io.grpc.ServerMethodDefinition<?, ?> method : service.getMethods()) {
        roots.put(method.getServerCallHandler(), "the server's handler of " + method.getMethodDescriptor().getBareMethodName());
      }
    }
    for (String[] part : new String[][] {{"executor", "the server's executor (executor(...))"},
        {"executorSupplier", "the server's callExecutor(...)"}, {"interceptors", "the server's interceptors (intercept(...))"}}) {
      try {
        Object held = Step3.field(s, part[0]);
        if (held != null) roots.put(held, part[1]);
      } catch (IllegalAccessException | RuntimeException e) {
        // a server of another make: its handlers are all there is to see
      }
    }
    return roots;
  }

  /** {@code given}, and (when {@code statics}) what the lab's classes keep in static fields (a map of semaphores per product, say). */
  static java.util.Map<Object, String> withStatics(java.util.Map<Object, String> given, boolean statics) {
    java.util.Map<Object, String> roots = new java.util.IdentityHashMap<>(given);
    for (Class<?> type : statics ? labClasses() : List.<Class<?>>of()) {
      for (Class<?> c : java.util.stream.Stream.concat(java.util.stream.Stream.of(type), java.util.Arrays.stream(type.getDeclaredClasses())).toList()) {
        for (java.lang.reflect.Field f : c.getDeclaredFields()) {
          if (!java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
          try {
            f.setAccessible(true);
            Object value = f.get(null);
            if (value != null) roots.putIfAbsent(value, c.getSimpleName() + "." + f.getName());
          } catch (IllegalAccessException | RuntimeException e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
    }
    return roots;
  }

  /**
   * The protobuf builders among everything {@code roots} and the lab's static fields hold (a map of builders per product,
   * a field of a helper class), each with where it is kept: every call that builds its answer there shares it. What a
   * ThreadLocal hands a thread is that thread's own, so it is not counted.
   */
  static List<String> buildersWithin(java.util.Map<Object, String> given) {
    List<String> builders = new ArrayList<>();
    reachable(withStatics(given, true)).forEach((held, where) -> {
      if ((held instanceof com.google.protobuf.MessageLite.Builder) && !where.contains(".get()")) {
        builders.add(where + ": a " + held.getClass().getName().replaceAll(".*[.]", ""));
      }
    });
    return builders.stream().distinct().toList();
  }

  /**
   * The text buffers (StringBuilder, StringBuffer, a StringWriter, a Formatter...) among everything {@code roots} and the
   * lab's static fields hold, each with where it is kept: every call that writes its description there shares it. What a
   * ThreadLocal hands a thread is that thread's own, so it is not counted.
   */
  static List<String> textBuffersWithin(java.util.Map<Object, String> given) {
    List<String> buffers = new ArrayList<>();
    reachable(withStatics(given, true)).forEach((held, where) -> {
      boolean buffer = held instanceof StringBuilder || held instanceof StringBuffer || held instanceof java.io.StringWriter
          || held instanceof java.io.CharArrayWriter || held instanceof java.util.Formatter || held instanceof java.nio.CharBuffer
          || held instanceof java.io.ByteArrayOutputStream;
      if (buffer && !where.contains(".get()")) buffers.add(where + ": a " + held.getClass().getSimpleName());
    });
    return buffers.stream().distinct().toList();
  }

  /**
   * What, among everything {@code roots} hold, makes a call wait for others or refuses it: a lock, a semaphore (however
   * written: a queue of tokens is one), a barrier, or a pool of a fixed size, each with where it is kept.
   */
  static List<String> queuesWithin(java.util.Map<Object, String> given, boolean statics) {
    List<String> queues = new ArrayList<>();
    java.util.Map<Object, String> roots = withStatics(given, statics);
    reachable(roots).forEach((held, where) -> {
      String what = held instanceof java.util.concurrent.Semaphore ? "a Semaphore"
          : held instanceof java.util.concurrent.locks.Lock || held instanceof java.util.concurrent.locks.ReadWriteLock
              || held instanceof java.util.concurrent.locks.StampedLock ? "a lock (" + held.getClass().getSimpleName() + ")"
          : held instanceof java.util.concurrent.locks.AbstractQueuedSynchronizer
              || held instanceof java.util.concurrent.locks.AbstractQueuedLongSynchronizer ? "a synchronizer of your own"
          : held instanceof java.util.concurrent.BlockingQueue<?> ? "a " + held.getClass().getSimpleName() + " (a queue a call waits on, or a semaphore of tokens)"
          : held instanceof java.util.concurrent.Phaser || held instanceof java.util.concurrent.CyclicBarrier ? "a barrier (" + held.getClass().getSimpleName() + ")"
          : held instanceof com.google.common.util.concurrent.Monitor || held instanceof com.google.common.util.concurrent.RateLimiter
              ? "Guava's " + held.getClass().getSimpleName() + " (a lock, or a limit on calls)"
          : held.getClass().getName().startsWith("java.util.concurrent.Executors$") && held instanceof java.util.concurrent.ExecutorService
              ? "a pool Executors wraps (newSingleThreadExecutor: one thread)"
          : Step3.fixedPool(held);
      if (what != null) queues.add(where + ": " + what);
    });
    return queues.stream().distinct().toList();
  }

  /**
   * The counts kept in the lab's own objects among {@code roots} (int and long fields, AtomicInteger, AtomicLong,
   * LongAdder, an int[] or long[] a lambda changes, AtomicIntegerArray), each
   * set to {@code value} for {@code call}, then put back: a call is served whatever such a count says, so none of them
   * may be a limit of calls at once (a semaphore written by hand). The outcome of {@code call}, or null if there are none.
   */
  static <T> T withCountsAt(java.util.Map<Object, String> roots, long value, List<String> counts,
      java.util.concurrent.Callable<T> call) throws Exception {
    return withCountsAt(roots, counted -> value, counts, call);
  }

  /**
   * The same, each count set to the value {@code valueOf} gives for its name (as listed in {@code counts}): counts set
   * apart, so that a rule on two of them (failures outnumbering answers) can hold, which no single value makes it do.
   */
  static <T> T withCountsAt(java.util.Map<Object, String> roots, java.util.function.ToLongFunction<String> valueOf,
      List<String> counts, java.util.concurrent.Callable<T> call) throws Exception {
    List<Runnable> restore = new ArrayList<>();
    counts.clear();
    List<Class<?>> own = new ArrayList<>(labClasses());
    reachable(roots).forEach((held, where) -> {
      if (held.getClass().getPackageName().isEmpty()) own.add(held.getClass());
    });
    try {
      for (var entry : reachable(roots).entrySet()) {
        Object held = entry.getKey();
        if (!held.getClass().getPackageName().isEmpty() || held.getClass().getName().startsWith("CheckStockTest")) continue;
        for (Class<?> c = held.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          for (java.lang.reflect.Field f : c.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
            String name = c.getSimpleName().isEmpty() ? c.getName().replaceAll(".*[.]", "") : c.getSimpleName();
            String counted = entry.getValue() + " -> " + name + "." + f.getName();
            if (count(f, held, valueOf.applyAsLong(counted), restore)) counts.add(counted);
          }
        }
      }
      for (Class<?> c : own.stream().distinct().toList()) {
        if (c.getName().startsWith("CheckStockTest")) continue;
        for (java.lang.reflect.Field f : c.getDeclaredFields()) {
          String counted = c.getSimpleName() + "." + f.getName();
          if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && count(f, null, valueOf.applyAsLong(counted), restore)) counts.add(counted);
        }
      }
      return restore.isEmpty() ? null : call.call();
    } finally {
      workbook.test.Counts.restore(restore);
    }
  }

  /**
   * The values of the counts {@code names} (as withCountsAt lists them) for one combination of them set apart: those whose
   * bit is set in {@code mask} far past any limit, the others 0. Every mask from 1 to 2^n - 2 gives each pair of counts
   * both ways round (misses far past answers, and answers far past misses), which no single value gives a rule on two.
   */
  static java.util.function.ToLongFunction<String> setApart(List<String> names, int mask) {
    return name -> names.indexOf(name) >= 0 && (mask >> names.indexOf(name) & 1) == 1 ? Integer.MAX_VALUE / 2 : 0;
  }

  /** The masks {@link #setApart} takes for {@code names}: none for fewer than 2 counts or more than 8 (2^8 combinations). */
  static java.util.stream.IntStream apartMasks(List<String> names) {
    return names.size() < 2 || names.size() > 8 ? java.util.stream.IntStream.empty() : java.util.stream.IntStream.range(1, (1 << names.size()) - 1);
  }

  /** Each of {@code names} with the value {@code valueOf} gives it, for a message. */
  static List<String> shownApart(List<String> names, java.util.function.ToLongFunction<String> valueOf) {
    return names.stream().map(name -> name + " at " + valueOf.applyAsLong(name)).toList();
  }

  /**
   * Sets the count {@code f} holds (in {@code target}, or static) to {@code value}, noting how to put it back; false if it
   * holds none. A map or a collection it holds counts too: the counts kept in it (a count per product: AtomicInteger,
   * Integer or Long values), and, when it holds something, its size (a set of the calls under way, compared with a
   * limit), which {@link #FILL} placeholders make that large, and which are taken out again afterwards.
   */
  private static boolean count(java.lang.reflect.Field f, Object target, long value, List<Runnable> restore) {
    if (workbook.test.Counts.setField(f, target, value, restore)) return true;
    try {
      f.setAccessible(true);
      Object held = f.get(target);
      if (workbook.test.Counts.setHeld(held, value, restore)) return true;
      // A size cannot be made 0 (the calls under way are there): only made larger.
      if (held instanceof java.util.Map<?, ?> map) return countsIn(map, value, restore) | (value > 0 && filled(map, restore));
      if (held instanceof java.util.Collection<?> collection && !(held instanceof java.util.concurrent.BlockingQueue<?>)) {
        boolean found = false;
        for (Object element : List.copyOf(collection)) found |= workbook.test.Counts.setHeld(element, value, restore);
        return found | (value > 0 && filled(collection, restore));
      }
      return false;
    } catch (IllegalAccessException | RuntimeException e) {
      return false; // a field that cannot be opened: not one of the lab's own
    }
  }

  /** How large a map or a collection of the lab's own is made, by placeholders, for a call: far more calls than run at once. */
  static final int FILL = 1 << 20;

  /** The counts a map of the lab's own keeps as its values (per product, say), set to {@code value}; false if none. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean countsIn(java.util.Map<?, ?> map, long value, List<Runnable> restore) {
    boolean found = false;
    for (java.util.Map.Entry<?, ?> entry : List.copyOf(map.entrySet())) {
      Object key = entry.getKey(), was = entry.getValue();
      if (workbook.test.Counts.setHeld(was, value, restore)) {
        found = true;
      } else if (was instanceof Integer || was instanceof Long) {
        try {
          ((java.util.Map) map).replace(key, was instanceof Integer ? (Object) (int) value : (Object) value);
          restore.add(() -> ((java.util.Map) map).replace(key, was));
          found = true;
        } catch (RuntimeException e) {
          // a map that cannot be changed: no count kept in it
        }
      }
    }
    return found;
  }

  /** Makes a map or a collection of the lab's own that holds something {@link #FILL} entries larger, with placeholders; false if it cannot grow. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean filled(Object container, List<Runnable> restore) {
    try {
      if (container instanceof java.util.Map<?, ?> map && !map.isEmpty()) {
        java.util.Map.Entry<?, ?> one = map.entrySet().iterator().next();
        java.util.Map<Object, Object> more = new java.util.HashMap<>();
        java.util.function.IntFunction<Object> key = i -> one.getKey() instanceof String ? "(placeholder " + i + ")" : new Object();
        Object first = key.apply(0);
        ((java.util.Map) map).put(first, one.getValue()); // a map that cannot grow (the given stock table) throws here, at once
        more.put(first, one.getValue());
        restore.add(() -> map.keySet().removeAll(more.keySet()));
        for (int i = 1; i < FILL; i++) more.put(key.apply(i), one.getValue());
        ((java.util.Map) map).putAll(more);
        return true;
      }
      if (container instanceof java.util.Collection<?> collection && !collection.isEmpty()) {
        java.util.Set<Object> more = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Object first = new Object();
        ((java.util.Collection) collection).add(first); // a collection that cannot grow throws here, at once
        more.add(first);
        restore.add(() -> collection.removeIf(more::contains));
        for (int i = 1; i < FILL; i++) more.add(new Object());
        ((java.util.Collection) collection).addAll(more);
        return true;
      }
    } catch (RuntimeException e) {
      // a container that cannot grow (immutable, or of another element type): no count kept in it
    }
    return false;
  }

  /**
   * An inventory that holds each call until a second one is there too (at most 2 s), then answers quantity 1 (0 when a
   * call waited alone): two calls that both get 1 were in it at once, or the client queued one.
   */
  static InventoryGrpc.InventoryImplBase meeting() {
    java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(2);
    return new InventoryGrpc.InventoryImplBase() {
      @Override
      public void checkStock(CheckStockRequest request, StreamObserver<StockLevel> responseObserver) {
        both.countDown();
        boolean together = false;
        try {
          together = both.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        responseObserver.onNext(StockLevel.newBuilder().setProductId(request.getProductId()).setQuantity(together ? 1 : 0).build());
        responseObserver.onCompleted();
      }
    };
  }

  /**
   * A channel without a network: each call is answered at once, in the caller's thread, with a StockLevel naming the id
   * its request carried. Calls through it take microseconds, so calls made at once by several threads really overlap.
   */
  static final class EchoChannel extends io.grpc.Channel {
    final java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger together = new java.util.concurrent.atomic.AtomicInteger();
    /** When set, the next call waits in the channel (its caller in fetch) until {@link #release} opens. */
    final java.util.concurrent.atomic.AtomicBoolean holdNext = new java.util.concurrent.atomic.AtomicBoolean();
    final java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    /** For each call, in order: the ms left of its deadline as it was made (-1: none). */
    final List<Long> deadlines = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** For each call that sent its request, in order: the product id it asked for, as protobuf reads its UTF-8. */
    final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override public String authority() { return "echo"; }

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> newCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options) {
      deadlines.add(options.getDeadline() == null ? -1L : options.getDeadline().timeRemaining(TimeUnit.MILLISECONDS));
      together.accumulateAndGet(inside.incrementAndGet(), Math::max);
      return new io.grpc.ClientCall<>() {
        private Listener<A> listener;
        private Q request;

        @Override public void start(Listener<A> responses, io.grpc.Metadata headers) { listener = responses; }
        @Override public void request(int count) {}
        @Override public void cancel(String message, Throwable cause) {}
        @Override public void sendMessage(Q message) {
          request = message;
          if (message instanceof CheckStockRequest sent) asked.add(sent.getProductId());
        }

        @Override
        @SuppressWarnings("unchecked")
        public void halfClose() {
          inside.decrementAndGet();
          if (holdNext.getAndSet(false)) {
            holding.countDown();
            try {
              release.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          String id = request instanceof CheckStockRequest asked ? asked.getProductId() : "(no CheckStockRequest sent)";
          listener.onHeaders(new io.grpc.Metadata());
          listener.onMessage((A) StockLevel.newBuilder().setProductId(id).build());
          listener.onClose(Status.OK, new io.grpc.Metadata());
        }
      };
    }
  }

  /**
   * Two clients on two channels, built with deadlines of 7 s and 11 s, used in turn once both are built (the first, the
   * second, the first again) through {@code call}: for each use, the channel its call went to and the whole seconds its
   * deadline had ("first 7 s", "second 11 s"), "no call", or what it threw.
   */
  static List<String> clientsInTurn(java.util.function.BiConsumer<StockClient, String> call) {
    EchoChannel first = new EchoChannel(), second = new EchoChannel();
    StockClient one = new StockClient(first, Duration.ofSeconds(7));
    StockClient two = new StockClient(second, Duration.ofSeconds(11));
    List<String> went = new ArrayList<>();
    for (StockClient client : List.of(one, two, one)) {
      int before1 = first.deadlines.size(), before2 = second.deadlines.size();
      try {
        call.accept(client, "grinder");
      } catch (RuntimeException e) {
        went.add("threw " + e);
        continue;
      }
      List<String> to = new ArrayList<>();
      for (int i = before1; i < first.deadlines.size(); i++) to.add("first " + secondsLeft(first.deadlines.get(i)));
      for (int i = before2; i < second.deadlines.size(); i++) to.add("second " + secondsLeft(second.deadlines.get(i)));
      went.add(to.isEmpty() ? "no call" : String.join(" and ", to));
    }
    return went;
  }

  /**
   * The deadline {@code ms} left is, as {@link #clientsInTurn} built them: "7 s" or "11 s" when up to 2 s of it had gone (a
   * busy machine), else the ms themselves ("no deadline" for -1).
   */
  static String secondsLeft(long ms) {
    return ms == -1 ? "no deadline" : ms > 5_000 && ms <= 7_000 ? "7 s" : ms > 9_000 && ms <= 11_000 ? "11 s" : ms + " ms";
  }

  /** Ids past ASCII (2-, 3- and 4-byte characters in UTF-8), which a default charset other than UTF-8 writes otherwise. */
  static final List<String> WIDE_IDS = List.of("caf\u00e9-cup", "\u00c5ngstr\u00f6m-scale", "gr\u00efnder", "\u20ac-coin",
      "\u4e2d-kettle", "\ud83c\udf75-set");

  /**
   * Default charsets of machines where Java 17 does not default to UTF-8: ASCII (LANG=C, a container) and cp1252 (Windows).
   * workbook.test.PlatformCharset runs a call as such a machine would (on Java 18 and later, all UTF-8, as it is).
   */
  static final List<java.nio.charset.Charset> OTHER_CHARSETS = List.of(java.nio.charset.StandardCharsets.US_ASCII,
      java.nio.charset.Charset.forName("windows-1252"));

  /**
   * The ids {@code call} (fetch or check, on a client of an EchoChannel) sent as another id while the JVM's default charset
   * was ASCII or cp1252, each with what the channel was asked for instead.
   */
  static List<String> idsSentUnderOtherCharsets(java.util.function.BiConsumer<StockClient, String> call) throws Exception {
    List<String> wrong = new ArrayList<>();
    for (java.nio.charset.Charset charset : OTHER_CHARSETS) {
      workbook.test.PlatformCharset.with(charset, () -> {
        for (String id : WIDE_IDS) {
          EchoChannel echo = new EchoChannel();
          String did;
          try {
            call.accept(new StockClient(echo, TEST_DEADLINE), id);
            did = echo.asked.isEmpty() ? "sent no request" : echo.asked.get(0).equals(id) ? "" : "asked for \"" + echo.asked.get(0) + "\"";
          } catch (RuntimeException e) {
            did = "threw " + e;
          }
          if (!did.isEmpty()) wrong.add("with the JVM's default charset " + charset + ", \"" + id + "\": " + did);
        }
        return null;
      });
    }
    return wrong;
  }

  /**
   * On the client's side: for each call, the pool of a fixed size, outside the lab's own objects, whose thread made it
   * (workbook.test.Pools.sharedPoolOf). A blocking stub's call holds its thread until the answer comes.
   */
  static final class PoolWatch implements io.grpc.ClientInterceptor {
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Whether a call was made on a thread running a CompletableFuture ...Async task (its executor's, or the default). */
    final java.util.concurrent.atomic.AtomicBoolean onAsyncTask = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      String pool = workbook.test.Pools.sharedPoolOf(Thread.currentThread()); // a blocking stub starts its call on the thread that waits for it
      if (pool != null) seen.add(pool);
      // On a thread running a CompletableFuture task: whose executor ran it, the test reads in the lab's code
      if (java.util.Arrays.stream(Thread.currentThread().getStackTrace())
          .anyMatch(f -> f.getClassName().startsWith("java.util.concurrent.CompletableFuture$Async"))) onAsyncTask.set(true);
      return next.newCall(method, options);
    }
  }

  /**
   * Where the client's code calls a CompletableFuture (or CompletionStage) ...Async method given no executor, in the
   * method {@code method} of StockClient (its lambdas too) or anywhere in a class of your own next to it, read from the
   * class files with ASM. Such a call runs on CompletableFuture's default executor: ForkJoinPool.commonPool() and its
   * cores - 1 workers on any machine of more than two cores (a new thread per task only on one of one or two, where the
   * thread it runs on cannot be told from a correct thread-per-task executor's: so the code is read, on every machine).
   */
  static List<String> defaultExecutorCalls(String method) {
    List<String> calls = new ArrayList<>();
    for (Class<?> type : workbook.test.LabClasses.beside(CheckStockTest.class, true)) {
      String top = type.getName().split("\\$")[0];
      if (List.of("StockService", "StockServer").contains(top)) continue; // the server's: judged in their own tests
      boolean client = top.equals("StockClient");
      for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) {
        if (client && !c.in().equals(method) && !c.in().startsWith("lambda$" + method + "$")) continue;
        if ((c.owner().equals("java/util/concurrent/CompletableFuture") || c.owner().equals("java/util/concurrent/CompletionStage"))
            && c.name().endsWith("Async") && !c.descriptor().contains("Ljava/util/concurrent/Executor;")) {
          calls.add(type.getName() + "." + c.in() + " calls CompletableFuture." + c.name() + " with no executor");
        }
      }
    }
    return calls.stream().distinct().toList();
  }

  /**
   * Where the client's side of the lab (StockClient, and a class of your own next to it: not StockService or StockServer)
   * pauses a thread of its own accord (Thread.sleep, TimeUnit.sleep, LockSupport.park, a delayed executor), read from the
   * class files with ASM (method references too). A client needs none: its call waits in gRPC, bounded by its deadline;
   * a pause of its own is a back-off between checks, which no run of failures can show whatever its threshold.
   */
  static List<String> clientPauses() {
    List<String> pauses = new ArrayList<>();
    for (Class<?> type : workbook.test.LabClasses.beside(CheckStockTest.class, true)) {
      if (List.of("StockService", "StockServer").contains(type.getName().split("\\$")[0])) continue; // the server's
      for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) {
        boolean paused = c.owner().equals("java/lang/Thread") && c.name().equals("sleep")
            || c.owner().equals("java/util/concurrent/TimeUnit") && c.name().equals("sleep")
            || c.owner().equals("java/util/concurrent/locks/LockSupport") && c.name().startsWith("park")
            || c.owner().equals("java/util/concurrent/CompletableFuture") && c.name().equals("delayedExecutor");
        if (paused) pauses.add(type.getName() + "." + c.in() + " calls " + c.owner().replace('/', '.') + "." + c.name());
      }
    }
    return pauses.stream().distinct().toList();
  }

  /**
   * The deadlines clients are built with in the tests of deadlines (fetch's and check's alike): from 1 ms to a year and past
   * it, past the 292 years of a long of nanoseconds (with a part below the second, where saturated seconds plus nanos
   * overflow), to Duration's largest, and with parts below the millisecond, which deadline.toMillis() cuts.
   */
  static final List<Duration> DEADLINES = List.of(Duration.ofMillis(1), Duration.ofMillis(250), Duration.ofMillis(1_950),
      Duration.ofMillis(4_500), Duration.ofHours(1), Duration.ofDays(1), Duration.ofDays(365), Duration.ofDays(366),
      Duration.ofDays(3_653), Duration.ofDays(36_525), Duration.ofDays(3_652_500), Duration.ofNanos(999_999),
      Duration.ofMillis(250).plusNanos(999_999), Duration.ofSeconds(4).plusNanos(999_999), Duration.ofDays(1).plusNanos(999_999),
      Duration.ofDays(3_653).plusNanos(999_999), Duration.ofDays(106_752).plusNanos(1), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));

  /** {@code count} deadlines drawn over Duration's whole range (seconds of every magnitude to Long.MAX_VALUE), each with nanos. */
  static List<Duration> drawnDeadlines(java.util.Random random, int count) {
    List<Duration> drawn = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int bits = random.nextInt(64); // how many bits its seconds have: 0 (below a second) to 63 (up to Long.MAX_VALUE)
      long seconds = bits == 0 ? 0 : (1L << (bits - 1)) | (random.nextLong() & ((1L << (bits - 1)) - 1));
      drawn.add(Duration.ofSeconds(seconds, 1 + random.nextInt(999_999_999)));
    }
    return drawn;
  }

  /** A call to a server that takes 10 s, still waiting after 3 s: the message for a call with no deadline. */
  static final String NO_DEADLINE = "TODO 3: after 3 s the call was still waiting for a server that takes 10 s."
      + " Without a deadline a gRPC call waits as long as the server takes, forever if it hangs: give every call"
      + " stub.withDeadlineAfter(deadline) (see hint 3)";

  /** What a call threw ("X: message"), or "nothing" and what it returned instead. */
  static String thrownBy(Supplier<?> call) {
    try {
      return "nothing, it returned " + call.get();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: answer CheckStock")
  class Step1 {
    @Test
    @DisplayName("a known product comes back with its quantity")
    void knownProduct() {
      Status status = statusOf(() -> checkStock("espresso-machine"));
      assertThat(status.isOk()).as("TODO 1: CheckStock(espresso-machine) failed with " + meaning(status)).isTrue();
      StockLevel level = checkStock("espresso-machine");
      assertThat(level.getProductId()).as("TODO 1: product_id in the answer").isEqualTo("espresso-machine");
      assertThat(level.getQuantity()).as("TODO 1: quantity in the answer").isEqualTo(12);
    }

    @Test
    @DisplayName("the answer says when the level last changed (updated_at)")
    void updatedAt() {
      Status status = statusOf(() -> checkStock("grinder"));
      assertThat(status.isOk()).as("TODO 1: CheckStock(grinder) failed with " + meaning(status)).isTrue();
      assertThat(checkStock("grinder").getUpdatedAt())
          .as("TODO 1: updated_at should be the time in the stock table (StockService.timestamp(item.updatedAt())),"
              + " not the time of the request: a reader compares it with what it saw before")
          .isEqualTo(StockService.timestamp(StockService.STOCK.get("grinder").updatedAt()));
    }

    @Test
    @DisplayName("any stock table's product comes back as the table has it: id, quantity, updated_at to the nanosecond")
    void answersAsTheTableHasIt() throws Exception {
      Map<String, StockService.Item> table = new java.util.LinkedHashMap<>();
      table.put("kettle", new StockService.Item(Integer.MAX_VALUE, Instant.parse("2026-03-02T09:30:00.123456789Z")));
      table.put("grinder", new StockService.Item(3, Instant.parse("2026-03-05T10:00:00.250Z"))); // not as in StockService.STOCK
      table.put("tamper", new StockService.Item(1, Instant.parse("1969-12-31T23:59:59.500Z")));
      table.put("scale", new StockService.Item(0, Instant.parse("2026-01-01T00:00:00.000001Z")));
      table.put("descaler", new StockService.Item(-3, Instant.parse("2026-02-14T08:00:00Z"))); // on backorder: 3 promised, none here
      table.put("cup", new StockService.Item(Integer.MIN_VALUE, Instant.parse("2026-02-15T08:00:00Z")));
      // Two products whose rows are equal (same quantity, same time): each answer still names its own product.
      table.put("filter", new StockService.Item(8, Instant.parse("2026-03-06T07:00:00Z")));
      table.put("filter-paper", new StockService.Item(8, Instant.parse("2026-03-06T07:00:00Z")));
      // A table's ids are whatever it holds, looked up exactly as asked: capitals, spaces (around it too), quotes, 2- to
      // 4-byte characters, any length. Ids that one Unicode normalisation (NFC, NFKC) makes equal are other products,
      // each with a row of its own; no format, length limit or normalisation of the service's own finds them all.
      table.put("Espresso Machine (2 L)", new StockService.Item(4, Instant.parse("2026-03-07T07:00:00Z")));
      table.put(" tamper ", new StockService.Item(21, Instant.parse("2026-03-07T08:00:00Z")));
      table.put("o'brien's \"best\" mill\\", new StockService.Item(22, Instant.parse("2026-03-07T09:00:00Z")));
      table.put("caf\u00e9-cup", new StockService.Item(23, Instant.parse("2026-03-07T10:00:00Z")));
      table.put("cafe\u0301-cup", new StockService.Item(24, Instant.parse("2026-03-07T11:00:00Z")));
      table.put("\u00c5ngstr\u00f6m-scale", new StockService.Item(25, Instant.parse("2026-03-07T12:00:00Z")));
      table.put("\u212bngstr\u00f6m-scale", new StockService.Item(26, Instant.parse("2026-03-07T13:00:00Z")));
      table.put("\ufb01lter", new StockService.Item(27, Instant.parse("2026-03-07T14:00:00Z"))); // the fi ligature: NFKC makes it filter
      table.put("\ud83c\udf75-set", new StockService.Item(28, Instant.parse("2026-03-07T15:00:00Z")));
      table.put("k".repeat(65), new StockService.Item(29, Instant.parse("2026-03-07T16:00:00Z")));
      table.put("Kettle, " + "\u4e2d".repeat(9_992), new StockService.Item(30, Instant.parse("2026-03-07T17:00:00Z")));
      // Counted in the night summer time ended in St John's (a zone asked below): half an hour after its clocks went back,
      // a local time the night shows twice. A wall-clock time read back in the same zone is ambiguous there and comes
      // back as the earlier of the two instants, an hour early; the instant itself is the same whatever the zone.
      Instant clocksBack = java.time.ZoneId.of("America/St_Johns").getRules()
          .nextTransition(Instant.parse("2026-06-01T00:00:00Z")).getInstant();
      table.put("night-count", new StockService.Item(31, clocksBack.plus(Duration.ofMinutes(30)).plusNanos(123_456_789)));
      // Timestamp's whole range, years 1 to 9999 (a row counted long ago, a date far ahead): one long of nanoseconds since
      // 1970 ends 1 ns before the first of these two and starts 1 ns after the second, so a conversion through one overflows
      // there; the range's two ends; and instants drawn over all of it, each with nanos.
      table.put("long-promise", new StockService.Item(32, Instant.parse("2262-04-11T23:47:16.854775808Z")));
      table.put("early-count", new StockService.Item(33, Instant.parse("1677-09-21T00:12:43.145224191Z")));
      table.put("heirloom-mill", new StockService.Item(34, Instant.parse("0001-01-01T00:00:00Z")));
      table.put("time-capsule", new StockService.Item(35, Instant.parse("9999-12-31T23:59:59.999999999Z")));
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      long first = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond(), last = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
      for (int i = 0; i < 4; i++) {
        table.put("drawn-" + i, new StockService.Item(36 + i, Instant.ofEpochSecond(first + Math.floorMod(random.nextLong(), last - first + 1),
            random.nextInt(1_000_000_000))));
      }
      ManagedChannel c = channelTo(serve(new StockService(table, Duration.ZERO)));
      // updated_at is an instant, the same whatever the machine's time zone: the test machine's own (UTC, often) cannot
      // tell an instant from a local wall-clock time read as UTC, so the table is asked again under zones east and west
      // of UTC, one a quarter hour off and one with summer time (the JVM's default zone, put back after).
      java.util.TimeZone machine = java.util.TimeZone.getDefault();
      try {
        for (String zone : List.of(machine.getID(), "Asia/Kathmandu", "America/St_Johns")) {
          java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(zone));
          for (Map.Entry<String, StockService.Item> product : table.entrySet()) {
            String id = product.getKey();
            Instant updatedAt = product.getValue().updatedAt();
            StockLevel expected = StockLevel.newBuilder().setProductId(id).setQuantity(product.getValue().quantity())
                .setUpdatedAt(Timestamp.newBuilder().setSeconds(updatedAt.getEpochSecond()).setNanos(updatedAt.getNano())).build();
            Status status = statusOf(() -> InventoryGrpc.newBlockingStub(c).withDeadlineAfter(TEST_DEADLINE).checkStock(request(id)));
            assertThat(status.isOk()).as("TODO 1: CheckStock(%s) on a service over another stock table, which has a row under"
                + " that id, failed with %s: an id of any characters or length is looked up exactly as asked (no format, length"
                + " limit or normalisation of your own)", id.length() <= 30 ? "\"" + id + "\"" : "an id of " + id.length() + " characters",
                meaning(status)).isTrue();
            String shown = id.length() <= 30 ? "\"" + id + "\" " + id.codePoints().mapToObj(cp -> String.format("U+%04X", cp)).toList()
                : "an id of " + id.length() + " characters starting \"" + id.substring(0, 10) + "\"";
            assertThat(InventoryGrpc.newBlockingStub(c).withDeadlineAfter(TEST_DEADLINE).checkStock(request(id)))
                .as("TODO 1: the answer for %s, whose row in the service's stock table is %s: product_id, quantity and"
                    + " updated_at come from that row as they are, the time with its seconds and nanos (timestamp(item.updatedAt())),"
                + " the instant itself whatever the machine's time zone (this JVM's is now " + zone + "; no LocalDateTime or"
                + " ZoneId.systemDefault() in between: read back in the same zone, a local time is an hour off in the night"
                + " summer time ends, which shows it twice);"
                + " each answer is built for its own call (another product may have an equal row: filter and filter-paper);"
                + " any instant of Timestamp's range, years 1 to 9999, comes back as it is: no long of nanoseconds in between,"
                + " which overflows past 2262 (rows drawn-N drawn from seed " + seed + ");"
                + " the id is looked up exactly as asked, whatever its characters or length (NOT_FOUND, or another product's"
                + " row, means a format, a length limit or a normalisation of your own: stock.get(productId) as it came)",
                    shown, product.getValue())
                .isEqualTo(expected);
          }
        }
      } finally {
        java.util.TimeZone.setDefault(machine);
      }
      // A zone read once, as a class of the lab is loaded (kept in a static field) or as the service above was made (kept in
      // a field), was read under the machine's zone, before the zones above were set: on a machine in UTC it cannot show. So
      // the lab's classes are loaded once more, afresh (as on a machine in another zone), under a zone east and one west of
      // UTC, and a StockService made there is asked the same table.
      List<String> wrong = new ArrayList<>();
      try {
        for (String zone : List.of("Asia/Kathmandu", "America/St_Johns")) {
          java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(zone));
          FreshLab lab = new FreshLab(StockService.class.getClassLoader());
          for (Class<?> type : labClasses()) Class.forName(type.getName(), true, lab); // their static fields made under this zone
          Class<?> service = lab.loadClass("StockService");
          java.lang.reflect.Constructor<?> newItem = lab.loadClass("StockService$Item").getDeclaredConstructor(int.class, Instant.class);
          newItem.setAccessible(true);
          Map<String, Object> rows = new java.util.LinkedHashMap<>();
          for (Map.Entry<String, StockService.Item> row : table.entrySet()) {
            rows.put(row.getKey(), newItem.newInstance(row.getValue().quantity(), row.getValue().updatedAt()));
          }
          java.lang.reflect.Constructor<?> newService = service.getDeclaredConstructor(Map.class, Duration.class);
          newService.setAccessible(true);
          Object fresh = newService.newInstance(rows, Duration.ZERO);
          java.lang.reflect.Method checkStock = service.getMethod("checkStock", CheckStockRequest.class, StreamObserver.class);
          checkStock.setAccessible(true); // a public method of a class that is not
          for (Map.Entry<String, StockService.Item> product : table.entrySet()) {
            String id = product.getKey();
            Instant updatedAt = product.getValue().updatedAt();
            Recorder recorder = new Recorder();
            try {
              checkStock.invoke(fresh, request(id), recorder);
            } catch (java.lang.reflect.InvocationTargetException e) {
              recorder.events.add("threw " + e.getCause());
            }
            Timestamp expected = Timestamp.newBuilder().setSeconds(updatedAt.getEpochSecond()).setNanos(updatedAt.getNano()).build();
            String did = recorder.answers.size() == 1 ? LocalGrpc.text(recorder.answers.get(0).getUpdatedAt()) : recorder.events.toString();
            if (!did.equals(LocalGrpc.text(expected))) {
              wrong.add("under " + zone + ", " + (id.length() <= 30 ? "\"" + id + "\"" : "an id of " + id.length() + " characters")
                  + " (updated " + updatedAt + "): updated_at " + did + ", not " + LocalGrpc.text(expected));
            }
            if (wrong.size() >= 4) break;
          }
        }
      } finally {
        java.util.TimeZone.setDefault(machine);
      }
      assertThat(wrong).as("TODO 1: the lab's classes loaded afresh while the JVM's zone was another (as on a machine east or"
          + " west of UTC), and the updated_at their StockService answered: updated_at is the instant itself, the same"
          + " whatever the machine's zone and over Timestamp's whole range (rows drawn-N drawn from seed " + seed + "), so no"
          + " zone read once and kept (a static ZoneId.systemDefault(), a field set when the"
          + " service is made, a formatter or a Clock made once) and no wall-clock time read as UTC: timestamp(item.updatedAt())"
          + " as it is").isEmpty();
    }

    @Test
    @DisplayName("each answer is the stock table as it is at that call: a row that changed, came or went shows in the next answer")
    void answersTheTableAsItIsNow() {
      Map<String, StockService.Item> table = new java.util.concurrent.ConcurrentHashMap<>(
          Map.of("grinder", new StockService.Item(5, Instant.parse("2026-03-01T16:05:00Z"))));
      StockService service = new StockService(table, Duration.ZERO);
      String[][] script = { // what changes in the table, then the product asked for
          {"", "grinder"}, {"grinder=4@2026-03-02T08:00:00.5Z", "grinder"}, {"kettle=2@2026-03-02T09:00:00Z", "kettle"},
          {"grinder=0@2026-03-03T10:00:00Z", "grinder"}, {"grinder=-", "grinder"}, {"grinder=9@2026-03-04T11:00:00Z", "grinder"},
          // A row changes in one column only: a stocktake finds the same count (a later updated_at, to the second, then to
          // the nanosecond), and a miscount is corrected in place (the quantity, same updated_at). Each answer shows it.
          {"grinder=9@2026-03-05T12:00:00Z", "grinder"}, {"grinder=9@2026-03-05T12:00:00.000000001Z", "grinder"},
          {"grinder=8@2026-03-05T12:00:00.000000001Z", "grinder"}, {"kettle=-", "kettle"}};
      List<String> history = new ArrayList<>();
      for (String[] step : script) {
        if (!step[0].isEmpty()) {
          String[] change = step[0].split("=");
          if (change[1].equals("-")) table.remove(change[0]);
          else table.put(change[0], new StockService.Item(Integer.parseInt(change[1].split("@")[0]), Instant.parse(change[1].split("@")[1])));
          history.add("table " + (change[1].equals("-") ? "loses " + change[0] : "sets " + step[0]));
        }
        StockService.Item row = table.get(step[1]);
        Recorder recorder = Recorder.on(service, step[1]);
        String expected = row == null ? "[onError NOT_FOUND]" : "[onNext, onCompleted] " + LocalGrpc.text(StockLevel.newBuilder()
            .setProductId(step[1]).setQuantity(row.quantity()).setUpdatedAt(StockService.timestamp(row.updatedAt())).build());
        String did = recorder.events + (recorder.answers.isEmpty() ? "" : " " + LocalGrpc.text(recorder.answers.get(0)));
        history.add("checkStock(" + step[1] + ") -> " + did);
        assertThat(did).as("TODO 1: a service over a stock table that changes between calls (the warehouse books goods in"
            + " and out) answered from an older row; each answer is read from the table at that call, nothing kept from"
            + " an earlier one (not even an answer kept until its quantity, or its updated_at, changes: a row may change in"
            + " either alone). What happened: %s", history).isEqualTo(expected);
      }
    }

    @Test
    @DisplayName("answers built at the same time each carry their own product's row: no builder shared between calls")
    void answersAtOnceKeepTheirRow() throws Exception {
      // One builder in a field is used by every call: a race that needs two threads in it at the same nanosecond, which a
      // busy machine may not give the run below. So the rule is checked by its letter first, then by calls.
      assertThat(builderFields(StockService.class)).as("TODO 1: StockService keeps a protobuf builder in a field, which every"
          + " call shares: two calls answered at once can send one product's id with the other's quantity. Build each"
          + " answer with its own StockLevel.newBuilder()").isEmpty();
      assertThat(labBuilderFields(type -> !CheckStockRequest.Builder.class.isAssignableFrom(type))).as("TODO 1: a class of"
          + " the lab keeps a builder of an answer in a field (listed below, where it is kept: a helper class next to"
          + " StockService too), which every call that builds its answer there shares: two calls answered at once can send"
          + " one product's id with the other's quantity. Build each answer with its own StockLevel.newBuilder()").isEmpty();
      Map<String, StockService.Item> rows = new java.util.HashMap<>();
      for (int p = 0; p < 4; p++) rows.put("product-" + p, new StockService.Item(p * 11, Instant.parse("2026-03-0" + (p + 1) + "T10:00:00Z")));
      // Nor kept where no field's type shows it (a map of builders per product, a list): after a few calls, each product
      // asked twice, nothing the service or the lab's static fields hold is a builder that a later call would use again.
      StockService asked = new StockService(new java.util.HashMap<>(rows), Duration.ZERO);
      for (int round = 0; round < 2; round++) rows.keySet().forEach(id -> Recorder.on(asked, id));
      assertThat(buildersWithin(Map.of(asked, "StockService"))).as("TODO 1: after each product was asked twice, what the"
          + " service (or a static field of a class of the lab) still holds that is a protobuf builder (listed below, where"
          + " it is kept): a builder kept per product is shared by two calls for that product answered at once, which can"
          + " send one read's quantity with the other's updated_at. Build each answer with its own StockLevel.newBuilder(),"
          + " and keep nothing of it once sent").isEmpty();
      java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger together = new java.util.concurrent.atomic.AtomicInteger();
      Map<String, StockService.Item> table = new java.util.AbstractMap<>() { // the table, noting how many calls read it at once
        @Override public StockService.Item get(Object id) {
          together.accumulateAndGet(inside.incrementAndGet(), Math::max);
          try {
            return rows.get(id);
          } finally {
            inside.decrementAndGet();
          }
        }

        @Override public java.util.Set<Entry<String, StockService.Item>> entrySet() { return rows.entrySet(); }
      };
      StockService service = new StockService(table, Duration.ZERO);
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
      List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> callers = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        String id = "product-" + p;
        StockLevel expected = StockLevel.newBuilder().setProductId(id).setQuantity(rows.get(id).quantity())
            .setUpdatedAt(StockService.timestamp(rows.get(id).updatedAt())).build();
        Thread caller = new Thread(() -> {
          try {
            start.await(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            return; // a caller that could not start alongside the others: the count below says so
          }
          for (int i = 0; i < 20_000 && wrong.size() < 3; i++) {
            Recorder recorder = Recorder.on(service, id);
            if (recorder.answers.size() != 1 || !recorder.answers.get(0).equals(expected)) {
              wrong.add(id + " got " + (recorder.answers.isEmpty() ? recorder.events : LocalGrpc.text(recorder.answers.get(0))));
            }
          }
        });
        callers.add(caller);
        caller.start();
      }
      for (Thread caller : callers) caller.join(30_000);
      assertThat(wrong).as("TODO 1: calls answered at the same time by one service, each for its own product (4 threads, up"
          + " to 20,000 calls each; at most %d read the table at once): an answer carried another call's id, quantity or"
          + " updated_at. Build each answer with its own StockLevel.newBuilder(), never one builder kept in a field that"
          + " every call shares", together.get())
          .isEmpty();
    }

    @Test
    @DisplayName("a call reads its row once: a row that goes, or comes, while the call runs gives the row or NOT_FOUND, never UNKNOWN")
    void readsItsRowOnce() {
      StockService.Item row = new StockService.Item(4, Instant.parse("2026-03-02T08:00:00.5Z"));
      String answered = "[onNext, onCompleted] " + LocalGrpc.text(StockLevel.newBuilder().setProductId("grinder")
          .setQuantity(row.quantity()).setUpdatedAt(StockService.timestamp(row.updatedAt())).build());
      List<String> wrong = new ArrayList<>();
      for (boolean goes : new boolean[] {true, false}) {
        // The warehouse changes the row right after the call's first read of the table: sold out and removed, or booked in.
        Map<String, StockService.Item> table = new java.util.AbstractMap<>() {
          boolean there = goes;
          boolean read;

          private boolean readNow(Object id) {
            boolean was = there && "grinder".equals(id);
            if (!read) there = !goes;
            read = true;
            return was;
          }

          @Override public StockService.Item get(Object id) { return readNow(id) ? row : null; }
          @Override public boolean containsKey(Object id) { return readNow(id); }
          @Override public StockService.Item getOrDefault(Object id, StockService.Item otherwise) { return readNow(id) ? row : otherwise; }
          @Override public java.util.Set<Entry<String, StockService.Item>> entrySet() {
            return readNow("grinder") ? java.util.Set.of(Map.entry("grinder", row)) : java.util.Set.of();
          }
        };
        Recorder recorder = Recorder.on(new StockService(table, Duration.ZERO), "grinder");
        String did = recorder.events + (recorder.answers.isEmpty() ? "" : " " + LocalGrpc.text(recorder.answers.get(0)));
        String first = goes ? answered : "[onError NOT_FOUND]";
        if (!did.equals(first)) {
          wrong.add("grinder's row " + (goes ? "removed" : "added") + " right after the call's first read of the table: "
              + did + ", where its first read says " + first);
        }
      }
      assertThat(wrong).as("TODO 1: a call that reads the stock table twice (containsKey, then get) can see two tables: a row"
          + " removed between the reads gives a NullPointerException (the caller gets UNKNOWN), a row added between them"
          + " the same. Read the row once (Item item = stock.get(productId)) and decide from that read alone").isEmpty();
    }

    @Test
    @DisplayName("a product whose id is past ASCII is found on a machine of any default charset: the id is protobuf's UTF-8 string")
    void idReadAsUtf8WhateverTheMachine() throws Exception {
      Map<String, StockService.Item> table = new java.util.LinkedHashMap<>();
      for (int i = 0; i < WIDE_IDS.size(); i++) {
        table.put(WIDE_IDS.get(i), new StockService.Item(40 + i, Instant.parse("2026-03-08T10:00:00Z").plusSeconds(i)));
      }
      StockService service = new StockService(table, Duration.ZERO);
      List<String> wrong = new ArrayList<>();
      for (java.nio.charset.Charset charset : OTHER_CHARSETS) {
        workbook.test.PlatformCharset.with(charset, () -> {
          for (String id : WIDE_IDS) {
            StockService.Item row = table.get(id);
            String expected = "[onNext, onCompleted] " + LocalGrpc.text(StockLevel.newBuilder().setProductId(id)
                .setQuantity(row.quantity()).setUpdatedAt(StockService.timestamp(row.updatedAt())).build());
            Recorder recorder = Recorder.on(service, id);
            String did = recorder.events + (recorder.answers.isEmpty() ? "" : " " + LocalGrpc.text(recorder.answers.get(0)))
                + (recorder.error == null ? "" : " (" + recorder.error.getDescription() + ")");
            if (!did.equals(expected)) wrong.add("with the JVM's default charset " + charset + ", \"" + id + "\": " + did);
          }
          return null;
        });
      }
      assertThat(wrong).as("TODO 1: products of a stock table whose ids go past ASCII, asked of the service while the JVM's"
          + " default charset was another than UTF-8, as on Java 17 under Windows (cp1252) or LANG=C (ASCII): a protobuf"
          + " string is UTF-8 on every machine, and request.getProductId() reads it so; bytes read back in the machine's own"
          + " charset (new String(bytes), toString(Charset.defaultCharset())) are another id there, which the table lacks")
          .isEmpty();
    }

    @Test
    @DisplayName("the service answers once, then completes the call")
    void answersOnceThenCompletes() {
      assertThat(Recorder.call("espresso-machine")).as("TODO 1: what checkStock(espresso-machine) did with its"
          + " responseObserver: a unary call takes one onNext, then onCompleted, or the client waits until its deadline")
          .containsExactly("onNext", "onCompleted");
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: fail with a status code")
  class Step2 {
    @Test
    @DisplayName("an unknown product fails with NOT_FOUND, naming the product")
    void unknownIsNotFound() {
      Status status = statusOf(() -> checkStock("unicorn"));
      assertThat(status.getCode()).as("TODO 2: CheckStock(unicorn) ended with " + meaning(status)).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(status.getDescription()).as("TODO 2: the description (Status.NOT_FOUND.withDescription(...)) should name"
          + " the product, for the caller's logs").contains("unicorn");
    }

    @Test
    @DisplayName("whatever a service has counted, an unknown id is NOT_FOUND and a blank one INVALID_ARGUMENT: no count of your own refuses a question")
    void noCountRefusesAnId() throws Exception {
      // Whatever decides a refusal (a count, a rate per second, a memory of earlier calls), it sends a status of its own:
      // the inventory's code is read for one, since no test can ask enough ids to pass every limit a refusal might have.
      assertThat(sheddingStatuses()).as("TODO 2: where the inventory's code (StockService, StockServer, or a class of your own they use) names a status that"
          + " refuses a question for load (listed below): the service answers a known id, and fails an unknown one with"
          + " NOT_FOUND and a blank one with INVALID_ARGUMENT, however many ids, of whatever kind, were asked before or at"
          + " once; a quota of misses or of calls (per second, per caller, in all) turns valid questions into errors the README"
          + " has no place for. Serve every question").isEmpty();
      StockService service = new StockService(StockService.STOCK, Duration.ZERO);
      // A few calls first, so that what a call makes (a count per product or per caller, kept in a map) is there to be set.
      for (String id : List.of("grinder", "unicorn", " ", "unicorn")) Recorder.call(service, id);
      List<String> expected = List.of("unicorn [onError NOT_FOUND]", "\" \" [onError INVALID_ARGUMENT]", "grinder [onNext, onCompleted]");
      List<String> counts = new ArrayList<>();
      List<String> wrong = new ArrayList<>();
      // The counts the lab keeps (in the service, or static), set as if that many ids had been asked already: 0, and far
      // more than any test asks (blankMeansIsBlank asks 65,536), so that a limit of any size is past.
      java.util.concurrent.Callable<List<String>> asked = () -> List.of(
          "unicorn " + Recorder.call(service, "unicorn"), "\" \" " + Recorder.call(service, " "), "grinder " + Recorder.call(service, "grinder"));
      for (long count : new long[] {0, Integer.MAX_VALUE / 2}) {
        List<String> did = withCountsAt(Map.of(service, "StockService"), count, counts, asked);
        if (did != null && !did.equals(expected)) wrong.add("with the counts (" + counts + ") at " + count + ": " + did);
      }
      // And the counts set apart, each 0 or far past any limit in every combination (misses far past answers, and the other
      // way round): a limit whose rule reads two counts (misses outnumbering hits) refuses only so.
      List<String> names = List.copyOf(counts);
      for (int mask : apartMasks(names).toArray()) {
        if (!wrong.isEmpty()) break;
        java.util.function.ToLongFunction<String> valueOf = setApart(names, mask);
        List<String> did = withCountsAt(Map.of(service, "StockService"), valueOf, counts, asked);
        if (did != null && !did.equals(expected)) wrong.add("with the counts set apart (" + shownApart(names, valueOf) + "): " + did);
      }
      assertThat(wrong).as("TODO 2: what checkStock did, on a service whose counts were set as if that many ids had been"
          + " asked before: any id the table lacks is NOT_FOUND naming it, a blank one INVALID_ARGUMENT, a known one its"
          + " answer, however many came before. A count of your own that refuses an id past a limit (RESOURCE_EXHAUSTED"
          + " against scans of the catalogue, a quota of misses) turns a valid question into an error the README has no"
          + " place for, whatever its limit: serve every question").isEmpty();
    }

    @Test
    @DisplayName("a blank product id fails with INVALID_ARGUMENT")
    void blankIsInvalid() {
      for (String blank : new String[] {"", "   ", "\t\n", "\u2003", "\u3000 \u2028"}) {
        Status status = statusOf(() -> checkStock(blank));
        assertThat(status.getCode()).as("TODO 2: CheckStock(\"" + blank + "\") ended with " + meaning(status)
            + "; a request that can never succeed is INVALID_ARGUMENT (String.isBlank())").isEqualTo(Status.Code.INVALID_ARGUMENT);
      }
    }

    @Test
    @DisplayName("a blank id is INVALID_ARGUMENT even when the stock table holds a row under it: blank is checked before the look-up")
    void blankEvenWhenTheTableHasIt() {
      Map<String, StockService.Item> table = new java.util.HashMap<>(StockService.STOCK);
      List<String> blanks = new ArrayList<>(List.of("", "   ", "\t\n", "\u3000 \u2028"));
      for (int c = Character.MIN_VALUE; c <= Character.MAX_VALUE; c++) {
        if (String.valueOf((char) c).isBlank()) blanks.add(String.valueOf((char) c));
      }
      for (String blank : blanks) table.put(blank, new StockService.Item(3, Instant.parse("2026-03-04T10:00:00Z")));
      StockService service = new StockService(table, Duration.ZERO);
      List<String> wrong = new ArrayList<>();
      for (String blank : blanks) {
        List<String> did = Recorder.call(service, blank);
        if (!did.equals(List.of("onError INVALID_ARGUMENT"))) {
          wrong.add(blank.chars().mapToObj(c -> String.format("U+%04X", c)).toList() + " " + did);
        }
      }
      assertThat(Recorder.call(service, "grinder")).as("TODO 2: what checkStock(grinder) did on a stock table that also holds"
          + " rows under blank ids: grinder is a known product, so one onNext, then onCompleted").containsExactly("onNext", "onCompleted");
      assertThat(wrong).as("TODO 2: blank ids a stock table held a row under (an import gone wrong), and what the service did"
          + " with them: a blank id is the caller's bug whatever the table holds, so check productId.isBlank() before you"
          + " look the id up, not only when the table lacks it")
          .isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: a mistake they catch does not pay for 65,536 calls
    @DisplayName("all 65,536 one-character ids: the blank ones are INVALID_ARGUMENT, every other one NOT_FOUND")
    void blankMeansIsBlank() {
      StockService service = new StockService(StockService.STOCK, Duration.ZERO);
      List<String> wrong = new ArrayList<>();
      for (int c = Character.MIN_VALUE; c <= Character.MAX_VALUE; c++) {
        String id = String.valueOf((char) c);
        String expected = id.isBlank() ? "onError INVALID_ARGUMENT" : "onError NOT_FOUND";
        List<String> did = Recorder.call(service, id);
        if (!did.equals(List.of(expected))) wrong.add(String.format("U+%04X %s, not %s", c, did, expected));
      }
      assertThat(wrong.stream().limit(8).toList()).as("TODO 2: one-character product ids the service answered wrongly (%d of them, the first"
          + " ones shown). Blank is String.isBlank(): nothing but whitespace, by Character.isWhitespace, which knows more"
          + " than trim() (em space U+2003, line separator U+2028) and not every control character. A blank id is"
          + " INVALID_ARGUMENT, any other id the table lacks is NOT_FOUND", wrong.size())
          .isEmpty();
    }

    @Test
    @DisplayName("generated ids, 2 to 10,000 characters of any kind, and near misses of the table's: blank ones INVALID_ARGUMENT, the others NOT_FOUND naming them as sent")
    void anyOtherIdIsNotFound() {
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      StockService service = new StockService(StockService.STOCK, Duration.ZERO);
      String whitespace = " \t\n\u000B\f\r\u001C\u001D\u001E\u001F\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200A\u2028\u2029\u205F\u3000";
      int[] lengths = {2, 3, 5, 8, 13, 63, 64, 65, 100, 255, 256, 1_000, 10_000};
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < 400 && wrong.size() < 5; i++) {
        int length = lengths[random.nextInt(lengths.length)];
        boolean blank = i % 4 == 0;
        StringBuilder id = new StringBuilder();
        while (id.length() < length) {
          // A non-blank id has whitespace in it too, a quarter of its characters, at its ends as well as inside.
          boolean space = blank || random.nextInt(4) == 0;
          id.append(space ? whitespace.charAt(random.nextInt(whitespace.length())) : (char) (0x21 + random.nextInt(0xD7FF - 0x21)));
        }
        blank = id.toString().isBlank();
        String expected = blank ? "onError INVALID_ARGUMENT" : "onError NOT_FOUND";
        Recorder recorder = Recorder.on(service, id.toString());
        List<String> did = recorder.events;
        String what = "an id of " + length + " characters starting " + id.codePoints().limit(6).mapToObj(c -> String.format("U+%04X", c)).toList();
        if (!did.equals(List.of(expected))) {
          wrong.add(did + ", not " + expected + ", for " + what);
        } else if (!blank && !String.valueOf(recorder.error.getDescription()).contains(id)) {
          wrong.add("NOT_FOUND whose description does not name the whole id, for " + what);
        }
      }
      for (String known : StockService.STOCK.keySet()) { // near misses of the table's ids are other ids
        for (String near : List.of(" " + known, known + " ", known + "\n", known.toUpperCase(java.util.Locale.ROOT),
            Character.toUpperCase(known.charAt(0)) + known.substring(1), known + "s", known.substring(1))) {
          Recorder recorder = Recorder.on(service, near);
          List<String> did = recorder.events;
          if (!did.equals(List.of("onError NOT_FOUND"))) {
            wrong.add(did + ", not [onError NOT_FOUND], for \"" + near + "\" (the table has \"" + known + "\")");
          } else if (!String.valueOf(recorder.error.getDescription()).contains(near)) {
            wrong.add("NOT_FOUND whose description (" + recorder.error.getDescription() + ") does not name the id as sent, \""
                + near + "\" (the table has \"" + known + "\")");
          }
        }
      }
      // Ids with the characters a description might escape or quote (quotes, backslash, percent, markup): named as sent too.
      for (String odd : List.of("grinder's", "o'brien's 'best' mill", "say \"hi\"", "back\\slash", "100% arabica", "<b>mug</b>", "a\u0000b")) {
        Recorder recorder = Recorder.on(service, odd);
        if (!recorder.events.equals(List.of("onError NOT_FOUND"))) {
          wrong.add(recorder.events + ", not [onError NOT_FOUND], for \"" + odd + "\"");
        } else if (!String.valueOf(recorder.error.getDescription()).contains(odd)) {
          wrong.add("NOT_FOUND whose description (" + recorder.error.getDescription() + ") does not name the id as sent, \"" + odd + "\"");
        }
      }
      // The whole id, however long: up to gRPC's own 4 MiB message (4,194,299 characters), so that a cut of the service's own,
      // anywhere below it, shows (StockServer.start's ShortDescriptions shortens a description on the wire, not checkStock).
      StringBuilder longest = new StringBuilder("p");
      while (longest.length() < 4_194_299) longest.append((char) (0x21 + random.nextInt(0x7E - 0x21)));
      Recorder named = Recorder.on(service, longest.toString());
      if (!named.events.equals(List.of("onError NOT_FOUND"))) {
        wrong.add(named.events + ", not [onError NOT_FOUND], for an id of 4,194,299 characters (gRPC's own 4 MiB message)");
      } else if (!String.valueOf(named.error.getDescription()).contains(longest)) {
        wrong.add("NOT_FOUND whose description (" + String.valueOf(named.error.getDescription()).length() + " characters) does"
            + " not name the whole id of 4,194,299 characters (gRPC's own 4 MiB message): a cut of your own in checkStock");
      }
      // Ids past ASCII on a machine whose default charset is another (Java 17 under Windows or LANG=C): named as sent too.
      for (java.nio.charset.Charset charset : OTHER_CHARSETS) {
        try {
          workbook.test.PlatformCharset.with(charset, () -> {
            for (String wide : WIDE_IDS) {
              Recorder recorder = Recorder.on(service, wide + "-x");
              if (!recorder.events.equals(List.of("onError NOT_FOUND")) || !String.valueOf(recorder.error.getDescription()).contains(wide + "-x")) {
                wrong.add(recorder.events + (recorder.error == null ? "" : " (" + recorder.error.getDescription() + ")")
                    + ", not [onError NOT_FOUND] naming it, for \"" + wide + "-x\" with the JVM's default charset " + charset
                    + " (a protobuf string is UTF-8 on every machine: request.getProductId())");
              }
            }
            return null;
          });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      assertThat(wrong).as("TODO 2: ids (generated from seed %d) the service answered wrongly: a blank id (any length,"
          + " any whitespace) is INVALID_ARGUMENT; every other id is a valid question, whatever its length or characters,"
          + " and one the table lacks is NOT_FOUND, whose description names the whole id exactly as sent (spaces"
          + " around it too: not stripped or trimmed, its quotes and backslashes not escaped), with no limit or format of your own; the table's ids are exact (no"
          + " trimming, no case folding)", seed).isEmpty();
      Status status = statusOf(() -> checkStock("Grinder/" + "x".repeat(300) + " \u00fc"));
      assertThat(status.getCode()).as("TODO 2: CheckStock of a 310-character id with capitals, a slash, a space and"
          + " a \u00fc ended with %s: an id the table lacks is NOT_FOUND", meaning(status)).isEqualTo(Status.Code.NOT_FOUND);
      // Over the wire too, to the server StockServer.start builds: 10,000 three-byte characters are 30,000 bytes of request.
      for (String[] id : new String[][] {{"\u3000".repeat(10_000), "INVALID_ARGUMENT"}, {" ".repeat(10_000), "INVALID_ARGUMENT"},
          {"x".repeat(2_000), "NOT_FOUND"}, {"g".repeat(5_000), "NOT_FOUND"}}) {
        Status far = statusOf(() -> checkStock(id[0]));
        assertThat(far.getCode()).as("TODO 2: CheckStock over the wire, to the server StockServer.start builds, of an id of %d"
            + " characters (%d bytes) ended with %s: an id of any length is a valid question (blank: INVALID_ARGUMENT, else"
            + " NOT_FOUND); no limit of your own, in checkStock or on the server (maxInboundMessageSize)", id[0].length(),
            id[0].getBytes(java.nio.charset.StandardCharsets.UTF_8).length, meaning(far)).isEqualTo(Status.Code.valueOf(id[1]));
      }
    }

    @Test
    @Order(Order.DEFAULT + 2) // last of its step: a server of its own and requests of up to 4 MiB
    @DisplayName("over the wire, any id up to gRPC's 4 MiB message, of any characters: NOT_FOUND naming it (a long description shortened by StockServer.start), never INTERNAL")
    void anyIdOverTheWire() throws InterruptedException {
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      // 1-, 2-, 3- and 4-byte characters of UTF-8, which gRPC percent-encodes into the description's header: 3, 6, 9, 12 bytes.
      String[][] alphabets = {{"ASCII", "abcdefghijklmnopqrstuvwxyz0123456789-_/.~"}, {"2-byte", "\u00e9\u00fc\u00f1\u00df\u0416\u05d0"},
          {"3-byte", "\u3042\u4e2d\u20ac\u2603\uac00"}, {"4-byte", "\ud83d\ude00\ud83c\udf75\ud800\udf48"}};
      int[] lengths = {1, 99, 100, 101, 199, 200, 201, 909, 1_000, 2_730, 5_000, 10_000};
      // Not narrated: the story would print each request into the run's record, 4 MB of it at the end.
      ManagedChannel wire = channelTo(serve(new StockService(StockService.STOCK, Duration.ZERO), false));
      List<String> wrong = new ArrayList<>();
      for (String[] alphabet : alphabets) {
        for (int length : lengths) {
          StringBuilder built = new StringBuilder();
          while (built.length() < length) {
            int at = random.nextInt(alphabet[1].length());
            if (Character.isLowSurrogate(alphabet[1].charAt(at))) at--;
            built.append(alphabet[1], at, Character.isHighSurrogate(alphabet[1].charAt(at)) ? at + 2 : at + 1);
          }
          wrong.addAll(notFoundOverTheWire(wire, alphabet[0] + " id of " + built.length() + " characters", built.toString()));
        }
      }
      // In every run: 4-byte characters at both parities from the id's start (and ASCII runs of every length before
      // them), so that wherever a description's wording puts the id, the cut at its last kept character falls on the
      // first half of a 4-byte character for some id: the description must keep whole characters only.
      for (int ascii = 0; ascii <= 40; ascii++) {
        String id = "a".repeat(ascii) + "\ud83c\udf75".repeat(150);
        wrong.addAll(notFoundOverTheWire(wire, ascii + " ASCII characters then 150 4-byte ones", id));
      }
      // gRPC's own limit on a message is 4 MiB (4,194,304 bytes): a request of exactly that is still a question to answer
      // (4,194,299 characters, a 1-byte tag and a 4-byte length), so a limit of one's own anywhere below it shows.
      wrong.addAll(notFoundOverTheWire(wire, "ASCII id of 4,194,299 characters, a request of exactly gRPC's own 4 MiB (4,194,304 bytes)",
          "z".repeat(4_194_299)));
      assertThat(wrong).as("TODO 2: unknown ids (generated from seed %d) CheckStock answered wrongly over the wire, to the server"
          + " StockServer.start builds: any id up to gRPC's own message limit of 4 MiB is a valid question, so no"
          + " maxInboundMessageSize of your own (on the server) and no limit in checkStock; one the table lacks is NOT_FOUND,"
          + " whose description names it. A description travels in a header, percent-encoded, and a caller refuses a call's"
          + " headers beyond 8 KiB (INTERNAL): the given ShortDescriptions in StockServer.start cuts a long one to its first"
          + " %d characters, keep it there", seed, StockServer.ShortDescriptions.MAX_DESCRIPTION).isEmpty();
    }

    /** What went wrong with CheckStock(id) over the wire, for an id the table lacks: nothing, or one line. */
    static List<String> notFoundOverTheWire(ManagedChannel wire, String what, String id) {
      Status status = statusOf(() -> InventoryGrpc.newBlockingStub(wire).withDeadlineAfter(TEST_DEADLINE).checkStock(request(id)));
      if (status.getCode() != Status.Code.NOT_FOUND) return List.of(what + ": " + meaning(status) + ", not NOT_FOUND");
      String named = id.substring(0, Math.min(id.length(), 100)); // what any description of up to 200 characters keeps
      if (!String.valueOf(status.getDescription()).contains(named)) {
        return List.of(what + ": NOT_FOUND whose description (" + String.valueOf(status.getDescription()).length()
            + " characters) does not name the id's first " + named.length() + " characters");
      }
      // What the description keeps of the id is the id's own characters: where it stops following the id (a cut), the
      // next is not half a character, nor what gRPC sends for a lone half ('?').
      String description = status.getDescription();
      int at = description.indexOf(named);
      int same = 0;
      while (same < id.length() && at + same < description.length() && description.charAt(at + same) == id.charAt(same)) same++;
      if (same < id.length() && at + same < description.length()) {
        char next = description.charAt(at + same);
        if (next == '?' || next == '\ufffd' || Character.isSurrogate(next) || Character.isHighSurrogate(id.charAt(Math.max(0, same - 1)))
            && same > 0 && Character.isLowSurrogate(id.charAt(same))) {
          return List.of(what + ": NOT_FOUND whose description cuts the id inside a 4-byte character after its first " + same
              + " characters (the half left travels as '" + next + "'): shorten a description between whole characters");
        }
      }
      return List.of();
    }

    @Test
    @DisplayName("a product with no units left is found, with quantity 0")
    void zeroIsNotMissing() {
      Status status = statusOf(() -> checkStock("milk-frother"));
      assertThat(status.isOk()).as("TODO 2: the milk frother exists with 0 units, yet CheckStock ended with "
          + meaning(status) + ": 'none left' is an answer, NOT_FOUND means 'no such product'").isTrue();
      assertThat(checkStock("milk-frother").getQuantity()).as("TODO 2: quantity of the milk frother").isZero();
    }

    @Test
    @DisplayName("after onError the service does nothing more with the call")
    void nothingAfterOnError() {
      assertThat(Recorder.call("unicorn")).as("TODO 2: what checkStock(unicorn) did with its responseObserver: one"
          + " onError, then return; gRPC refuses anything after it (IllegalStateException: call closed)")
          .containsExactly("onError NOT_FOUND");
      assertThat(Recorder.call("")).as("TODO 2: what checkStock(\"\") did with its responseObserver: one onError,"
          + " then return").containsExactly("onError INVALID_ARGUMENT");
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: four threads of calls
    @DisplayName("unknown ids asked at the same time are each named in their own NOT_FOUND: no text buffer shared between calls")
    void missesAtOnceNameTheirOwnId() throws Exception {
      StockService service = new StockService(StockService.STOCK, Duration.ZERO);
      // A buffer kept in a field is written by every call: a race that needs two threads in it at the same nanosecond, which
      // a busy machine may not give the run below. So the rule is checked by its letter first (after a few misses, so that
      // what a call makes is there to be found), then by calls.
      for (String id : List.of("unicorn", "dragon", " ", "unicorn")) Recorder.on(service, id);
      assertThat(textBuffersWithin(Map.of(service, "StockService"))).as("TODO 2: after a few unknown ids were asked, what the"
          + " service (or a static field of a class of the lab) still holds that is a text buffer (listed below, where it is"
          + " kept): every call that writes its description there shares it, so two unknown ids asked at once can each be"
          + " named with the other's id. Build each description for its own call (\"no product '\" + productId + \"'\")").isEmpty();
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
      List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int caller = t;
        Thread thread = new Thread(() -> {
          try {
            start.await(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            return; // a caller that could not start alongside the others: fewer calls overlap, none is judged wrongly
          }
          long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
          for (int i = 0; i < 20_000 && wrong.size() < 3 && System.nanoTime() < until; i++) {
            String id = "unicorn-" + caller + "-" + i + "."; // no id is a part of another's
            Recorder recorder = Recorder.on(service, id);
            String description = String.valueOf(recorder.error == null ? null : recorder.error.getDescription());
            boolean others = false;
            for (int other = 0; other < 4; other++) others |= other != caller && description.contains("unicorn-" + other + "-");
            if (!recorder.events.equals(List.of("onError NOT_FOUND")) || !description.contains(id) || others) {
              wrong.add("checkStock(" + id + ") did " + recorder.events + (recorder.error == null ? "" : ", described \"" + description + "\""));
            }
          }
        });
        callers.add(thread);
        thread.start();
      }
      for (Thread thread : callers) thread.join(30_000);
      assertThat(wrong).as("TODO 2: unknown ids asked of one service at the same time (4 threads, each its own ids, for up to"
          + " 3 s): a NOT_FOUND was not one naming its own id, and no other. Build each description for its own call, never"
          + " in a buffer kept in a field that every call shares").isEmpty();
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: a deadline on every call")
  class Step3 {
    @Test
    @DisplayName("a slow server trips the client's deadline: DEADLINE_EXCEEDED, soon after it")
    void slowServerTripsDeadline() throws Exception {
      DeadlineAtStart watch = new DeadlineAtStart(); // notes each call fetch makes
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(
          channelTo(serve(new StockService(StockService.STOCK, Duration.ofSeconds(10)))), watch), Duration.ofMillis(200));
      long t0 = System.nanoTime();
      Status status = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(watch.calls.size()).as("TODO 3: calls one fetch made with a 200 ms deadline on a 10 s server (it ended with"
          + " %s): one fetch is one call, within the caller's deadline; a second call after it passed gives the caller an"
          + " answer later than it asked for", LocalGrpc.describe(status)).isEqualTo(1);
      assertThat(status.getCode()).as("TODO 3: the call's status with a 200 ms deadline on a 10 s server").isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(ms).as("TODO 3: the call took %d ms with a 200 ms deadline: use the Duration the client was given", ms).isLessThan(2_000);
    }

    @Test
    @DisplayName("every call gets its own whole deadline, counted from when it starts, also one made soon after another")
    void deadlinePerCall() throws Exception {
      DeadlineInventory inventory = new DeadlineInventory();
      StockClient client = clientOf(serve(inventory), Duration.ofSeconds(2));
      long first = System.nanoTime();
      for (int call = 1; call <= 3; call++) {
        // Soon after the one before: a stub kept from an earlier call shows in the exact per-call check
        // (deadlineAsGiven, to the nanosecond); here the server sees that each call brings the deadline along.
        if (call > 1) Thread.sleep(20);
        long after = (System.nanoTime() - first) / 1_000_000;
        Status status = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
        String seen = inventory.seen.poll();
        assertThat(seen).as("TODO 3: call %d of one client, %d ms after its first, with a 2 s deadline, to a server that"
            + " answers at once, ended with %s before reaching the server: is the deadline in the right unit"
            + " (withDeadlineAfter(deadline) takes the Duration as it is), and made for this call? A stub given"
            + " withDeadlineAfter once carries one fixed point in time, which later calls have passed",
            call, after, LocalGrpc.describe(status)).isNotNull();
        assertThat(seen).as("TODO 3: call %d reached the server with no deadline at all: give every call"
            + " stub.withDeadlineAfter(deadline)", call).isNotEqualTo("none");
        assertThat(Long.parseLong(seen)).as("TODO 3: ms left of call %d's deadline when it reached the server, %d ms after"
            + " the client's first call, with a 2 s deadline: each call gets the whole 2 s, counted from its own start. A stub"
            + " kept from an earlier call (made once, or made again only once its deadline passed) gives a later call only"
            + " what is left of an older deadline: call withDeadlineAfter inside fetch, for each call", call, after)
            .isBetween(1_100L, 2_000L);
      }
    }

    @Test
    @DisplayName("the deadline travels with each call: the server sees the caller's own, 1.95 s or 4.5 s")
    void serverSeesTheCallersDeadline() throws Exception {
      DeadlineInventory inventory = new DeadlineInventory();
      Server s = serve(inventory);
      // Two deadlines a hard-coded one cannot both match; 1.95 s is 1 s when rounded down to whole seconds.
      for (Duration deadline : new Duration[] {Duration.ofMillis(1_950), Duration.ofMillis(4_500)}) {
        StockClient client = clientOf(s, deadline);
        Status status = within(Duration.ofSeconds(5), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
        String seen = inventory.seen.poll();
        assertThat(seen).as("TODO 3: a client built with a %d ms deadline made a call to a server that answers at once,"
            + " and it ended with %s before reaching the server: its deadline had passed before the call was made (fixed"
            + " on the stub earlier, or rounded down to 0 s?). Give each call withDeadlineAfter(deadline), the Duration as"
            + " it is", deadline.toMillis(), LocalGrpc.describe(status)).isNotNull();
        assertThat(seen).as("TODO 3: a client built with a %d ms deadline made a call that reached the server with no"
            + " deadline at all: a deadline travels with the call (its grpc-timeout header) only when the call is made with"
            + " stub.withDeadlineAfter(deadline); a timeout of the client's own (a Future.get) leaves the server working"
            + " for nobody", deadline.toMillis()).isNotEqualTo("none");
        long remaining = Long.parseLong(seen);
        assertThat(remaining).as("TODO 3: milliseconds left of the call's deadline when the server got it, for a client"
            + " built with a %d ms deadline: each call must carry the caller's deadline, as it is (not a number of your own,"
            + " not rounded to seconds)", deadline.toMillis())
            .isBetween(Math.max(deadline.toMillis() / 2, deadline.toMillis() - 900), deadline.toMillis());
      }
    }

    @Test
    @DisplayName("when the caller's deadline passes, or it cancels, the service stops its work and answers nobody")
    void serviceStopsForNobody() throws Exception {
      // First, on the service alone: while its look-up runs, it listens for its call's cancel, so the cancel itself
      // ends the wait at once. A look-up that sleeps and asks isCancelled() now and then works on for nobody until its
      // next look, however short its slices (a wait that timing alone cannot tell from "at once" on a busy machine).
      io.grpc.Context.CancellableContext context = io.grpc.Context.ROOT.withCancellation();
      StockService slow = new StockService(StockService.STOCK, Duration.ofSeconds(20));
      java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);
      Thread serving = new Thread(() -> {
        try {
          context.run(() -> Recorder.on(slow, "grinder"));
        } finally {
          returned.countDown();
        }
      }, "checkStock, cancelled");
      serving.setDaemon(true);
      serving.start();
      java.lang.reflect.Method listenerCount = io.grpc.Context.class.getDeclaredMethod("listenerCount");
      listenerCount.setAccessible(true);
      // Until it listens, or waits in its look-up without listening (parked there: whatever it set up came before).
      String doing = "";
      int listening = 0;
      for (long end = System.nanoTime() + 2 * TEST_DEADLINE.toNanos(); System.nanoTime() < end && returned.getCount() > 0; Thread.sleep(5)) {
        Thread.State state = serving.getState();
        doing = lookingUp(serving);
        listening = (int) listenerCount.invoke(context);
        if (listening > 0 || doing.equals("in its look-up") && (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)) break;
      }
      if (listening > 0) doing = lookingUp(serving); // it listens from within its look-up, where it waits 20 s
      context.cancel(null);
      boolean stopped = returned.await(5, TimeUnit.SECONDS);
      assertThat(doing).as("TODO 3: where checkStock was, on a service whose look-up takes 20 s, before its call was"
          + " cancelled (it must be in the given StockService.lookUpTakes)").isEqualTo("in its look-up");
      assertThat(listening).as("TODO 3: listeners on the call's Context while checkStock was in its 20 s look-up: the"
          + " look-up must listen for the cancel (Context.addListener, as the given lookUpTakes does), so that the cancel"
          + " itself ends it at once; a look-up that sleeps and asks isCancelled() now and then keeps working for nobody"
          + " until its next look. Keep the given lookUpTakes as it is").isPositive();
      assertThat(stopped).as("TODO 3: checkStock returned within 5 s of its call's cancel, on a service whose look-up"
          + " takes 20 s: when lookUpTakes returns false, return at once").isTrue();
      for (String givingUp : new String[] {"its 300 ms deadline passed", "it cancelled the call, 60 s before its deadline"}) {
        CallWatch watch = new CallWatch();
        Server s = serve(() -> io.grpc.ServerInterceptors.intercept(new StockService(StockService.STOCK, Duration.ofSeconds(20)), watch));
        ManagedChannel c = channelTo(s);
        if (givingUp.startsWith("its")) {
          Status status = statusOf(() -> InventoryGrpc.newBlockingStub(c).withDeadlineAfter(Duration.ofMillis(300)).checkStock(request("grinder")));
          assertThat(status.getCode()).as("TODO 3: a 300 ms call to a service whose look-up takes 20 s ended %s: only the deadline"
              + " may end it (DEADLINE_EXCEEDED); a look-up that waits out the deadline and then answers gives the caller an"
              + " answer it has already given up on: stop the work when the call is cancelled, do not sleep until it", status.getCode())
              .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        } else {
          // A deadline far beyond the 5 s waited below: the service must stop because the caller cancelled, not at its deadline.
          var call = InventoryGrpc.newFutureStub(c).withDeadlineAfter(Duration.ofSeconds(60)).checkStock(request("grinder"));
          assertThat(watch.entered.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).as("the call reached checkStock").isTrue();
          call.cancel(true);
        }
        assertThat(watch.returned.await(5, TimeUnit.SECONDS)).as("TODO 3: the caller gave up (%s), yet 5 s later the"
            + " service's checkStock, whose look-up takes 20 s, was still working for nobody. The deadline travels to the"
            + " server, which cancels the call's Context when it passes or the client cancels: StockService.lookUpTakes"
            + " listens for that and returns false, and checkStock must then return at once (a look-up that sleeps until"
            + " its deadline and only then asks isCancelled() misses a cancel)", givingUp).isTrue();
        assertThat(watch.afterGivingUp).as("TODO 3: what the service sent after the caller gave up (%s): nobody waits for"
            + " it, not even for an error: gRPC has already ended the call for the caller. When lookUpTakes(latency)"
            + " returns false, checkStock returns without answering", givingUp).isEmpty();
      }
    }

    @Test
    @DisplayName("1,100 callers of a slow inventory are served at once, more than any pool, cap or semaphore of a round size: none waits for another's look-up, none is refused")
    void overlappingCallsOverlap() throws Exception {
      // A cap on how many threads the JVM, or a pool, runs is a cap on the calls under way, each on a thread of its own,
      // counted by the JVM rather than a field the test could set: its class file shows it, whatever its limit.
      assertThat(threadCountReads()).as("TODO 3: where the lab reads how many threads the JVM or a pool runs (listed"
          + " below). While calls are served, each on a thread of its own, that number counts the calls under way: a cap on"
          + " it that sheds load (RESOURCE_EXHAUSTED) or queues the next call refuses callers whom gRPC would serve,"
          + " whatever its limit. gRPC runs calls at once, each on its own thread, and the stock table is only read: serve"
          + " every call").isEmpty();
      // A semaphore of more permits than the callers below would let them all in; its field shows it, whatever its size.
      assertThat(queueFields(StockService.class, StockServer.class)).as("TODO 3: the lab keeps a lock, a semaphore or a"
          + " fixed pool of threads (listed below, in StockService, StockServer or a class of your own next to them, the"
          + " client's too), which makes the call after its last permit or thread wait for others' slow calls, past its"
          + " deadline (or be refused), however many it has. gRPC runs calls at once, each on its own thread, and the stock table is only read: no lock"
          + " or semaphore is needed").isEmpty();
      // The counts are set while a call for the grinder is under way (held in its read of the stock table), so that a
      // count kept only then (per product, in a map whose entry goes when its last call ends) is there to be set too.
      java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean holdOne = new java.util.concurrent.atomic.AtomicBoolean();
      Map<String, StockService.Item> holding = new java.util.AbstractMap<>() { // the stock table, holding one read (once told) until released
        @Override public StockService.Item get(Object id) {
          if (holdOne.getAndSet(false)) {
            reading.countDown();
            try {
              release.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return StockService.STOCK.get(id);
        }

        @Override public java.util.Set<Entry<String, StockService.Item>> entrySet() { return StockService.STOCK.entrySet(); }
      };
      // What a service and the server StockServer.start builds hold, an interceptor's captured fields too: a limit of more
      // permits than the callers below would let them all in, so it is found where it is kept, whatever its size.
      StockService held = new StockService(holding, Duration.ZERO);
      Server plain = serve(held, false);
      java.util.Map<Object, String> roots = new java.util.LinkedHashMap<>(handlersOf(plain));
      roots.put(held, "StockService");
      ManagedChannel toPlain = channelTo(plain);
      // One call first, so that what a call makes (a semaphore per product, kept in a map) is there to be found.
      statusOf(() -> InventoryGrpc.newBlockingStub(toPlain).withDeadlineAfter(TEST_DEADLINE).checkStock(request("grinder")));
      assertThat(queuesWithin(roots, true)).as("TODO 3: a StockService and the server StockServer.start builds for it hold"
          + " what makes a call wait for others' calls, or refuses it, past its last permit or thread, however many it has"
          + " (listed below, where it is kept: a field of the service or of a class of the lab, what an interceptor"
          + " keeps, or what the server's executor(...), callExecutor(...) or intercept(...) holds around gRPC's pool). gRPC runs calls at"
          + " once, each on its own thread, and the stock table is only read: no lock, semaphore, queue of tokens or fixed"
          + " pool is needed").isEmpty();
      holdOne.set(true);
      var underWay = InventoryGrpc.newFutureStub(toPlain).withDeadlineAfter(TEST_DEADLINE).checkStock(request("grinder"));
      List<String> counts = new ArrayList<>();
      try {
        assertThat(reading.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).as("TODO 3: a call for the grinder to the"
            + " server StockServer.start builds reached the stock table within %d s (it ended: %s)", TEST_DEADLINE.toSeconds(),
            underWay.isDone() ? statusOf(() -> {
              try {
                underWay.get();
              } catch (Exception e) {
                throw e.getCause() instanceof StatusRuntimeException sre ? sre : new RuntimeException(e);
              }
            }) : "still under way").isTrue();
        for (long count : new long[] {0, Integer.MAX_VALUE / 2}) {
          Status status = withCountsAt(roots, count, counts, () -> statusOf(() -> InventoryGrpc.newBlockingStub(toPlain)
              .withDeadlineAfter(TEST_DEADLINE).checkStock(request("grinder"))));
          assertThat(status == null ? Status.Code.OK : status.getCode()).as("TODO 3: a call for the grinder to the server"
              + " StockServer.start builds, made while another call for the grinder was under way, with the counts the lab"
              + " keeps (%s) set to %,d, as if that many calls were under way, or no permit left (a map or a set of the calls"
              + " under way made %,d entries larger), ended %s: a count of calls at once, of your own, that queues or refuses the"
              + " next call (a semaphore written by hand, a cap that sheds load, per product or for all, a number or the size"
              + " of a set) makes callers wait for others' slow look-ups, or fail, whatever its limit. gRPC runs calls at"
              + " once, each on its own thread: serve every call", counts, count, FILL,
              status == null ? "OK" : LocalGrpc.describe(status)).isEqualTo(Status.Code.OK);
        }
        // And the counts set apart, each 0 or far past any limit in every combination: a limit whose rule reads two counts
        // (calls under way outnumbering those answered, say) refuses only so.
        List<String> names = List.copyOf(counts);
        for (int mask : apartMasks(names).toArray()) {
          java.util.function.ToLongFunction<String> valueOf = setApart(names, mask);
          Status status = withCountsAt(roots, valueOf, counts, () -> statusOf(() -> InventoryGrpc.newBlockingStub(toPlain)
              .withDeadlineAfter(TEST_DEADLINE).checkStock(request("grinder"))));
          assertThat(status == null ? Status.Code.OK : status.getCode()).as("TODO 3: a call for the grinder to the server"
              + " StockServer.start builds, made while another call for the grinder was under way, with the counts the lab"
              + " keeps set apart (%s), ended %s: a limit of your own whose rule reads two counts (calls under way against calls"
              + " answered) queues or refuses the next call once they stand so, whatever its limit: serve every call",
              shownApart(names, valueOf), status == null ? "OK" : LocalGrpc.describe(status)).isEqualTo(Status.Code.OK);
        }
      } finally {
        release.countDown();
      }
      List<Thread> serving = new java.util.concurrent.CopyOnWriteArrayList<>(); // the thread running each call's checkStock
      io.grpc.ServerInterceptor threads = new io.grpc.ServerInterceptor() {
        @Override
        public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
            io.grpc.ServerCallHandler<Q, A> next) {
          return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            @Override public void onHalfClose() { // a unary method runs here
              serving.add(Thread.currentThread());
              super.onHalfClose();
            }
          };
        }
      };
      Server s = serve(() -> io.grpc.ServerInterceptors.intercept(new StockService(StockService.STOCK, Duration.ofSeconds(30)), threads));
      ManagedChannel c = channelTo(s);
      // More callers than any pool, cap or semaphore sized by the machine (a thread per core, or two) or by a round number
      // (16 to 1,024, wherever it is kept): none may wait for another's look-up or be refused. Every call is still in its
      // 30 s look-up when the last one starts, so a limit of fewer than 1,100 is reached every run. A waiting call costs a
      // parked thread, so 1,100 stay cheap.
      int callers = Math.max(1_100, 2 * Runtime.getRuntime().availableProcessors() + 1);
      List<com.google.common.util.concurrent.ListenableFuture<StockLevel>> calls = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        calls.add(InventoryGrpc.newFutureStub(c).withDeadlineAfter(Duration.ofSeconds(20)).checkStock(request(i % 2 == 0 ? "grinder" : "espresso-machine")));
      }
      List<Thread.State> states = List.of();
      List<String> doing = List.of(); // per serving thread: in its look-up, or where it waits instead
      List<String> refused = List.of(); // calls that ended before the test cancelled them: refused, or answered early
      // Wait until all are in their look-up (bounded, below the calls' 20 s deadline: a busy machine may take seconds to
      // start them), or until every call is accounted for and those not in their look-up have sat parked elsewhere for 500 ms.
      long parkedSince = 0, firstRefused = 0;
      java.util.Set<Thread> lookedUp = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      for (long end = System.nanoTime() + Duration.ofSeconds(15).toNanos(); System.nanoTime() < end; Thread.sleep(10)) {
        List<Thread> now = List.copyOf(serving); // one snapshot for all: a call may arrive between two reads of the list
        refused = calls.stream().filter(java.util.concurrent.Future::isDone).map(call -> statusOf(() -> {
          try {
            call.get();
          } catch (Exception e) {
            throw e.getCause() instanceof StatusRuntimeException sre ? sre : new RuntimeException(e);
          }
        })).map(LocalGrpc::describe).toList();
        // A call ended while every look-up takes 30 s: it was refused. Give the others 300 ms to show theirs, then report.
        if (!refused.isEmpty() && firstRefused == 0) firstRefused = System.nanoTime();
        if (firstRefused != 0 && System.nanoTime() - firstRefused > 300_000_000L) break;
        if (now.size() + refused.size() < callers && System.nanoTime() < end - 1_000_000_000L) continue; // not all there yet
        states = now.stream().map(Thread::getState).toList();
        // A thread in its look-up stays there for 30 s: its stack is read until it is seen there, then no more.
        doing = now.stream().map(t -> lookedUp.contains(t) ? "in its look-up" : lookingUp(t)).toList();
        for (int i = 0; i < now.size(); i++) if (doing.get(i).equals("in its look-up")) lookedUp.add(now.get(i));
        if (doing.size() == callers && doing.stream().allMatch("in its look-up"::equals)) break;
        boolean parked = true;
        for (int i = 0; i < now.size() && parked; i++) {
          parked = doing.get(i).equals("in its look-up") || states.get(i) != Thread.State.RUNNABLE;
        }
        if (!(parked && doing.size() + refused.size() >= callers)) {
          parkedSince = 0;
        } else if (parkedSince == 0) {
          parkedSince = System.nanoTime();
        } else if (System.nanoTime() - parkedSince > 500_000_000L) {
          break;
        }
      }
      calls.forEach(call -> call.cancel(true));
      assertThat(refused.stream().distinct().limit(3).toList()).as("TODO 3: %,d of %,d overlapping calls to an inventory whose"
          + " look-up takes 30 s ended while the others were still in theirs (the first kinds shown): a pool of a bounded"
          + " size (however it is wrapped) refuses the call after its last thread, and a cap of your own on calls at once"
          + " refuses or queues it. gRPC runs calls at once, each on its own thread: leave StockServer.start's executor and"
          + " limits as gRPC chooses them", refused.size(), callers)
          .isEmpty();
      long inLookUp = doing.stream().filter("in its look-up"::equals).count();
      assertThat(doing.stream().filter(d -> !d.equals("in its look-up")).distinct().limit(3).toList()).as("TODO 3: %,d"
          + " overlapping calls to an inventory whose look-up takes 30 s: %,d had reached checkStock and %,d were in their"
          + " look-up (StockService.lookUpTakes) at once; where the others waited instead is shown. gRPC runs calls at once,"
          + " each on its own thread: a lock or a semaphore around the look-up, however many permits and wherever it is"
          + " kept (synchronized, ReentrantLock, a Semaphore in a class of your own), or a fixed pool of threads for the server"
          + " (executor(...) in StockServer.start), makes every caller past it wait for the slow look-ups of the ones before"
          + " it, and a deadline run out in that queue. The stock table is only read: no lock is needed", callers,
          doing.size(), inLookUp)
          .isEmpty();
      assertThat(doing).as("TODO 3: calls that reached checkStock, of %d overlapping calls to an inventory whose look-up takes"
          + " 30 s, within 15 s: the others waited before checkStock, in a queue of the server's (a pool of fixed size, or"
          + " a limit on calls at once)", callers).hasSize(callers);
      assertThat(states).as("TODO 3: what the threads serving %d overlapping calls to an inventory whose look-up takes"
          + " 30 s were doing (BLOCKED: waiting for another call's lock). gRPC runs calls at once, each on its own"
          + " thread: a lock around checkStock (synchronized) makes every caller wait for the slow look-ups of the ones"
          + " before it, and a deadline run out in that queue. The stock table is only read: no lock is needed", callers)
          .hasSize(callers).doesNotContain(Thread.State.BLOCKED);
    }

    @Test
    @DisplayName("the server StockServer.start builds runs each call on a thread of its own, however many overlap: no pool of a fixed size, no cap on calls at once")
    void noFixedPool() throws Exception {
      List<Thread> serving = new java.util.concurrent.CopyOnWriteArrayList<>(); // the thread that ran each call's checkStock
      io.grpc.ServerInterceptor threads = new io.grpc.ServerInterceptor() {
        @Override
        public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
            io.grpc.ServerCallHandler<Q, A> next) {
          return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            @Override public void onHalfClose() {
              serving.add(Thread.currentThread());
              super.onHalfClose();
            }
          };
        }
      };
      Server s = serve(() -> io.grpc.ServerInterceptors.intercept(new ScriptedInventory(Duration.ZERO), threads));
      // 1,100 callers (above) cannot rule out a pool of 2,000; a pool's own settings can. gRPC keeps the executor it
      // was given (or its own, a cached pool), and the supplier given to callExecutor(...), in the server it builds.
      List<String> queues = new ArrayList<>();
      Object executor = field(s, "executor");
      String pool = fixedPoolWithin(executor);
      if (pool != null) queues.add("executor(...) is " + pool);
      Object supplier = field(s, "executorSupplier");
      if (supplier instanceof io.grpc.ServerCallExecutorSupplier calls) {
        pool = fixedPoolWithin(calls.getExecutor(new ProbeCall(), new io.grpc.Metadata()));
        if (pool != null) queues.add("callExecutor(...) gives a call " + pool);
      }
      // However the pool is wrapped (a lambda, a class of your own, an interceptor that hands calls over), the thread
      // that ran a call shows it once the call is done: a worker of a pool that grows waits for a call handed to it
      // (SynchronousQueue), one of a fixed pool waits on the queue where calls line up for it.
      ManagedChannel c = channelTo(s);
      within(Duration.ofSeconds(6), "TODO 3: a call to the server StockServer.start builds took more than 6 s",
          () -> statusOf(() -> InventoryGrpc.newBlockingStub(c).withDeadlineAfter(TEST_DEADLINE).checkStock(request("grinder"))));
      assertThat(serving).as("TODO 3: calls that reached checkStock on the server StockServer.start builds, for one call").hasSize(1);
      String waits = idleIn(serving.get(0));
      if (!waits.startsWith("waits for a call handed to it")) queues.add("the thread that ran a call, once done, " + waits);
      Object transport = field(s, "transportServer");
      Object streams = transport == null ? null : field(transport, "maxStreamsPerConnection");
      if (streams instanceof Integer most && most != Integer.MAX_VALUE) {
        queues.add("maxConcurrentCallsPerConnection(" + most + "): past " + most + " calls at once on one connection, the next"
            + " waits for a slow look-up to end");
      }
      assertThat(queues).as("TODO 3: the server StockServer.start builds queues calls: %s. gRPC runs each call on a thread"
          + " of its own by default (a pool that grows, Executors.newCachedThreadPool()); a fixed pool (executor(...) or"
          + " callExecutor(...) in StockServer.start, as it is or wrapped), however large, or a cap on calls at once, makes"
          + " the caller after the last one wait, past its deadline, for others' slow look-ups. Leave the server's executor"
          + " and limits as gRPC chooses them", queues).isEmpty();
    }

    /** The value of {@code name}, declared on {@code target}'s class or a superclass; null if there is none. */
    static Object field(Object target, String name) throws IllegalAccessException {
      for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
        try {
          java.lang.reflect.Field field = type.getDeclaredField(name);
          field.setAccessible(true);
          return field.get(target);
        } catch (NoSuchFieldException e) {
          // on to the superclass
        }
      }
      return null;
    }

    /**
     * How {@code executor}, or a pool it holds (a lambda's captured pool, a field of a wrapper class of the lab's own, up
     * to three steps away), queues or refuses calls beyond a fixed number of threads; null if none does.
     */
    static String fixedPoolWithin(Object executor) throws IllegalAccessException {
      List<Object> seen = new ArrayList<>();
      List<Object> level = new ArrayList<>(java.util.Collections.singletonList(executor));
      for (int depth = 0; depth <= 3 && !level.isEmpty(); depth++) {
        List<Object> next = new ArrayList<>();
        for (Object held : level) {
          if (held == null || seen.stream().anyMatch(o -> o == held)) continue;
          seen.add(held);
          String pool = fixedPool(held);
          if (pool != null) return depth == 0 ? pool : pool + " (held by " + executor.getClass().getSimpleName() + ", as it wraps it)";
          if (!held.getClass().getPackageName().isEmpty()) continue; // only the lab's own classes and lambdas are opened
          for (Class<?> type = held.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (java.lang.reflect.Field f : type.getDeclaredFields()) {
              if (f.getType().isPrimitive()) continue;
              try {
                f.setAccessible(true);
                next.add(f.get(java.lang.reflect.Modifier.isStatic(f.getModifiers()) ? null : held));
              } catch (RuntimeException e) {
                // a field that cannot be opened: not one of the lab's own
              }
            }
          }
        }
        level = next;
      }
      return null;
    }

    /** How {@code executor} queues calls beyond a fixed number of threads, or null if it is a pool that grows (or none). */
    static String fixedPool(Object executor) {
      if (executor instanceof java.util.concurrent.ThreadPoolExecutor pool && pool.getCorePoolSize() < Integer.MAX_VALUE
          && !(pool.getMaximumPoolSize() == Integer.MAX_VALUE && pool.getQueue() instanceof java.util.concurrent.SynchronousQueue)) {
        return "a ThreadPoolExecutor of " + pool.getCorePoolSize() + " to " + pool.getMaximumPoolSize() + " threads with a "
            + pool.getQueue().getClass().getSimpleName() + ": past " + (pool.getQueue() instanceof java.util.concurrent.SynchronousQueue
                ? pool.getMaximumPoolSize() + " overlapping calls, the next is refused" : pool.getCorePoolSize()
                + " overlapping calls, the next waits in its queue for a slow look-up to end");
      } else if (executor instanceof java.util.concurrent.ForkJoinPool pool) {
        return "a ForkJoinPool of " + pool.getParallelism() + " workers: past them, a call waits for a slow look-up to end";
      }
      return null;
    }

    /** Where {@code t}, which ran a call, waits once it is done (bounded): for a call handed to it, or on a queue. */
    static String idleIn(Thread t) throws InterruptedException {
      List<String> frames = List.of();
      for (long end = System.nanoTime() + TEST_DEADLINE.toNanos(); System.nanoTime() < end; Thread.sleep(5)) {
        if (t.getState() == Thread.State.TERMINATED) return "waits for a call handed to it (it ended)";
        StackTraceElement[] stack = t.getStackTrace();
        frames = java.util.Arrays.stream(stack).limit(6).map(f -> f.getClassName().replaceAll(".*[.]", "") + "." + f.getMethodName()).toList();
        boolean parked = t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
        for (int i = 0; parked && i < stack.length; i++) {
          if (stack[i].getMethodName().equals("getTask") && stack[i].getClassName().endsWith("ThreadPoolExecutor")) {
            boolean handed = java.util.Arrays.stream(stack, 0, i).anyMatch(f -> f.getClassName().contains("SynchronousQueue"));
            String queue = i > 0 ? stack[i - 1].getClassName().replaceAll(".*[.]", "") + "." + stack[i - 1].getMethodName() : "?";
            return handed ? "waits for a call handed to it" : "waits in " + queue + " (ThreadPoolExecutor.getTask): the queue"
                + " where calls line up for a fixed number of threads";
          }
          if (stack[i].getMethodName().equals("awaitWork") && stack[i].getClassName().endsWith("ForkJoinPool")) {
            return "waits in a ForkJoinPool " + frames + ", a fixed number of workers";
          }
        }
      }
      return "never went back to a pool that grows: it waits in " + frames + ", a thread of a fixed set";
    }

    /** A call as callExecutor(...) is asked about: CheckStock, no more. */
    static final class ProbeCall extends io.grpc.ServerCall<CheckStockRequest, StockLevel> {
      @Override public void request(int count) {}
      @Override public void sendHeaders(io.grpc.Metadata headers) {}
      @Override public void sendMessage(StockLevel message) {}
      @Override public void close(Status status, io.grpc.Metadata trailers) {}
      @Override public boolean isCancelled() { return false; }
      @Override public io.grpc.MethodDescriptor<CheckStockRequest, StockLevel> getMethodDescriptor() { return InventoryGrpc.getCheckStockMethod(); }
    }

    @Test
    @DisplayName("two checkouts calling fetch on one client at once are both in the inventory at once: the client queues no call")
    void overlappingFetchesOverlap() throws Exception {
      // Two fetches fit a semaphore of two permits or more; its field shows it, whatever its size.
      assertThat(queueFields(StockClient.class)).as("TODO 3: the lab keeps a lock, a semaphore or a fixed pool of"
          + " threads (listed below, in StockClient or a class of your own next to it, the inventory's too), which makes the"
          + " checkout after its last permit or thread wait for others' calls, past its own deadline, however many it has. A"
          + " stub is safe to share between threads and each call builds its own request: no lock or semaphore is needed")
          .isEmpty();
      // What a client holds, whatever its size: two fetches fit in a pool or a bulkhead of two threads or more.
      EchoChannel echo = new EchoChannel();
      StockClient probe = new StockClient(echo, TEST_DEADLINE);
      java.util.Map<Object, String> roots = Map.of(probe, "StockClient");
      assertThat(queuesWithin(roots, false)).as("TODO 3: a StockClient holds what makes a checkout wait for others' calls, or"
          + " refuses it, past its last permit or thread, however many it has (listed below, where it is kept: a bulkhead"
          + " of threads, a semaphore, a queue of tokens). A stub is safe to share between threads and each call builds its"
          + " own request: make the call in fetch, on the caller's thread").isEmpty();
      // The counts are set while a fetch of the grinder is under way (held in the channel), so that a count kept only
      // then (per product, in a map whose entry goes when its last call ends) is there to be set too.
      echo.holdNext.set(true);
      Thread underWay = new Thread(() -> thrownBy(() -> probe.fetch("grinder")), "a checkout whose fetch is under way");
      underWay.setDaemon(true);
      underWay.start();
      List<String> counts = new ArrayList<>();
      try {
        assertThat(echo.holding.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).as("TODO 3: a fetch of the grinder"
            + " reached the channel within %d s", TEST_DEADLINE.toSeconds()).isTrue();
        // What a fetch makes as it starts (a semaphore per product, kept in a map, a static one too) is there now to be found.
        assertThat(queuesWithin(roots, true)).as("TODO 3: while a fetch of the grinder was under way, the StockClient (or a"
            + " static field of a class of the lab) held what makes a checkout wait for others' calls, or refuses it, past"
            + " its last permit, however many it has (listed below, where it is kept: a semaphore per product in a map, a"
            + " bulkhead in an interceptor on the stub's channel). Each fetch is its own call, for the same product too:"
            + " make the call in fetch, on the caller's thread, with no permit to wait for").isEmpty();
        for (long count : new long[] {0, Integer.MAX_VALUE / 2}) {
          String outcome = withCountsAt(roots, count, counts, () -> within(Duration.ofSeconds(6), "TODO 3: fetch on a"
              + " StockClient whose counts (" + counts + ") were set to " + count + " was still waiting 6 s later, on a"
              + " channel that answers at once: a count of calls at once that makes the next wait (a semaphore written by"
              + " hand) queues checkouts behind others' calls, whatever its limit", () -> thrownBy(() -> probe.fetch("grinder"))));
          assertThat(outcome == null ? "nothing" : outcome).as("TODO 3: what fetch of the grinder threw, made while another"
              + " fetch of the grinder was under way, on a StockClient whose counts (%s) were set to %,d, as if that many"
              + " calls were under way, or no permit left (a map or a set of the calls under way made %,d entries larger),"
              + " on a channel that answers at once: a cap of your own on calls at once, per product or for all, a number or"
              + " the size of a set, refuses checkouts, whatever its limit", counts, count, FILL).startsWith("nothing");
        }
      } finally {
        echo.release.countDown();
      }
      StockClient client = clientOf(serve(meeting()), TEST_DEADLINE);
      List<Object> results = workbook.test.LockStep.both(() -> LocalGrpc.text(client.fetch("grinder")),
          () -> LocalGrpc.text(client.fetch("kettle")));
      String met = "quantity: 1";
      assertThat(results).as("TODO 3: two fetches of one StockClient made at the same time (two checkout threads), to an"
          + " inventory that answers quantity 1 once both calls are in it and 0 when one waited 2 s alone: fetch must not"
          + " hold a lock (synchronized) while its call waits for the inventory, or each caller waits for the calls before"
          + " it, beyond its own deadline. A stub is safe to share; each call builds its own request. Results: %s", results)
          .hasSize(2).allMatch(result -> String.valueOf(result).contains(met));
      assertThat(results.get(0) + " | " + results.get(1)).as("TODO 3: each of two fetches made at once asks for its own"
          + " product: build each call's request inside fetch, never in a field both calls share")
          .contains("grinder").contains("kettle");
      // Two checkouts asking for the SAME product at once are two calls too, both in the inventory together: no lock
      // per product, and no sharing of a call already under way (it runs under another caller's deadline).
      StockClient same = clientOf(serve(meeting()), TEST_DEADLINE);
      List<Object> twins = workbook.test.LockStep.both(() -> LocalGrpc.text(same.fetch("grinder")),
          () -> LocalGrpc.text(same.fetch("grinder")));
      assertThat(twins).as("TODO 3: two fetches of the grinder on one StockClient made at the same time, to an inventory"
          + " that answers quantity 1 once both calls are in it and 0 when one waited 2 s alone: each fetch is its own call,"
          + " in the inventory at once with the other, also for the same product (no lock per product, no joining a call"
          + " already under way: it runs under another caller's deadline). Results: %s", twins)
          .hasSize(2).allMatch(result -> String.valueOf(result).contains(met));
      // Nor on a pool of a fixed size that the JVM keeps, which no field of the client shows: the common pool has cores - 1
      // workers, so two checkouts fit it on most machines, and the checkout after its last worker waits all the same.
      PoolWatch pools = new PoolWatch();
      StockClient watched = new StockClient(io.grpc.ClientInterceptors.intercept(new EchoChannel(), pools), TEST_DEADLINE);
      String[] fetched = {"gave no answer within " + TEST_DEADLINE.toSeconds() + " s"};
      Thread checkout = new Thread(() -> fetched[0] = thrownBy(() -> watched.fetch("grinder")), "a checkout calling fetch");
      checkout.setDaemon(true);
      checkout.start();
      checkout.join(TEST_DEADLINE.toMillis());
      assertThat(pools.seen).as("TODO 3: where fetch made its call (it %s): on a thread of %s. A call in gRPC's blocking"
          + " stub holds its thread until the answer comes, so past the pool's last worker the next checkout waits for others'"
          + " calls, past its own deadline, whatever the machine. Make the call in fetch, on the caller's thread (the stub is"
          + " safe to share, and its deadline already bounds the wait)", fetched[0], pools.seen).isEmpty();
      assertThat(pools.onAsyncTask.get() ? defaultExecutorCalls("fetch") : List.of()).as("TODO 3: where fetch hands its call to CompletableFuture's default executor"
          + " (an ...Async method given no executor): ForkJoinPool.commonPool() and its cores - 1 workers, which a call waiting"
          + " in gRPC's blocking stub holds, so past its last worker the next checkout waits for others' calls, past its own"
          + " deadline. Make the call in fetch, on the caller's thread (the stub is safe to share)").isEmpty();
    }

    @Test
    @DisplayName("fetches made at the same time on one client each ask for their own product: no request builder shared between calls")
    void fetchesAtOnceAskForTheirOwn() throws Exception {
      // One builder in a field is used by every call: a race that needs two threads inside fetch at the same nanosecond,
      // which a busy machine may not give the run below. So the rule is checked by its letter first, then by calls.
      assertThat(builderFields(StockClient.class)).as("TODO 3: StockClient keeps a protobuf builder in a field, which every"
          + " fetch on this client shares: two checkout threads fetching at once can each send the id the other one set."
          + " Build each call's request inside fetch (CheckStockRequest.newBuilder()...build())").isEmpty();
      assertThat(labBuilderFields(CheckStockRequest.Builder.class::isAssignableFrom)).as("TODO 3: a class of the lab keeps a"
          + " request builder in a field (listed below, where it is kept: a helper class next to StockClient too), which"
          + " every fetch that builds its request there shares: two checkout threads fetching at once can each send the id"
          + " the other one set. Build each call's request inside fetch (CheckStockRequest.newBuilder()...build())").isEmpty();
      EchoChannel echo = new EchoChannel();
      StockClient client = new StockClient(echo, TEST_DEADLINE);
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
      List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int caller = t;
        Thread thread = new Thread(() -> {
          try {
            start.await(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            return;
          }
          // (at most 5 s of calls: a correct fetch that starts a thread of its own per call pays for 20,000 of them)
          long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
          for (int i = 0; i < 20_000 && wrong.size() < 3 && System.nanoTime() < until; i++) {
            String id = "product-" + caller + "-" + i;
            try {
              String got = client.fetch(id).getProductId();
              if (!got.equals(id)) wrong.add("fetch(" + id + ") asked for " + got);
            } catch (RuntimeException e) {
              wrong.add("fetch(" + id + ") threw " + e);
            }
          }
        });
        callers.add(thread);
        thread.start();
      }
      for (Thread thread : callers) thread.join(30_000);
      assertThat(wrong).as("TODO 3: four checkout threads calling fetch on one StockClient at the same time (up to 20,000"
          + " calls each, within 5 s, at most %d in fetch at once), on a channel that answers each request with the id it carried: a"
          + " call sent another call's id. Build each call's request inside fetch (CheckStockRequest.newBuilder()), never"
          + " with one builder kept in a field every call shares", echo.together.get())
          .isEmpty();
    }

    @Test
    @DisplayName("each client calls its own inventory with its own deadline, whichever client was built last: fetch keeps nothing for all clients")
    void eachClientFetchesOnItsOwn() {
      List<String> went = clientsInTurn(StockClient::fetch);
      assertThat(went).as("TODO 3: fetch(grinder) on a client of the first channel (a 7 s deadline), then on one of the second"
          + " (11 s), then on the first again, once both clients were built: where each call went and the deadline it"
          + " had. A StockClient's stub and deadline are its own (instance fields, as given): one kept in a static field is"
          + " the last client's, so a checkout with two inventories (the demo's fast and slow ones) asks the wrong one")
          .containsExactly("first 7 s", "second 11 s", "first 7 s");
    }

    @Test
    @DisplayName("fetch sends an id past ASCII as protobuf's UTF-8 string, on a machine of any default charset")
    void fetchSendsUtf8WhateverTheMachine() throws Exception {
      assertThat(idsSentUnderOtherCharsets(StockClient::fetch)).as("TODO 3: ids past ASCII that fetch sent as another id while the"
          + " JVM's default charset was another than UTF-8, as on Java 17 under Windows (cp1252) or LANG=C (ASCII): a"
          + " protobuf string is UTF-8 on every machine, and setProductId(productId) writes it so; the id's bytes in the"
          + " machine's own charset (getBytes(), ByteString.copyFrom(bytes)) are another id there, or bytes the inventory"
          + " refuses").isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: a request and an answer of 4 MiB
    @DisplayName("fetch asks for the caller's id whole, up to gRPC's own 4 MiB message: no size limit of the client's own")
    void fetchSendsTheIdWhole() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      // Not narrated: the story would print each request into the run's record, 4 MB of it.
      StockClient client = clientOf(serve(inventory, false), TEST_DEADLINE);
      List<String> wrong = new ArrayList<>();
      // A request of 4,194,302 bytes whose answer (the id and 7 units) is exactly gRPC's own 4 MiB, so that a limit of the
      // client's own anywhere below it, on what it sends or what it takes in (withMaxOutboundMessageSize,
      // withMaxInboundMessageSize), shows; and 10,000 4-byte characters, 40,000 bytes.
      for (String id : List.of("p" + "q".repeat(4_194_296), "p" + "\ud83c\udf75".repeat(10_000))) {
        String did;
        try {
          String answered = client.fetch(id).getProductId();
          did = answered.equals(id) ? "answered" : "answered for another id, of " + answered.length() + " characters";
        } catch (RuntimeException e) {
          did = "threw " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        int calls = inventory.calls.getOrDefault(id, 0);
        if (!did.equals("answered") || calls != 1) {
          wrong.add("fetch of an id of " + id.length() + " characters (" + id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              + " bytes) " + (did.length() > 200 ? did.substring(0, 200) + "..." : did) + ", and the inventory was asked for it " + calls + " times");
        }
      }
      assertThat(wrong).as("TODO 3: fetch, on an inventory that answers 7 units of any id: the inventory is asked for the id the"
          + " caller gave, whole, and the answer comes back, up to gRPC's own 4 MiB message. A size limit of your own on the"
          + " stub (withMaxOutboundMessageSize, withMaxInboundMessageSize) refuses valid questions before they leave, or"
          + " their answers when they come: the inventory decides what it knows").isEmpty();
    }

    @Test
    @DisplayName("each call's deadline is the caller's to the millisecond, from 1 ms to a year and past it (to gRPC's own limit), counted from the call")
    void deadlineAsGiven() throws Exception {
      Server s = serve(new ScriptedInventory(Duration.ZERO));
      DeadlineAtStart watch = new DeadlineAtStart();
      io.grpc.Channel watched = io.grpc.ClientInterceptors.intercept(channelTo(s), watch);
      // gRPC's own limit on a deadline (Deadline clamps an offset at some 100 years): a longer one is carried as that
      // limit, as withDeadlineAfter(Duration) gives it, so the range checked reaches past any cap of the client's own.
      long most = io.grpc.Deadline.after(Long.MAX_VALUE, TimeUnit.NANOSECONDS).timeRemaining(TimeUnit.NANOSECONDS);
      // Whole milliseconds, and deadlines with a part below the millisecond (999,999 ns of it): a Duration is carried as it
      // is, so deadline.toMillis() (or toSeconds(), or any rounding) shows as a deadline shorter than the caller's.
      // And deadlines drawn over Duration's whole range, each with a part below the second: an arithmetic of your own on
      // seconds and nanos that overflows (past 292 years, where a long of nanoseconds ends) shows wherever it does.
      long seed = new java.util.Random().nextLong();
      List<Duration> drawn = drawnDeadlines(new java.util.Random(seed), 12);
      List<Duration> deadlines = new ArrayList<>(DEADLINES);
      deadlines.addAll(drawn);
      // A checkout's thread makes call after call: both calls of a client are made on it, so a stub (or a deadline) kept
      // per thread is met by the second call, as by a pooled checkout thread's next call.
      java.util.concurrent.ExecutorService checkout = checkoutThread();
      try {
        for (Duration deadline : deadlines) {
          String shown = deadline + (drawn.contains(deadline) ? " (drawn from seed " + seed + ")" : "");
          StockClient timed = new StockClient(watched, deadline);
          // What the call carries: the caller's deadline, or gRPC's own limit past it (Duration.toNanos saturated, as gRPC does).
          long given = Math.min(deadline.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : deadline.toNanos(), most);
          // The second call, 20 ms after the first, gets the whole deadline too (past a year, one call: what it checks is the cap).
          int calls = deadline.compareTo(Duration.ofDays(365)) > 0 ? 1 : 2;
          for (int call = 1; call <= calls; call++) {
            if (call == 2) Thread.sleep(20);
            long[] started = new long[1]; // when fetch was called, on the thread that calls it: nothing of the test's between
            String ended = within(Duration.ofSeconds(3), NO_DEADLINE, checkout, () -> {
              try {
                started[0] = System.nanoTime();
                return LocalGrpc.describe(statusOf(() -> timed.fetch("grinder")));
              } catch (RuntimeException e) {
                return "fetch threw " + e; // Duration.toNanos() of a deadline past 292 years, say
              }
            });
            long[] seen = watch.calls.poll();
            assertThat(seen).as("TODO 3: fetch made no call, for a client built with a %s deadline (it ended: %s): give the"
                + " call the Duration as it is, stub.withDeadlineAfter(deadline), which carries any deadline (past gRPC's own"
                + " limit of some 100 years, that limit)", shown, ended).isNotNull();
            assertThat(watch.calls).as("TODO 3: calls one fetch made beyond the first, with a %s deadline: one fetch is one"
                + " call, within the caller's deadline; asking again is the caller's decision", shown).isEmpty();
            assertThat(seen[0]).as("TODO 3: a call of a client built with a %s deadline started without one: give every call"
                + " stub.withDeadlineAfter(deadline)", shown).isNotEqualTo(Long.MIN_VALUE);
            assertThat(seen[2]).as("TODO 3: call %d of a client built with a %s deadline was made wait-for-ready"
                + " (withWaitForReady()): to an inventory that is down it waits out its deadline, however short, instead of"
                + " failing at once with UNAVAILABLE for the caller to decide. Whatever the deadline, make no call wait for"
                + " ready", call, shown).isZero();
            // Exact, with no allowance: the call's deadline was made after fetch was called (started) and read before seen[1],
            // both on System.nanoTime as gRPC's Deadline counts, so what is left of the caller's whole deadline is at least
            // given - elapsed. Only a deadline shorter than the caller's (a margin, a rounding, one made earlier) is below it.
            long elapsed = seen[1] - started[0], left = seen[0];
            assertThat(left).as("TODO 3: nanoseconds left of the deadline when fetch started call %d of one client, %d ns"
                + " after fetch was called, for a client built with a %s deadline: the call's deadline is the caller's, as it"
                + " is, to the nanosecond (no margin of your own, not rounded: deadline.toMillis() cuts what is below the"
                + " millisecond, withDeadlineAfter(deadline) takes the Duration whole), counted from this call's start; a stub"
                + " kept from an earlier call (in a field, or per thread: both calls were made on one checkout thread), for"
                + " however short a time, gives only what is left of an older deadline; no cap of"
                + " your own either, past a year too: only gRPC's own limit of some 100 years (%d ns) cuts one", call, elapsed,
                shown, most)
                .isBetween(given - elapsed, given == most ? most + 1_000_000 : given);
          }
        }
      } finally {
        checkout.shutdownNow();
      }
      // Inside a Context that has a deadline of its own, a longer one (checkout serving its own caller, with a day to spare):
      // the call still carries the client's deadline as given (on the wire gRPC itself keeps the sooner of the two).
      java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
      io.grpc.Context.CancellableContext longer = io.grpc.Context.current().withDeadlineAfter(1, TimeUnit.DAYS, timer);
      try {
        for (Duration deadline : List.of(Duration.ofMillis(250), Duration.ofSeconds(4).plusNanos(999_999))) {
          StockClient timed = new StockClient(watched, deadline);
          watch.calls.clear();
          long[] started = new long[1];
          String ended = within(Duration.ofSeconds(3), NO_DEADLINE, () -> {
            String[] outcome = {"nothing"};
            longer.run(() -> {
              started[0] = System.nanoTime();
              outcome[0] = LocalGrpc.describe(statusOf(() -> timed.fetch("grinder")));
            });
            return outcome[0];
          });
          long[] seen = watch.calls.poll();
          assertThat(seen).as("TODO 3: fetch made no call inside a Context with a deadline a day away, for a client built with"
              + " a %s deadline (it ended: %s)", deadline, ended).isNotNull();
          assertThat(seen[0]).as("TODO 3: nanoseconds left of the deadline of a call fetch made inside a Context whose own"
              + " deadline is a day away (checkout serving its own caller), %d ns after fetch was called, for a client built"
              + " with a %s deadline: the call carries the client's deadline as given, withDeadlineAfter(deadline), not the"
              + " Context's (Context.current().getDeadline()): gRPC already ends the call at the sooner of the two, and a"
              + " longer one taken in place of the client's lets a call wait far past what the caller allowed",
              seen[1] - started[0], deadline).isBetween(deadline.toNanos() - (seen[1] - started[0]), deadline.toNanos());
        }
      } finally {
        longer.cancel(null);
        timer.shutdownNow();
      }
      // Below the range: a deadline of 0 or less is one already passed, never 'no deadline'. A client may refuse it when
      // built (IllegalArgumentException); one that takes it gives its calls that deadline, and they fail DEADLINE_EXCEEDED.
      for (Duration passed : new Duration[] {Duration.ZERO, Duration.ofNanos(-1), Duration.ofMillis(-1), Duration.ofSeconds(-30)}) {
        StockClient built;
        try {
          built = new StockClient(watched, passed);
        } catch (IllegalArgumentException refused) {
          continue;
        }
        StockClient timed = built;
        watch.calls.clear();
        Status status = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> timed.fetch("grinder")));
        long[] seen = watch.calls.poll();
        assertThat(seen == null ? "no call" : seen[0] == Long.MIN_VALUE ? "a call without a deadline" : "a call with "
            + seen[0] + " ns left of its deadline").as("TODO 3: the call fetch made on a client built with a deadline of %s"
            + " (or refuse it in the constructor, IllegalArgumentException): a deadline of 0 or less has passed already,"
            + " it is not 'no deadline'; a call without one can wait forever. Give every call stub.withDeadlineAfter(deadline)", passed)
            .matches("no call|a call with (-\\d+|0) ns left of its deadline");
        assertThat(status.getCode()).as("TODO 3: what fetch met on a client built with a deadline of %s (%s): a deadline"
            + " that has passed fails the call with DEADLINE_EXCEEDED", passed, status).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      }
    }

    @Test
    @DisplayName("a call to an inventory that is down fails at once with UNAVAILABLE, not at its deadline")
    void downIsUnavailable() throws InterruptedException {
      // The sweep first: it starts at 250 ms, so a wrong answer that waits out its deadline costs a quarter of a second here.
      List<String> wrong = downWhateverTheDeadline(client2 -> LocalGrpc.describe(statusOf(() -> client2.fetch("grinder"))),
          "UNAVAILABLE", "DEADLINE_EXCEEDED");
      assertThat(wrong).as("TODO 3: fetch to an inventory that is down, on clients built with deadlines from 250 ms to Duration's"
          + " largest, on a channel that is not connected: whatever its deadline, one fetch is one call, and a refused"
          + " connection fails it at once with UNAVAILABLE. No deadline, short or long, and no state of the channel is a"
          + " reason to wait for the inventory (withWaitForReady()) or to ask it again: the caller decides when to ask again"
          + " (check gives it TryLater)").isEmpty();
      Server gone = serve(new ScriptedInventory(Duration.ZERO));
      DeadlineAtStart watch = new DeadlineAtStart(); // notes each call fetch makes
      // A ManagedChannel, as a client may see it (it asks its state: not connected once the inventory stops).
      StockClient client = new StockClient(new WatchedChannel(channelTo(gone), watch), Duration.ofSeconds(5));
      LocalGrpc.stop(gone);
      long t0 = System.nanoTime();
      Status status = statusOf(() -> client.fetch("grinder"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(watch.calls.size()).as("TODO 3: calls one fetch made to an inventory nobody listens for any more (it ended"
          + " with %s): one fetch is one call, whatever its outcome. UNAVAILABLE is safe to retry, but whether and when to"
          + " ask again is the caller's decision (check gives it TryLater), not fetch's", LocalGrpc.describe(status)).isEqualTo(1);
      assertThat(status.getCode()).as("TODO 3: a call (5 s deadline) to an inventory nobody listens for any more ended"
          + " with %s after %d ms: a refused connection fails at once with UNAVAILABLE, so the caller can decide; a call"
          + " made withWaitForReady() waits out its deadline instead", LocalGrpc.describe(status), ms)
          .isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(ms).as("TODO 3: ms until a call to an inventory that is down failed: a refused connection needs no deadline").isLessThan(3_000);
    }

    @Test
    @DisplayName("a server slower than usual but within the deadline still answers")
    void withinDeadlineAnswers() throws Exception {
      StockClient client = clientOf(serve(new ScriptedInventory(Duration.ofMillis(150))), Duration.ofSeconds(3));
      Status status = within(Duration.ofSeconds(4), "TODO 3: a call to a server that answers in 150 ms took more than 4 s",
          () -> statusOf(() -> client.fetch("grinder")));
      assertThat(status.getCode()).as("TODO 3: a 150 ms answer with a 3 s deadline ended with %s: use the deadline"
          + " given to the constructor, not one of your own", status.getCode()).isEqualTo(Status.Code.OK);
    }

    @Test
    @DisplayName("one fetch is one call, whatever the inventory answers: each of the 17 status codes ends it, with no retry of its own")
    void oneCallWhateverTheCode() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      Server s = serve(inventory, false);
      List<String> wrong = new ArrayList<>();
      // On a client with a few seconds, and on one with Duration's largest deadline: no deadline, however long, buys a retry.
      for (Duration deadline : List.of(TEST_DEADLINE, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))) {
        StockClient client = clientOf(s, deadline);
        inventory.calls.clear();
        for (Status.Code code : Status.Code.values()) {
          String id = code == Status.Code.OK ? "grinder" : "status:" + code;
          Status status = statusOf(() -> client.fetch(id));
          int calls = inventory.calls.getOrDefault(id, 0);
          if (status.getCode() != code || calls != 1) {
            wrong.add("the inventory answered " + code + ", to a client with a " + deadline + " deadline: fetch ended "
                + LocalGrpc.describe(status) + " after " + calls + " calls");
          }
        }
      }
      assertThat(wrong).as("TODO 3: fetch, on an inventory that answers each status code in turn: one fetch is one call, and"
          + " its outcome is the inventory's (an answer, or a StatusRuntimeException with the code it sent). A retry of"
          + " fetch's own (on ABORTED, RESOURCE_EXHAUSTED, UNAVAILABLE...) asks twice where the caller asked once, under a"
          + " deadline that was the first call's, whatever time that deadline leaves; whether to ask again is the caller's"
          + " decision (check gives it TryLater)").isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: calls held in a slow inventory until they end
    @DisplayName("a fetch made inside checkout's own call ends with it: that Context's cancel, or its sooner deadline, ends the call")
    void fetchEndsWithTheCallersContext() throws Exception {
      List<String> wrong = endsWithTheCallersContext("TODO 3", client -> LocalGrpc.describe(statusOf(() -> client.fetch("grinder"))),
          Status.Code.CANCELLED.name(), Status.Code.CANCELLED.name(), Status.Code.DEADLINE_EXCEEDED.name());
      assertThat(wrong).as("TODO 3: fetch made inside a Context of checkout's own (its caller's call, with a 60 s deadline on"
          + " the client): gRPC ends the call when that Context is cancelled (its caller gave up: CANCELLED), or at its"
          + " deadline when that is sooner than the client's (DEADLINE_EXCEEDED), so that no call outlives what checkout's"
          + " caller allowed. Make the call in the caller's Context as it is: a fork of it (Context.current().fork(),"
          + " Context.ROOT) cuts the call loose, and it waits for the client's whole deadline for nobody").isEmpty();
    }
  }

  /**
   * What went wrong with {@code call} (fetch or check) to an inventory that is down, on clients built with deadlines from
   * 1 ms to Duration's largest, and more drawn over that range (its seed in the line), on a ManagedChannel (as a client
   * may see it: not connected): each must make one call, not wait-for-ready, and end at once (within 3 s), its outcome
   * starting with {@code expected}; below a second, or with {@code whenShort} if the deadline passed before the refusal came
   * (a busy machine). Stops at the first wrong one.
   */
  List<String> downWhateverTheDeadline(java.util.function.Function<StockClient, String> call, String expected, String whenShort)
      throws InterruptedException {
    Server gone = serve(new ScriptedInventory(Duration.ZERO));
    DeadlineAtStart watch = new DeadlineAtStart(); // notes each call made
    io.grpc.Channel watched = new WatchedChannel(channelTo(gone), watch);
    LocalGrpc.stop(gone);
    long seed = new java.util.Random().nextLong();
    // Below a second too (the demo's 500 ms): a refused connection comes at once, whatever time the deadline leaves.
    List<Duration> deadlines = new ArrayList<>(List.of(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(999),
        Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1),
        Duration.ofDays(366), Duration.ofDays(36_525), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
    List<Duration> drawn = drawnDeadlines(new java.util.Random(seed), 8);
    deadlines.addAll(drawn);
    List<String> wrong = new ArrayList<>();
    for (Duration deadline : deadlines) {
      StockClient client = new StockClient(watched, deadline);
      watch.calls.clear();
      String shown = deadline + (drawn.contains(deadline) ? " (drawn from seed " + seed + ")" : "");
      long t0 = System.nanoTime();
      String ended;
      try {
        ended = within(Duration.ofSeconds(3), "waited", () -> call.apply(client));
      } catch (AssertionError e) {
        ended = "still waiting 3 s later";
      } catch (Exception e) {
        ended = "threw " + e;
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      boolean waitedForReady = watch.calls.stream().anyMatch(made -> made[2] == 1);
      boolean belowASecond = deadline.compareTo(Duration.ofSeconds(1)) < 0;
      if (!(ended.startsWith(expected) || belowASecond && ended.startsWith(whenShort)) || watch.calls.size() != 1 || waitedForReady) {
        wrong.add("with a " + shown + " deadline: " + ended + " after " + ms + " ms and " + watch.calls.size() + " calls"
            + (waitedForReady ? " made wait-for-ready (withWaitForReady(): it waits for the inventory, out to its deadline)" : "")
            + ", not " + expected + " at once after one call");
        break;
      }
    }
    return wrong;
  }

  /** {@code call}'s outcome, made with {@code context} as the current Context (checkout serving its own caller). */
  static <T> T inContext(io.grpc.Context context, Supplier<T> call) {
    io.grpc.Context previous = context.attach();
    try {
      return call.get();
    } finally {
      context.detach(previous);
    }
  }

  /**
   * What went wrong with {@code call} (fetch or check on a client with a 60 s deadline) made inside checkout's own Context:
   * one cancelled before it (to an inventory that answers at once), one cancelled while the call waits in a 30 s look-up,
   * and one whose own deadline, 300 ms, is sooner than the client's. Each must end with the Context (within 5 s), its
   * outcome starting with the one expected for that case.
   */
  List<String> endsWithTheCallersContext(String todo, java.util.function.Function<StockClient, String> call, String whenCancelledBefore,
      String whenCancelledDuring, String atTheSoonerDeadline) throws Exception {
    List<String> wrong = new ArrayList<>();
    Duration clients = Duration.ofSeconds(60);
    // Cancelled before the call: checkout's caller has already gone.
    StockClient quick = clientOf(serve(new ScriptedInventory(Duration.ZERO), false), clients);
    io.grpc.Context.CancellableContext gone = io.grpc.Context.current().withCancellation();
    gone.cancel(null);
    String before = within(Duration.ofSeconds(10), todo + ": a call made inside a Context already cancelled was still waiting"
        + " 10 s later", () -> inContext(gone, () -> call.apply(quick)));
    if (!before.startsWith(whenCancelledBefore)) wrong.add("inside a Context cancelled before the call: " + before + ", not " + whenCancelledBefore);
    if (!wrong.isEmpty()) return wrong; // the cases below wait for a call that does not end: one case shown is enough
    // Cancelled while the call waits in the inventory's look-up (30 s): the call ends then, not at the client's deadline.
    CallWatch watch = new CallWatch();
    StockClient slow = clientOf(serve(() -> io.grpc.ServerInterceptors.intercept(
        new StockService(StockService.STOCK, Duration.ofSeconds(30)), watch), false), clients);
    io.grpc.Context.CancellableContext leaving = io.grpc.Context.current().withCancellation();
    CompletableFuture<String> during = CompletableFuture.supplyAsync(() -> inContext(leaving, () -> call.apply(slow)),
        workbook.test.Background.OWN_THREAD);
    if (!watch.entered.await(TEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
      wrong.add("inside a Context of checkout's own, the call never reached the inventory within " + TEST_DEADLINE.toSeconds() + " s");
    }
    leaving.cancel(null);
    try {
      String ended = during.get(5, TimeUnit.SECONDS);
      if (!ended.startsWith(whenCancelledDuring)) wrong.add("inside a Context cancelled while the call waited: " + ended + ", not " + whenCancelledDuring);
    } catch (TimeoutException e) {
      wrong.add("inside a Context cancelled while the call waited, it was still waiting 5 s later (the client's deadline is 60 s)");
    }
    if (!wrong.isEmpty()) return wrong;
    // A deadline of the Context's own, sooner than the client's: gRPC keeps the sooner of the two.
    java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    io.grpc.Context.CancellableContext sooner = io.grpc.Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, timer);
    try {
      CompletableFuture<String> bounded = CompletableFuture.supplyAsync(() -> inContext(sooner, () -> call.apply(slow)),
          workbook.test.Background.OWN_THREAD);
      String ended = bounded.get(5, TimeUnit.SECONDS);
      if (!ended.startsWith(atTheSoonerDeadline)) wrong.add("inside a Context whose deadline, 300 ms, is sooner than the client's: " + ended + ", not " + atTheSoonerDeadline);
    } catch (TimeoutException e) {
      wrong.add("inside a Context whose deadline, 300 ms, is sooner than the client's (60 s), it was still waiting 5 s later");
    } finally {
      sooner.cancel(null);
      timer.shutdownNow();
    }
    return wrong;
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: turn status codes into decisions")
  class Step4 {
    StockClient client(Duration deadline) throws InterruptedException {
      return clientOf(serve(new ScriptedInventory(Duration.ZERO)), deadline);
    }

    @Test
    @DisplayName("an answer is InStock (0 units too), and NOT_FOUND is NoSuchProduct")
    void inStockAndNoSuchProduct() throws InterruptedException {
      StockClient client = client(TEST_DEADLINE);
      assertThat(client.check("grinder")).as("TODO 4: check(grinder) when the inventory answers 7 units")
          .isEqualTo(new StockClient.InStock("grinder", 7));
      assertThat(client.check("unicorn")).as("TODO 4: check(unicorn) when the inventory says NOT_FOUND")
          .isEqualTo(new StockClient.NoSuchProduct("unicorn"));
      assertThat(client.check(ScriptedInventory.NONE_LEFT)).as("TODO 4: check(%s) when the inventory answers 0 units: the"
          + " product exists, so it is InStock with quantity 0; NoSuchProduct is for NOT_FOUND only", ScriptedInventory.NONE_LEFT)
          .isEqualTo(new StockClient.InStock(ScriptedInventory.NONE_LEFT, 0));
      // Whatever level the inventory answers is the answer, over int32's whole range: a negative level (units promised
      // already, on backorder) is as much an answer as 0, and no bound of the client's own changes it.
      List<String> wrong = new ArrayList<>();
      for (int quantity : new int[] {-1, -3, -1_000, Integer.MIN_VALUE, Integer.MIN_VALUE + 1, 1, 8, 1_000_000, Integer.MAX_VALUE}) {
        String id = ScriptedInventory.LEVEL + quantity;
        String did = reaction(() -> client.check(id));
        String expected = "returned " + new StockClient.InStock(id, quantity);
        if (!did.equals(expected)) wrong.add("the inventory answered " + quantity + " units, check " + did);
      }
      assertThat(wrong).as("TODO 4: check(...) when the inventory answers a level: InStock carries the quantity exactly as"
          + " the inventory said it, negative ones too (units already promised), no clamping or bound of the client's own")
          .isEmpty();
    }

    @Test
    @DisplayName("many TryLater checks in a row, then the inventory answers again: each check is one call, the next answer is InStock")
    void manyTryLaterThenAnswer() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      StockClient client = clientOf(serve(inventory), TEST_DEADLINE);
      List<String> wrong = new ArrayList<>();
      int checks = 0;
      // Long runs of each TryLater code and of both mixed, then an answer: no breaker, back-off or memory between checks.
      Status.Code[][] runs = {
          {Status.Code.UNAVAILABLE}, {Status.Code.DEADLINE_EXCEEDED}, {Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED}};
      for (Status.Code[] run : runs) {
        for (int i = 0; i < 12; i++) {
          Status.Code code = run[i % run.length];
          inventory.failing = code;
          String did = reaction(() -> client.check("grinder"));
          checks++;
          String expected = "returned " + new StockClient.TryLater(code);
          if (!did.equals(expected)) wrong.add("check " + checks + " (inventory says " + code + ") " + did + "; should have " + expected);
          int calls = inventory.calls.getOrDefault("grinder", 0);
          if (calls != checks) wrong.add("after check " + checks + " (inventory says " + code + ") the inventory had " + calls + " calls, not " + checks);
        }
        inventory.failing = null;
        String did = reaction(() -> client.check("grinder"));
        checks++;
        String expected = "returned " + new StockClient.InStock("grinder", 7);
        if (!did.equals(expected)) wrong.add("check " + checks + " (the inventory answers 7 units again) " + did + "; should have " + expected);
        int calls = inventory.calls.getOrDefault("grinder", 0);
        if (calls != checks) wrong.add("after check " + checks + " (the inventory answers again) it had " + calls + " calls, not " + checks);
      }
      inventory.failing = null;
      assertThat(wrong).as("TODO 4: check(grinder) through long runs of UNAVAILABLE and DEADLINE_EXCEEDED, each run followed"
          + " by the inventory answering again: every check is one call and its own outcome decides (TryLater for each failure,"
          + " InStock as soon as the inventory answers); no circuit breaker, back-off or memory of earlier checks: when to"
          + " ask again is the caller's decision").isEmpty();
    }

    @Test
    @DisplayName("whatever a client has counted, each check is one call made at once: no breaker or back-off of its own, whatever its threshold")
    void noCountSkipsACheck() throws Exception {
      // A client needs no pause between checks: its call waits in gRPC, bounded by its deadline. A pause of its own (a
      // back-off) is read from the class files, as no run of failures can be long enough for every threshold.
      assertThat(clientPauses()).as("TODO 4: where the client's code (StockClient, or a class of your own next to it) pauses"
          + " a checkout (listed below): a back-off before a check (after TryLater answers, say) delays every checkout behind"
          + " earlier failures; each check makes its one call at once, and when to ask again is the caller's decision"
          + " (TryLater)").isEmpty();
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      StockClient client = clientOf(serve(inventory, false), TEST_DEADLINE);
      // A few checks first (a TryLater, an answer), so that what checks count (failures in a row, say) is there to be set.
      inventory.failing = Status.Code.UNAVAILABLE;
      reaction(() -> client.check("grinder"));
      inventory.failing = null;
      reaction(() -> client.check("grinder"));
      Status.Code[] script = {Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAVAILABLE, Status.Code.OK};
      List<String> expected = new ArrayList<>();
      for (Status.Code code : script) {
        expected.add(code == Status.Code.OK ? "returned " + new StockClient.InStock("grinder", 7) : "returned " + new StockClient.TryLater(code));
      }
      // The script's checks, each with its outcome (and how many calls it made, when not one).
      java.util.concurrent.Callable<List<String>> scripted = () -> {
        List<String> outcomes = new ArrayList<>();
        for (Status.Code code : script) {
          inventory.failing = code == Status.Code.OK ? null : code;
          int before = inventory.calls.getOrDefault("grinder", 0);
          String outcome = reaction(() -> client.check("grinder"));
          int calls = inventory.calls.getOrDefault("grinder", 0) - before;
          outcomes.add(outcome + (calls == 1 ? "" : ", with " + calls + " calls"));
        }
        return outcomes;
      };
      List<String> counts = new ArrayList<>();
      List<String> wrong = new ArrayList<>();
      try {
        // The counts the client keeps, set as if that many checks (failed ones in a row too) had come before: 0, and far
        // more than any test makes, so that a breaker's threshold of any size is past.
        for (long count : new long[] {0, Integer.MAX_VALUE / 2}) {
          List<String> did = withCountsAt(Map.of(client, "StockClient"), count, counts, scripted);
          if (did != null && !did.equals(expected)) wrong.add("with the counts (" + counts + ") at " + count + ": " + did);
        }
        // And the counts set apart, each 0 or far past any threshold in every combination (failures far past answers, and
        // the other way round): a breaker whose rule reads two counts (failures outnumbering answers) opens only so.
        List<String> names = List.copyOf(counts);
        for (int mask : apartMasks(names).toArray()) {
          if (!wrong.isEmpty()) break;
          java.util.function.ToLongFunction<String> valueOf = setApart(names, mask);
          List<String> did = withCountsAt(Map.of(client, "StockClient"), valueOf, counts, scripted);
          if (did != null && !did.equals(expected)) wrong.add("with the counts set apart (" + shownApart(names, valueOf) + "): " + did);
        }
      } finally {
        inventory.failing = null;
      }
      assertThat(wrong).as("TODO 4: what check(grinder) gave (UNAVAILABLE, DEADLINE_EXCEEDED, UNAVAILABLE, then an answer), on a"
          + " client whose counts were set as if that many checks, or failures in a row, had come before; each should be one"
          + " call, its outcome alone deciding: %s. A circuit breaker (TryLater without a call once enough failures came in a"
          + " row, or once failures outnumber answers) answers from memory instead of the inventory, whatever its threshold: no breaker or back-off of your own,"
          + " asking again is the caller's decision", expected).isEmpty();
    }

    @Test
    @DisplayName("check asks for the caller's id exactly, of any length, and answers with it: no trimming, case folding or limit on the client either")
    void clientKeepsTheIdAsGiven() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      // Not narrated: the story would print each request into the run's record, 4 MB of it for the longest id.
      StockClient client = clientOf(serve(inventory, false), TEST_DEADLINE);
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      List<String> ids = new ArrayList<>(List.of(" grinder", "grinder ", "grinder\n", "\u2003grinder", "Grinder", "GRINDER", "gr\u00efnder",
          // Ids that Unicode normalisation (NFC, NFD, NFKC, NFKD) would change: decomposed accents, compatibility
          // characters, full-width letters, a ligature; the inventory is asked for them as they are, not for their canonical form.
          "cafe\u0301-cup", "gri\u0308nder", "\u212B", "\u2126hm", "\uFB01lter", "\uFF47rinder", "\u00e9\u0301", "\u1100\u1161", "x\u00b2"));
      // Ids of every length up to 10,000 characters are questions for the inventory too, not only the short ones.
      for (int length : new int[] {1, 2, 63, 64, 65, 99, 100, 101, 127, 128, 129, 255, 256, 257, 512, 1_000, 1_024, 4_096, 10_000}) {
        StringBuilder id = new StringBuilder("p");
        while (id.length() < length) id.append(random.nextInt(8) == 0 ? ' ' : (char) (0x21 + random.nextInt(0x7E - 0x21)));
        ids.add(id.toString());
      }
      // The longest ids again in wider characters (2, 3 and 4 bytes each in UTF-8): up to 30,000 bytes on the wire, in every run.
      for (String wide : new String[] {"\u00e9", "\u4e2d", "\ud83c\udf75"}) ids.add("p" + wide.repeat((10_000 - 1) / wide.length()));
      // And up to gRPC's own 4 MiB message, in every run: a request of 4,194,302 bytes, whose answer (the id and 7 units) is
      // exactly 4 MiB, so that a limit of the client's own anywhere below it shows.
      ids.add("p" + "q".repeat(4_194_296));
      List<String> wrong = new ArrayList<>();
      for (String id : ids) {
        String did = reaction(() -> client.check(id));
        String expected = "returned " + new StockClient.InStock(id, 7);
        if (!did.equals(expected) || inventory.calls.getOrDefault(id, 0) != 1) {
          String shown = id.length() <= 20 ? "\"" + id + "\"" : "an id of " + id.length() + " characters";
          wrong.add("check(" + shown + ") " + (did.length() > 200 ? did.substring(0, 200) + "..." : did) + ", and the inventory was"
              + " asked for it " + inventory.calls.getOrDefault(id, 0) + " times");
        }
      }
      // And the same ids when the inventory knows none of them (NOT_FOUND): NoSuchProduct names each as the caller gave
      // it too, on this path as on InStock's (the 4 MiB one is left out: its length is not what this path could change).
      inventory.failing = Status.Code.NOT_FOUND;
      try {
        for (String id : ids) {
          if (id.length() > 10_000) continue;
          String did = reaction(() -> client.check(id));
          String expected = "returned " + new StockClient.NoSuchProduct(id);
          if (!did.equals(expected) || inventory.calls.getOrDefault(id, 0) != 2) {
            String shown = id.length() <= 20 ? "\"" + id + "\"" : "an id of " + id.length() + " characters";
            wrong.add("check(" + shown + ") when the inventory said NOT_FOUND " + (did.length() > 200 ? did.substring(0, 200)
                + "..." : did) + ", and the inventory was asked for it " + (inventory.calls.getOrDefault(id, 0) - 1) + " times");
          }
        }
      } finally {
        inventory.failing = null;
      }
      assertThat(wrong).as("TODO 4: ids check changed or kept to itself (generated from seed %d): the inventory must be asked"
          + " once for the id the caller gave, exactly and whatever its length or characters, up to gRPC's own 4 MiB message (no size limit of the client's own, on"
          + " its stub either: withMaxOutboundMessageSize; nor of the server's, in StockServer.start: maxInboundMessageSize; the inventory decides what it knows; ' grinder'"
          + " is not the grinder, and a long id is not NoSuchProduct until the inventory says NOT_FOUND), and the Answer names"
          + " that id exactly, InStock and NoSuchProduct alike (new NoSuchProduct(productId), as the caller gave it)", seed)
          .isEmpty();
    }

    @Test
    @DisplayName("each client's check calls its own inventory with its own deadline, whichever client was built last")
    void eachClientChecksOnItsOwn() {
      List<String> went = clientsInTurn(StockClient::check);
      assertThat(went).as("TODO 4: check(grinder) on a client of the first channel (a 7 s deadline), then on one of the second"
          + " (11 s), then on the first again, once both clients were built: where each call went and the deadline it had."
          + " check's call is fetch's, on this client's stub with this client's deadline; nothing of a client kept in a"
          + " static field").containsExactly("first 7 s", "second 11 s", "first 7 s");
    }

    @Test
    @DisplayName("check sends an id past ASCII as protobuf's UTF-8 string, on a machine of any default charset")
    void checkSendsUtf8WhateverTheMachine() throws Exception {
      assertThat(idsSentUnderOtherCharsets(StockClient::check)).as("TODO 4: ids past ASCII that check sent as another id while"
          + " the JVM's default charset was another than UTF-8, as on Java 17 under Windows (cp1252) or LANG=C (ASCII):"
          + " check's call is fetch's, whose request carries the id as protobuf's UTF-8 string (setProductId(productId))")
          .isEmpty();
    }

    @Test
    @DisplayName("two checkouts calling check on one client at once are both in the inventory at once: check queues no call either")
    void overlappingChecksOverlap() throws Exception {
      StockClient client = clientOf(serve(meeting()), TEST_DEADLINE);
      List<Object> results = workbook.test.LockStep.both(() -> client.check("grinder"), () -> client.check("kettle"));
      assertThat(results).as("TODO 4: two checks on one StockClient made at the same time (two checkout threads), to an"
          + " inventory that answers quantity 1 once both calls are in it and 0 when one waited 2 s alone: check must not"
          + " hold a lock (synchronized) while its call waits for the inventory, or each checkout waits for the calls before"
          + " it; the decision needs no lock, it uses only what its own call returned. Results: %s", results)
          .containsExactly(new StockClient.InStock("grinder", 1), new StockClient.InStock("kettle", 1));
      StockClient same = clientOf(serve(meeting()), TEST_DEADLINE);
      List<Object> twins = workbook.test.LockStep.both(() -> same.check("grinder"), () -> same.check("grinder"));
      assertThat(twins).as("TODO 4: two checks of the grinder on one StockClient made at the same time, to an inventory"
          + " that answers quantity 1 once both calls are in it and 0 when one waited 2 s alone: each check is its own"
          + " call, in the inventory at once with the other, also for the same product (no lock per product, no answer"
          + " shared from a call under way). Results: %s", twins)
          .containsExactly(new StockClient.InStock("grinder", 1), new StockClient.InStock("grinder", 1));
      // Nor through a pool of a fixed size that the JVM keeps (the common pool: cores - 1 workers, so two fit on most machines).
      PoolWatch pools = new PoolWatch();
      StockClient watched = new StockClient(io.grpc.ClientInterceptors.intercept(new EchoChannel(), pools), TEST_DEADLINE);
      String[] checked = {"gave no answer within " + TEST_DEADLINE.toSeconds() + " s"};
      Thread checkout = new Thread(() -> checked[0] = thrownBy(() -> watched.check("grinder")), "a checkout calling check");
      checkout.setDaemon(true);
      checkout.start();
      checkout.join(TEST_DEADLINE.toMillis());
      assertThat(pools.seen).as("TODO 4: where check's call was made (it %s): on a thread of %s. A call in gRPC's blocking"
          + " stub holds its thread until the answer comes, so past the pool's last worker the next checkout waits for others'"
          + " calls, whatever the machine. Call fetch in check, on the caller's thread", checked[0], pools.seen).isEmpty();
      assertThat(pools.onAsyncTask.get() ? defaultExecutorCalls("check") : List.of()).as("TODO 4: where check hands its call to CompletableFuture's default executor"
          + " (an ...Async method given no executor): ForkJoinPool.commonPool() and its cores - 1 workers, which a call waiting"
          + " in gRPC's blocking stub holds, so past its last worker the next checkout waits for others' calls. Call fetch in"
          + " check, on the caller's thread").isEmpty();
    }

    @Test
    @DisplayName("an inventory that is down is TryLater(UNAVAILABLE)")
    void downIsTryLater() throws InterruptedException {
      Server gone = serve(new ScriptedInventory(Duration.ZERO));
      DeadlineAtStart watch = new DeadlineAtStart(); // notes each call check makes
      StockClient client = new StockClient(new WatchedChannel(channelTo(gone), watch), TEST_DEADLINE);
      assertThat(client.check("grinder")).as("TODO 4: check(grinder) while the inventory answers 7 units")
          .isEqualTo(new StockClient.InStock("grinder", 7));
      LocalGrpc.stop(gone);
      watch.calls.clear();
      String did = reaction(() -> client.check("grinder"));
      assertThat(watch.calls.size()).as("TODO 4: calls one check(grinder) made when nobody listens any more (it %s): each"
          + " check is one call; asking again later is what TryLater tells the caller", did).isEqualTo(1);
      assertThat(client.check("grinder")).as("TODO 4: check(grinder) when nobody listens any more, after an earlier"
          + " check had answered 7 units: worth trying again later, not 'no such product', and not the earlier answer"
          + " (the stock may have changed since; each check is one call, nothing remembered)")
          .isEqualTo(new StockClient.TryLater(Status.Code.UNAVAILABLE));
      List<String> wrong = downWhateverTheDeadline(client2 -> thrownBy(() -> client2.check("grinder")),
          "nothing, it returned " + new StockClient.TryLater(Status.Code.UNAVAILABLE),
          "nothing, it returned " + new StockClient.TryLater(Status.Code.DEADLINE_EXCEEDED));
      assertThat(wrong).as("TODO 4: check to an inventory that is down, on clients built with deadlines from 250 ms to Duration's"
          + " largest, on a channel that is not connected: whatever its deadline, each check is one call, and a refused"
          + " connection is TryLater(UNAVAILABLE) at once. No deadline, short or long, and no state of the channel is a reason"
          + " to wait for the inventory (withWaitForReady()) or to ask it again: TryLater tells the caller to, when it"
          + " chooses").isEmpty();
    }

    @Test
    @DisplayName("a deadline that passed is TryLater(DEADLINE_EXCEEDED)")
    void deadlineIsTryLater() throws Exception {
      DeadlineAtStart watch = new DeadlineAtStart(); // notes each call check makes
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(
          channelTo(serve(new StockService(StockService.STOCK, Duration.ofSeconds(10)))), watch), Duration.ofMillis(200));
      assertThat(within(Duration.ofSeconds(3), NO_DEADLINE + " (step 4 needs step 3)", () -> thrownBy(() -> client.check("grinder"))))
          .as("TODO 4: what check(...) gave on a server slower than the 200 ms deadline: DEADLINE_EXCEEDED means 'no answer"
              + " in time', worth trying later like UNAVAILABLE, so it is an Answer, not an exception")
          .isEqualTo("nothing, it returned " + new StockClient.TryLater(Status.Code.DEADLINE_EXCEEDED));
      assertThat(watch.calls.size()).as("TODO 4: calls one check(grinder) made on a server slower than its 200 ms deadline:"
          + " each check is one call, within the caller's deadline").isEqualTo(1);
    }

    @Test
    @DisplayName("each check carries the caller's whole deadline, as fetch does: check's call is fetch's, with no deadline of its own")
    void checkCarriesTheCallersDeadline() throws Exception {
      Server s = serve(new ScriptedInventory(Duration.ZERO));
      DeadlineAtStart watch = new DeadlineAtStart(); // notes each call check makes, and what was left of its deadline
      io.grpc.Channel watched = io.grpc.ClientInterceptors.intercept(channelTo(s), watch);
      long most = io.grpc.Deadline.after(Long.MAX_VALUE, TimeUnit.NANOSECONDS).timeRemaining(TimeUnit.NANOSECONDS);
      // The deadlines fetch's test builds clients with, over the same range (no number of check's own can match them all:
      // the demo's 500 ms, a second, a week, a cap of a year; parts below the millisecond; past 292 years, to Duration's
      // largest), and more drawn over Duration's whole range: the call check makes carries the client's Duration, as fetch gives it.
      long seed = new java.util.Random().nextLong();
      List<Duration> drawn = drawnDeadlines(new java.util.Random(seed), 6);
      List<Duration> deadlines = new ArrayList<>(DEADLINES);
      deadlines.addAll(drawn);
      // Both checks of a client on one checkout thread, as a pooled thread makes them: what is kept per thread shows.
      java.util.concurrent.ExecutorService checkout = checkoutThread();
      try {
        for (Duration deadline : deadlines) {
          String shown = deadline + (drawn.contains(deadline) ? " (drawn from seed " + seed + ")" : "");
          StockClient client = new StockClient(watched, deadline);
          long given = Math.min(deadline.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : deadline.toNanos(), most);
          int calls = deadline.compareTo(Duration.ofDays(365)) > 0 ? 1 : 2; // past a year, one call: what it checks is the cap
          for (int call = 1; call <= calls; call++) {
            long[] started = new long[1];
            String answer = within(Duration.ofSeconds(3), NO_DEADLINE + " (step 4 needs step 3)", checkout, () -> {
              started[0] = System.nanoTime();
              return thrownBy(() -> client.check("grinder"));
            });
            long[] seen = watch.calls.poll();
            assertThat(seen).as("TODO 4: check(grinder), on a client built with a %s deadline, made no call (it gave: %s):"
                + " check calls fetch, whose call carries any deadline (past gRPC's own limit of some 100 years, that limit)",
                shown, answer).isNotNull();
            assertThat(watch.calls).as("TODO 4: calls one check made beyond the first: each check is one call").isEmpty();
            assertThat(seen[0]).as("TODO 4: check(grinder), on a client built with a %s deadline, made a call without a"
                + " deadline: check calls fetch, whose call carries the caller's deadline", shown).isNotEqualTo(Long.MIN_VALUE);
            assertThat(seen[2]).as("TODO 4: check(grinder), on a client built with a %s deadline, made its call"
                + " wait-for-ready: to an inventory that is down it waits out its deadline instead of TryLater(UNAVAILABLE) at"
                + " once. check calls fetch, whose call waits for nothing but its answer", shown).isZero();
            long elapsed = seen[1] - started[0]; // the call's deadline was made after check was called, and read before seen[1]
            assertThat(seen[0]).as("TODO 4: nanoseconds left of the deadline of the call check(grinder) made (call %d), %d ns"
                + " after check was called, on a client built with a %s deadline: check's call is fetch's, carrying the"
                + " caller's deadline as it is, not a deadline of check's own (the demo's StockServer.DEADLINE, a number, a"
                + " cap, a rounding, a toNanos() that overflows, a stub kept per checkout thread: both checks were made on one):"
                + " call fetch(productId) in check; only gRPC's own limit of some"
                + " 100 years (%d ns) cuts one", call, elapsed, shown, most)
                .isBetween(given - elapsed, given == most ? most + 1_000_000 : given);
          }
        }
      } finally {
        checkout.shutdownNow();
      }
      // Below the range: a deadline of 0 or less has passed already, for check's call as for fetch's (unless the client
      // refuses it when built): TryLater(DEADLINE_EXCEEDED), never a call without a deadline.
      for (Duration passed : new Duration[] {Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(-30)}) {
        StockClient built;
        try {
          built = new StockClient(watched, passed);
        } catch (IllegalArgumentException refused) {
          continue;
        }
        StockClient client = built;
        watch.calls.clear();
        String answer = within(Duration.ofSeconds(3), NO_DEADLINE + " (step 4 needs step 3)", () -> thrownBy(() -> client.check("grinder")));
        long[] seen = watch.calls.poll();
        assertThat(seen == null ? "no call" : seen[0] == Long.MIN_VALUE ? "a call without a deadline" : "a call with "
            + seen[0] + " ns left of its deadline").as("TODO 4: the call check(grinder) made on a client built with a"
            + " deadline of %s (it gave: %s): a deadline of 0 or less has passed already, it is not 'no deadline': check"
            + " calls fetch, whose call carries it", passed, answer).matches("no call|a call with (-\\d+|0) ns left of its deadline");
        assertThat(answer).as("TODO 4: what check(grinder) gave on a client built with a deadline of %s: a deadline that"
            + " has passed is DEADLINE_EXCEEDED, so TryLater", passed)
            .isEqualTo("nothing, it returned " + new StockClient.TryLater(Status.Code.DEADLINE_EXCEEDED));
      }
    }

    @Test
    @DisplayName("INVALID_ARGUMENT is a bug on our side: an IllegalArgumentException, not an Answer")
    void invalidIsOurBug() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      StockClient client = clientOf(serve(inventory), TEST_DEADLINE);
      for (String blank : new String[] {"", "   ", "\t\n", "\u2003"}) {
        String shown = blank.isEmpty() ? "\"\"" : blank.chars().mapToObj(c -> String.format("U+%04X", c)).toList().toString();
        assertThat(thrownBy(() -> client.check(blank))).as("TODO 4: what check(%s) threw when the inventory said"
            + " INVALID_ARGUMENT (\"%s\"): asking again cannot help, so it must not look like an answer; keep the server's"
            + " description in the message, as the inventory worded it, whole (its %d characters: no cut of your own)", shown,
            ScriptedInventory.BLANK, ScriptedInventory.BLANK.length())
            .startsWith("IllegalArgumentException: ").contains(ScriptedInventory.BLANK);
        assertThat(inventory.calls.getOrDefault(blank, 0)).as("TODO 4: calls the inventory got for one check(%s): the id goes"
            + " to the inventory as the caller gave it, blank too, and the inventory decides what is valid; a check of your"
            + " own on the client is a second copy of the server's rule, which drifts from it", shown).isEqualTo(1);
      }
      // A status may come with no description at all (another server, a proxy): INVALID_ARGUMENT is still our bug.
      assertThat(thrownBy(() -> client.check(ScriptedInventory.BARE + "INVALID_ARGUMENT"))).as("TODO 4: what check(...) threw"
          + " when the inventory said INVALID_ARGUMENT with no description (Status.getDescription() is null): still an"
          + " IllegalArgumentException, whose message may say there was none; a description is optional, so nothing may"
          + " depend on it being there").startsWith("IllegalArgumentException");
      // Whatever description arrives is kept whole and as written: of any length (an inventory not behind StockServer.start's
      // ShortDescriptions sends thousands of characters, up to what a call's 8 KiB of headers carries) and of any characters,
      // those a format string reads too (%, %s, %n, {0}, $1, a backslash): no cut of the client's own, no format around it.
      Server plain = LocalGrpc.serve(0, new ScriptedInventory(Duration.ZERO)); // no ShortDescriptions
      extraServers.add(plain);
      StockClient direct = clientOf(plain, TEST_DEADLINE);
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      List<String> descriptions = new ArrayList<>(List.of("100% arabica is no product id", "product_id %s is blank%n (%d, %%)",
          "{0} is blank, said '{1}'", "$1 and \\1 are no ids"));
      for (int length : new int[] {199, 200, 201, 256, 1_000, 4_000, 7_000}) {
        StringBuilder text = new StringBuilder("scripted, " + length + " characters:");
        // Printable ASCII (one byte each in the header), with a % now and then in the shorter ones (three bytes each).
        while (text.length() < length) {
          char c = (char) (0x20 + random.nextInt(0x7E - 0x20));
          text.append(c == '%' && length > 1_000 ? '.' : c);
        }
        descriptions.add(text.toString());
      }
      List<String> cut = new ArrayList<>();
      for (String description : descriptions) {
        String threw = thrownBy(() -> direct.check(ScriptedInventory.INVALID + description));
        if (!threw.startsWith("IllegalArgumentException: ") || !threw.contains(description)) {
          cut.add("described by " + description.length() + " characters starting \"" + description.substring(0, Math.min(30, description.length()))
              + "\": " + (threw.length() > 160 ? threw.substring(0, 160) + "..." : threw));
        }
      }
      assertThat(cut).as("TODO 4: what check(...) threw when an inventory (one not behind StockServer.start's ShortDescriptions)"
          + " said INVALID_ARGUMENT with descriptions of every length and of the characters a format reads (generated from seed"
          + " %d): an IllegalArgumentException whose message holds the description whole and as written, whatever arrived;"
          + " no cut of your own (the server's ShortDescriptions is the server's, another inventory sends more), and no"
          + " String.format or MessageFormat with the description in its pattern (a %% in it throws)", seed).isEmpty();
    }

    @Test
    @DisplayName("all 17 status codes: each gets the README's decision, and each check asks the inventory once")
    void everyCode() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      Server s = serve(inventory);
      List<String> wrong = new ArrayList<>();
      List<String> askedAgain = new ArrayList<>();
      // On a client with a few seconds, and on one with Duration's largest deadline: no deadline, however long, buys a retry.
      for (Duration deadline : List.of(TEST_DEADLINE, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))) {
        StockClient client = clientOf(s, deadline);
        inventory.calls.clear();
        for (Status.Code code : Status.Code.values()) {
          String id = code == Status.Code.OK ? "grinder" : "status:" + code;
          String expected = switch (code) {
            case OK -> "returned " + new StockClient.InStock(id, 7);
            case NOT_FOUND -> "returned " + new StockClient.NoSuchProduct(id);
            case UNAVAILABLE, DEADLINE_EXCEEDED -> "returned " + new StockClient.TryLater(code);
            case INVALID_ARGUMENT -> "threw IllegalArgumentException with the server's description";
            default -> "threw StatusRuntimeException " + code + ": scripted " + code + ", with the server's trailers";
          };
          for (int check = 1; check <= 2; check++) { // the second check asks again: nothing is remembered
            String did = reaction(() -> client.check(id));
            if (!did.equals(expected)) wrong.add(code + " (check " + check + ", " + deadline + " deadline) -> " + did + "; should have " + expected);
          }
          int calls = inventory.calls.getOrDefault(id, 0);
          if (calls != 2) askedAgain.add(code + ": " + calls + " calls for two checks, on a client with a " + deadline + " deadline");
        }
      }
      assertThat(wrong).as("TODO 4: how check(...) met each status code, where it differs from the README: NOT_FOUND is"
          + " NoSuchProduct; UNAVAILABLE and DEADLINE_EXCEEDED are TryLater(code), nothing else is; INVALID_ARGUMENT is an"
          + " IllegalArgumentException with the server's description; every other code is rethrown as it is (throw e):"
          + " the same StatusRuntimeException, its description and trailers, so a failure nobody planned for stays"
          + " visible").isEmpty();
      assertThat(askedAgain).as("TODO 4: each check(...) must make one call and turn its outcome into an answer: whether"
          + " to ask again later is the caller's decision (TryLater), and for NOT_FOUND, INVALID_ARGUMENT or a server's bug"
          + " asking again cannot help; nor may check answer from what an earlier call said (a quantity changes, a product"
          + " is added). Calls the inventory got for two checks of one id, by the code it answered").isEmpty();
    }

    @Test
    @DisplayName("each status code after an answer for the same product gets the same decision: nothing is remembered")
    void everyCodeAfterAnAnswer() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      StockClient client = clientOf(serve(inventory), TEST_DEADLINE);
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : Status.Code.values()) {
        if (code == Status.Code.OK) continue;
        inventory.failing = null;
        String answered = reaction(() -> client.check("grinder"));
        inventory.failing = code;
        String did = reaction(() -> client.check("grinder"));
        String expected = switch (code) {
          case NOT_FOUND -> "returned " + new StockClient.NoSuchProduct("grinder");
          case UNAVAILABLE, DEADLINE_EXCEEDED -> "returned " + new StockClient.TryLater(code);
          case INVALID_ARGUMENT -> "threw IllegalArgumentException with the server's description";
          default -> "threw StatusRuntimeException " + code + ": scripted " + code + ", with the server's trailers";
        };
        if (!did.equals(expected)) wrong.add(code + " after '" + answered + "' -> " + did + "; should have " + expected);
      }
      inventory.failing = null;
      assertThat(wrong).as("TODO 4: how check(grinder) met each status code right after an earlier check of grinder had"
          + " answered 7 units, where it differs from the README: each check is one call, and its outcome alone decides"
          + " (TryLater for UNAVAILABLE and DEADLINE_EXCEEDED, not the last answer: the stock may have changed since)")
          .isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: 289 pairs of checks
    @DisplayName("each status code after any earlier outcome for the same product (a NOT_FOUND, a failure) gets the same decision: nothing is remembered")
    void everyCodeAfterEveryOutcome() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      // Not narrated: 578 checks would fill the story of a failure with calls that went well.
      StockClient client = clientOf(serve(inventory, false), TEST_DEADLINE);
      List<String> wrong = new ArrayList<>();
      try {
        for (Status.Code before : Status.Code.values()) {
          for (Status.Code code : Status.Code.values()) {
            inventory.failing = before == Status.Code.OK ? null : before;
            String earlier = reaction(() -> client.check("grinder"));
            inventory.failing = code == Status.Code.OK ? null : code;
            String did = reaction(() -> client.check("grinder"));
            String expected = switch (code) {
              case OK -> "returned " + new StockClient.InStock("grinder", 7);
              case NOT_FOUND -> "returned " + new StockClient.NoSuchProduct("grinder");
              case UNAVAILABLE, DEADLINE_EXCEEDED -> "returned " + new StockClient.TryLater(code);
              case INVALID_ARGUMENT -> "threw IllegalArgumentException with the server's description";
              default -> "threw StatusRuntimeException " + code + ": scripted " + code + ", with the server's trailers";
            };
            if (!did.equals(expected) && wrong.size() < 6) {
              wrong.add(code + " right after " + before + " ('" + earlier + "') -> " + did + "; should have " + expected);
            }
          }
        }
      } finally {
        inventory.failing = null;
      }
      assertThat(wrong).as("TODO 4: how check(grinder) met each status code right after an earlier check of grinder had met"
          + " another outcome (each of the 17: an answer, NOT_FOUND, a failure), where it differs from the README: each check"
          + " is one call, and its outcome alone decides. A product the inventory said NOT_FOUND may be added since, so when"
          + " the inventory is down or slow it is TryLater, not NoSuchProduct remembered from before; nothing an earlier"
          + " check met (an answer, a NOT_FOUND, a run of failures) changes the next decision").isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: the 17 codes twice more
    @DisplayName("the status code decides, not a text: a description that names other codes, or a machine in another locale, changes no decision")
    void codeDecidesNotText() throws InterruptedException {
      ScriptedInventory inventory = new ScriptedInventory(Duration.ZERO);
      StockClient client = clientOf(serve(inventory, false), TEST_DEADLINE);
      List<String> wrong = new ArrayList<>();
      java.util.Locale machine = java.util.Locale.getDefault();
      java.util.Locale display = java.util.Locale.getDefault(java.util.Locale.Category.DISPLAY);
      java.util.Locale format = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
      try {
        // The machine's own locale, and Turkish, where "I".toLowerCase() is a dotless i and "i".toUpperCase() a dotted I.
        for (java.util.Locale locale : List.of(machine, java.util.Locale.forLanguageTag("tr-TR"))) {
          java.util.Locale.setDefault(locale);
          for (Status.Code code : Status.Code.values()) {
            String id = code == Status.Code.OK ? "grinder" : ScriptedInventory.QUOTING + code;
            String expected = switch (code) {
              case OK -> "returned " + new StockClient.InStock(id, 7);
              case NOT_FOUND -> "returned " + new StockClient.NoSuchProduct(id);
              case UNAVAILABLE, DEADLINE_EXCEEDED -> "returned " + new StockClient.TryLater(code);
              case INVALID_ARGUMENT -> "threw IllegalArgumentException with the server's description";
              default -> "threw StatusRuntimeException " + code + ": " + ScriptedInventory.quoting(code) + ", with the server's trailers";
            };
            String did = reaction(() -> client.check(id));
            if (!did.equals(expected) && wrong.size() < 8) {
              wrong.add("in the locale " + locale.toLanguageTag() + ", " + code + (code == Status.Code.OK ? "" : " described \""
                  + ScriptedInventory.quoting(code) + "\"") + " -> " + did + "; should have " + expected);
            }
          }
        }
      } finally {
        java.util.Locale.setDefault(machine);
        java.util.Locale.setDefault(java.util.Locale.Category.DISPLAY, display);
        java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, format);
      }
      assertThat(wrong).as("TODO 4: how check(...) met each status code when its description names other codes (a server"
          + " passing on what a call of its own said), and on a machine whose locale is Turkish: the decision is the code's,"
          + " e.getStatus().getCode() in a switch, not a text: a message that contains \"UNAVAILABLE\" may be an INTERNAL"
          + " quoting it, and a code's name lower- or upper-cased in the machine's locale (toLowerCase()) is another word in"
          + " Turkish (INVALID_ARGUMENT becomes \"\u0131nval\u0131d_argument\")").isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quick checks of its step: calls held in a slow inventory until they end
    @DisplayName("a check made inside checkout's own call ends with it: that Context's cancel, or its sooner deadline, ends the call")
    void checkEndsWithTheCallersContext() throws Exception {
      List<String> wrong = endsWithTheCallersContext("TODO 4", client -> reaction(() -> client.check("grinder")),
          "threw StatusRuntimeException CANCELLED", "threw StatusRuntimeException CANCELLED",
          "returned " + new StockClient.TryLater(Status.Code.DEADLINE_EXCEEDED));
      assertThat(wrong).as("TODO 4: check made inside a Context of checkout's own (its caller's call, with a 60 s deadline on"
          + " the client): its call is fetch's, made in the caller's Context as it is, so it ends when that Context is"
          + " cancelled (CANCELLED, rethrown: nobody waits for the answer) or at its deadline when that is sooner than the"
          + " client's (TryLater(DEADLINE_EXCEEDED)). No fork of the Context (Context.current().fork(), Context.ROOT) around"
          + " fetch: the call would wait for the client's whole deadline for nobody").isEmpty();
    }

    /** What a call returned or threw, in the words of everyCode's expectations. */
    static String reaction(Supplier<?> call) {
      try {
        return "returned " + call.get();
      } catch (StatusRuntimeException e) {
        // The one fetch threw was made by gRPC's stub (io.grpc.stub.ClientCalls): its stack shows where the call failed.
        boolean fromTheStub = java.util.Arrays.stream(e.getStackTrace())
            .anyMatch(frame -> frame.getClassName().startsWith("io.grpc.stub.ClientCalls"));
        return "threw StatusRuntimeException " + e.getStatus().getCode() + ": " + e.getStatus().getDescription()
            + (e.getTrailers() != null && "inventory".equals(e.getTrailers().get(ScriptedInventory.SCRIPTED))
                ? ", with the server's trailers" : ", without the server's trailers (a new exception, not the one fetch threw)")
            + (fromTheStub ? "" : ", but a new exception made in the client's own code (its stack never passes through"
                + " gRPC's stub), not the one fetch threw");
      } catch (IllegalArgumentException e) {
        return "threw IllegalArgumentException " + (String.valueOf(e.getMessage()).contains("scripted INVALID_ARGUMENT")
            ? "with the server's description" : "without the server's description: " + e.getMessage());
      } catch (RuntimeException e) {
        return "threw " + e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    }

    @Test
    @DisplayName("any other failure is not hidden: INTERNAL and UNKNOWN come through as StatusRuntimeException")
    void otherFailuresComeThrough() throws InterruptedException {
      StockClient client = client(TEST_DEADLINE);
      assertThat(thrownBy(() -> client.check("broken"))).as("TODO 4: what check(broken) threw when the inventory"
          + " failed with INTERNAL (a bug on the server): rethrow the StatusRuntimeException; an Answer would hide the bug")
          .startsWith("StatusRuntimeException: INTERNAL");
      assertThat(thrownBy(() -> client.check("crash"))).as("TODO 4: what check(crash) threw when the inventory threw an"
          + " exception (the client gets UNKNOWN): a bug in the server, which asking again will not cure, so rethrow the"
          + " StatusRuntimeException instead of TryLater").startsWith("StatusRuntimeException: UNKNOWN");
    }
  }

  @Nested
  @Tag("step5")
  @DisplayName("Step 5: server reflection, for grpcurl")
  class Step5 {
    @Test
    @DisplayName("the server StockServer.start builds listens on the loopback address only: its plaintext reaches no other machine")
    void loopbackOnly() throws java.io.IOException {
      // On a free port (0, as the tests start it) and on a port given (as --serve gives 9090): both paths of start.
      int given = 0;
      Server onGiven = null;
      for (int attempt = 1; onGiven == null; attempt++) { // a port found free may be taken by another process meanwhile
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
          given = free.getLocalPort();
        }
        try {
          onGiven = StockServer.start(given, new StockService(StockService.STOCK, Duration.ZERO));
        } catch (java.io.UncheckedIOException e) {
          if (attempt == 3) throw e;
        }
      }
      extraServers.add(onGiven);
      for (Server s : List.of(server, onGiven)) {
        String port = s == server ? "0 (a free one)" : given + " (given, as --serve gives one)";
        List<String> addresses = s.getListenSockets().stream().map(String::valueOf).toList();
        List<String> beyond = s.getListenSockets().stream()
            .filter(a -> !(a instanceof java.net.InetSocketAddress socket && socket.getAddress() != null && socket.getAddress().isLoopbackAddress()))
            .map(String::valueOf).toList();
        assertThat(beyond).as("TODO 5: the addresses the server StockServer.start builds on port %s listens on (all of them:"
            + " %s) that are not the loopback address: a server without TLS (InsecureServerCredentials) must listen on"
            + " 127.0.0.1 only, whatever the port, as the given forAddress(new InetSocketAddress(\"127.0.0.1\", port), ...) does."
            + " NettyServerBuilder.forPort(port), or new InetSocketAddress(port), listens on every network interface, where any"
            + " machine that reaches this one can call the inventory, and read its contract through reflection, in plaintext",
            port, addresses).isEmpty();
        assertThat(addresses).as("TODO 5: the addresses the server StockServer.start builds on port %s listens on", port).isNotEmpty();
      }
      // The machine's own name is a loopback address only where its hosts file says so (as on this one, maybe): which
      // address that is depends on the machine, so the lab's class files are read for it, on every machine.
      List<String> machineAddresses = new ArrayList<>();
      for (Class<?> type : workbook.test.LabClasses.beside(CheckStockTest.class, true)) {
        for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) {
          if (c.owner().equals("java/net/InetAddress") && c.name().equals("getLocalHost")
              || c.owner().equals("java/net/NetworkInterface")) {
            machineAddresses.add(type.getName() + "." + c.in() + " calls " + c.owner().replace('/', '.') + "." + c.name());
          }
        }
      }
      assertThat(machineAddresses.stream().distinct().toList()).as("TODO 5: where the lab picks the address its server listens"
          + " on from the machine (listed below): InetAddress.getLocalHost() is the address of the machine's name, a loopback"
          + " one only where its hosts file says so, and elsewhere the address every machine on the network reaches (a"
          + " network interface picked from NetworkInterface, the same). A server without TLS listens on 127.0.0.1, as the given"
          + " forAddress(new InetSocketAddress(\"127.0.0.1\", port), ...) does, on every machine").isEmpty();
    }

    @Test
    @DisplayName("asked which services it has (grpcurl list), the server names inventory.v1.Inventory")
    void listsServices() throws Exception {
      ServerReflectionResponse answer = reflect(ServerReflectionRequest.newBuilder().setListServices("").build());
      assertThat(answer.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
          .as("TODO 5: the services the server lists").contains("inventory.v1.Inventory");
    }

    @Test
    @DisplayName("asked for the contract (grpcurl describe), the server sends inventory.proto")
    void sendsTheContract() throws Exception {
      ServerReflectionResponse answer = reflect(ServerReflectionRequest.newBuilder()
          .setFileContainingSymbol("inventory.v1.Inventory").build());
      assertThat(answer.getFileDescriptorResponse().getFileDescriptorProtoList())
          .as("TODO 5: the files describing inventory.v1.Inventory").isNotEmpty();
      assertThat(FileDescriptorProto.parseFrom(answer.getFileDescriptorResponse().getFileDescriptorProto(0)).getName())
          .as("TODO 5: the file the server describes").isEqualTo("inventory.proto");
    }

    /** One question on the reflection service, as grpcurl asks it (grpc.reflection.v1). */
    ServerReflectionResponse reflect(ServerReflectionRequest question) throws Exception {
      CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
          .withDeadlineAfter(TEST_DEADLINE).serverReflectionInfo(new StreamObserver<>() {
            @Override public void onNext(ServerReflectionResponse r) { answer.complete(r); }
            @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
            @Override public void onCompleted() { answer.complete(null); }
          });
      requests.onNext(question);
      requests.onCompleted();
      try {
        return answer.get(TEST_DEADLINE.toSeconds() + 1, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError("TODO 5: the server does not answer reflection v1 (" + LocalGrpc.describe(e.getCause())
            + "), so grpcurl cannot list or call anything without the .proto: add ProtoReflectionServiceV1.newInstance()"
            + " to the server; the older ProtoReflectionService speaks only the deprecated v1alpha (see hint 5)");
      }
    }
  }

  /** "in its look-up" if {@code t} is inside StockService.lookUpTakes, else its state and where it waits. */
  static String lookingUp(Thread t) {
    StackTraceElement[] stack = t.getStackTrace();
    for (StackTraceElement frame : stack) {
      if (frame.getMethodName().equals("lookUpTakes") && frame.getClassName().endsWith("StockService")) return "in its look-up";
    }
    return t.getState() + " in " + java.util.Arrays.stream(stack).limit(4).map(f -> f.getClassName()
        .replaceAll(".*[.$]", "") + "." + f.getMethodName()).toList() + ", not in its look-up";
  }

  /**
   * Where the inventory's side of the lab (StockService, StockServer, their nested, anonymous and local classes, and the
   * classes of the lab's own they call, a helper class next to them) names
   * a status that refuses a question for load, RESOURCE_EXHAUSTED or UNAVAILABLE (Status.X or Status.Code.X), read from
   * its class files: the README's service sends NOT_FOUND and INVALID_ARGUMENT only, whatever was asked before, so a
   * refusal past a limit (a count, a rate, a quota) shows here whatever its limit and whatever decides it.
   */
  static List<String> sheddingStatuses() {
    List<String> found = new ArrayList<>();
    // The inventory's side: StockService, StockServer, and every class of the lab's own they use (a helper class of your
    // own next to them, a quota say), followed through the calls in their class files; StockClient's own are not read.
    List<Class<?>> lab = workbook.test.LabClasses.beside(CheckStockTest.class, true);
    java.util.Set<String> tops = new java.util.LinkedHashSet<>(List.of("StockService", "StockServer"));
    for (java.util.ArrayDeque<String> next = new java.util.ArrayDeque<>(tops); !next.isEmpty(); ) {
      String top = next.poll();
      for (Class<?> type : lab) {
        if (!type.getName().split("\\$")[0].equals(top)) continue;
        for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) {
          String owner = c.owner().split("\\$")[0];
          if (owner.contains("/") || owner.equals("StockClient") || owner.startsWith("CheckStockTest")) continue;
          if (lab.stream().anyMatch(t -> t.getName().equals(owner)) && tops.add(owner)) next.add(owner);
        }
      }
    }
    for (Class<?> type : lab) {
      if (!tops.contains(type.getName().split("\\$")[0])) continue;
      new org.objectweb.asm.ClassReader(workbook.bytecode.ClassCode.classFile(type)).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
        @Override
        public org.objectweb.asm.MethodVisitor visitMethod(int access, String in, String descriptor, String signature, String[] exceptions) {
          return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9) {
            @Override public void visitFieldInsn(int opcode, String owner, String name, String fieldDescriptor) {
              if ((owner.equals("io/grpc/Status") || owner.equals("io/grpc/Status$Code"))
                  && List.of("RESOURCE_EXHAUSTED", "UNAVAILABLE").contains(name)) {
                found.add(type.getName() + "." + in + " names " + owner.replace('/', '.').replace('$', '.') + "." + name);
              }
            }
          };
        }
      }, org.objectweb.asm.ClassReader.SKIP_DEBUG | org.objectweb.asm.ClassReader.SKIP_FRAMES);
    }
    return found.stream().distinct().toList();
  }

  /**
   * Loads the lab's own classes (the default package, the test's excepted) once more, from the same bytes: their static
   * fields are made anew, under whatever the JVM's defaults are now (its time zone), as on another machine.
   */
  static final class FreshLab extends ClassLoader {
    FreshLab(ClassLoader parent) { super(parent); }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.contains(".") || name.startsWith("CheckStockTest")) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded != null) return loaded;
        try (java.io.InputStream in = getParent().getResourceAsStream(name + ".class")) {
          if (in == null) return super.loadClass(name, resolve);
          byte[] bytes = in.readAllBytes();
          return defineClass(name, bytes, 0, bytes.length);
        } catch (java.io.IOException e) {
          throw new ClassNotFoundException(name, e);
        }
      }
    }
  }

  /** Calls the service directly with a stand-in responseObserver that records what the service did. */
  static final class Recorder implements StreamObserver<StockLevel> {
    private final List<String> events = new ArrayList<>();
    private boolean ended;

    /** What checkStock did, in order: "onNext", "onCompleted", "onError CODE", "threw X: message". */
    static List<String> call(String productId) {
      return call(new StockService(StockService.STOCK, Duration.ZERO), productId);
    }

    /** The same, on {@code service}. */
    static List<String> call(StockService service, String productId) {
      return on(service, productId).events;
    }

    /** The recorder after checkStock(productId) on {@code service}. */
    static Recorder on(StockService service, String productId) {
      Recorder recorder = new Recorder();
      try {
        service.checkStock(request(productId), recorder);
      } catch (RuntimeException e) {
        recorder.events.add("threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      return recorder;
    }

    /** The status of the last onError, if any. */
    Status error;

    /** Every StockLevel the service sent, in order. */
    final List<StockLevel> answers = new ArrayList<>();

    @Override public void onNext(StockLevel level) { answers.add(level); record("onNext"); }
    @Override public void onError(Throwable t) { error = Status.fromThrowable(t); record("onError " + error.getCode()); ended = true; }
    @Override public void onCompleted() { record("onCompleted"); ended = true; }

    /** Like gRPC's own observer, refuses anything after the call has ended. */
    private void record(String event) {
      events.add(event);
      if (ended) throw new IllegalStateException("call already closed, yet " + event);
    }
  }

  /**
   * Watches the calls of the service it wraps, on the server: when its method was entered and when it returned,
   * and whatever it sent after the caller had given up (its deadline passed, or it cancelled).
   */
  static final class CallWatch implements io.grpc.ServerInterceptor {
    final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);
    final List<String> afterGivingUp = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
        io.grpc.ServerCallHandler<Q, A> next) {
      io.grpc.Context context = io.grpc.Context.current(); // the call's own: cancelled when the caller gives up
      io.grpc.ServerCall<Q, A> watched = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override public void sendMessage(A message) {
          if (context.isCancelled()) afterGivingUp.add("onNext(" + LocalGrpc.text(message) + ")");
          super.sendMessage(message);
        }

        @Override public void close(Status status, io.grpc.Metadata trailers) {
          if (context.isCancelled()) afterGivingUp.add(status.isOk() ? "onCompleted()" : "onError(" + status.getCode() + ")");
          super.close(status, trailers);
        }
      };
      return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(watched, headers)) {
        @Override public void onHalfClose() { // a unary method runs here, once the request is in
          entered.countDown();
          try {
            super.onHalfClose();
          } finally {
            returned.countDown();
          }
        }
      };
    }
  }

  /**
   * On the client's side: for each call, the ns left of its deadline when it started (MIN_VALUE: none), when, and whether
   * it was made wait-for-ready (1) or not (0).
   */
  static final class DeadlineAtStart implements io.grpc.ClientInterceptor {
    final java.util.concurrent.BlockingQueue<long[]> calls = new java.util.concurrent.LinkedBlockingQueue<>();

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      io.grpc.Deadline deadline = options.getDeadline();
      long left = deadline == null ? Long.MIN_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
      calls.add(new long[] {left, System.nanoTime(), options.isWaitForReady() ? 1 : 0}); // read after the deadline: never more time than there was
      return next.newCall(method, options);
    }
  }

  /**
   * {@code managed} with {@code watch} on its calls, and still a ManagedChannel (its state, its shutdown) as a client may ask:
   * a client that behaves otherwise on a ManagedChannel (wait for ready while it is not connected) does so here too.
   */
  static final class WatchedChannel extends ManagedChannel {
    private final ManagedChannel managed;
    private final io.grpc.Channel watched;

    WatchedChannel(ManagedChannel managed, io.grpc.ClientInterceptor watch) {
      this.managed = managed;
      this.watched = io.grpc.ClientInterceptors.intercept(managed, watch);
    }

    @Override public <Q, A> io.grpc.ClientCall<Q, A> newCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options) {
      return watched.newCall(method, options);
    }
    @Override public String authority() { return managed.authority(); }
    @Override public ManagedChannel shutdown() { return managed.shutdown(); }
    @Override public boolean isShutdown() { return managed.isShutdown(); }
    @Override public boolean isTerminated() { return managed.isTerminated(); }
    @Override public ManagedChannel shutdownNow() { return managed.shutdownNow(); }
    @Override public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException { return managed.awaitTermination(timeout, unit); }
    @Override public io.grpc.ConnectivityState getState(boolean requestConnection) { return managed.getState(requestConnection); }
    @Override public void notifyWhenStateChanged(io.grpc.ConnectivityState source, Runnable callback) { managed.notifyWhenStateChanged(source, callback); }
    @Override public void resetConnectBackoff() { managed.resetConnectBackoff(); }
    @Override public void enterIdle() { managed.enterIdle(); }
  }

  /** A stand-in inventory that notes how many ms were left of each call's deadline when it arrived ("none" without one). */
  static final class DeadlineInventory extends InventoryGrpc.InventoryImplBase {
    final java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();

    @Override
    public void checkStock(CheckStockRequest request, StreamObserver<StockLevel> responseObserver) {
      io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
      seen.add(deadline == null ? "none" : String.valueOf(deadline.timeRemaining(TimeUnit.MILLISECONDS)));
      responseObserver.onNext(StockLevel.newBuilder().setProductId(request.getProductId()).setQuantity(7).build());
      responseObserver.onCompleted();
    }
  }

  /**
   * A stand-in inventory for the client's steps: 7 units of anything (0 of NONE_LEFT), after a delay, except a few scripted failures;
   * "status:CODE" fails with that code, the description "scripted CODE" and a trailer {@link #SCRIPTED}.
   */
  static final class ScriptedInventory extends InventoryGrpc.InventoryImplBase {
    /** Its description for a blank id, in its own words: the caller's exception must carry what the inventory said. */
    static final String BLANK = ("scripted: product_id is blank, said the inventory, in words of its own that run on as long"
        + " as a description travels whole through StockServer.start (ShortDescriptions keeps 200 characters), so that a cut of"
        + " the client's own shows: end").substring(0, StockServer.ShortDescriptions.MAX_DESCRIPTION);
    /** A product it has, with 0 units. */
    static final String NONE_LEFT = "milk-frother";
    /** An id that starts with this fails with the code written after it, and no description at all (bare:NOT_FOUND). */
    static final String BARE = "bare:";
    /** An id that starts with this fails with the code written after it, described by {@link #quoting}: other codes' names. */
    static final String QUOTING = "quoting:";

    /** The description of a {@link #QUOTING} failure: its code, then the names of the codes the client decides on, as text. */
    static String quoting(Status.Code code) {
      return "scripted " + code + ", after a call of its own ended NOT_FOUND, UNAVAILABLE, DEADLINE_EXCEEDED or INVALID_ARGUMENT";
    }

    /** An id that starts with this fails INVALID_ARGUMENT, described by what is written after it (invalid:no such size). */
    static final String INVALID = "invalid:";

    /** An id that starts with this answers the level written after it (level:-3 answers -3 units). */
    static final String LEVEL = "level:";
    static final io.grpc.Metadata.Key<String> SCRIPTED = io.grpc.Metadata.Key.of("scripted-by", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    /** How many calls asked for each product id. */
    final Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
    static final Map<String, Status> FAILURES = Map.of(
        "unicorn", Status.NOT_FOUND.withDescription("no product 'unicorn'"),
        "broken", Status.INTERNAL.withDescription("the stock table is corrupt"));
    private final Duration delay;
    /** When set, every call fails with this code (description "scripted CODE", trailer SCRIPTED). */
    volatile Status.Code failing;

    ScriptedInventory(Duration delay) { this.delay = delay; }

    @Override
    public void checkStock(CheckStockRequest request, StreamObserver<StockLevel> responseObserver) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      calls.merge(request.getProductId(), 1, Integer::sum);
      Status.Code fail = failing;
      if (fail != null) {
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        trailers.put(SCRIPTED, "inventory");
        String description = fail == Status.Code.INVALID_ARGUMENT ? "scripted INVALID_ARGUMENT" : "scripted " + fail;
        responseObserver.onError(Status.fromCode(fail).withDescription(description).asRuntimeException(trailers));
        return;
      }
      if (request.getProductId().equals("crash")) throw new IllegalStateException("the stock table is gone");
      if (request.getProductId().startsWith(BARE)) {
        responseObserver.onError(Status.fromCode(Status.Code.valueOf(request.getProductId().substring(BARE.length()))).asRuntimeException());
        return;
      }
      if (request.getProductId().startsWith(QUOTING)) {
        Status.Code code = Status.Code.valueOf(request.getProductId().substring(QUOTING.length()));
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        trailers.put(SCRIPTED, "inventory");
        responseObserver.onError(Status.fromCode(code).withDescription(quoting(code)).asRuntimeException(trailers));
        return;
      }
      if (request.getProductId().startsWith(INVALID)) {
        responseObserver.onError(Status.INVALID_ARGUMENT.withDescription(request.getProductId().substring(INVALID.length())).asRuntimeException());
        return;
      }
      if (request.getProductId().startsWith("status:")) {
        Status.Code code = Status.Code.valueOf(request.getProductId().substring("status:".length()));
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        trailers.put(SCRIPTED, "inventory");
        responseObserver.onError(Status.fromCode(code).withDescription("scripted " + code).asRuntimeException(trailers));
        return;
      }
      Status failure = request.getProductId().isBlank() ? Status.INVALID_ARGUMENT.withDescription(BLANK)
          : FAILURES.get(request.getProductId());
      if (failure != null) {
        responseObserver.onError(failure.asRuntimeException());
        return;
      }
      int quantity = request.getProductId().equals(NONE_LEFT) ? 0
          : request.getProductId().startsWith(LEVEL) ? Integer.parseInt(request.getProductId().substring(LEVEL.length())) : 7;
      responseObserver.onNext(StockLevel.newBuilder().setProductId(request.getProductId()).setQuantity(quantity).build());
      responseObserver.onCompleted();
    }
  }
}
