///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES StreamsDemo.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.grpc.CallStory;
import workbook.grpc.LocalGrpc;
import workbook.grpc.inventory.BulkUpdateSummary;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.ReserveStockReply;
import workbook.grpc.inventory.ReserveStockRequest;
import workbook.grpc.inventory.StockAdjustment;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;

@DisplayName("Lab 05: gRPC streaming")
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class StreamingTest {
  public static void main(String[] args) { workbook.test.LabTests.run(StreamingTest.class, args); }

  /** How long a test waits for any one message before it says what is missing. */
  static final Duration WAIT = Duration.ofSeconds(5);
  StockLevels levels;
  Server server;
  ManagedChannel channel;
  InventoryGrpc.InventoryStub stub;
  final List<AutoCloseable> cleanup = new ArrayList<>();
  /** Watches every call the server sends on, for onNext from two threads at once. */
  final OneSenderAtATime senders = new OneSenderAtATime();
  /** Counts the calls whose service method has returned (a server stream lives on after its method returns). */
  final MethodsReturned returned = new MethodsReturned();
  /** Notes a call the service completed after gRPC told it the client had gone. */
  final AfterTheClientLeft afterLeaving = new AfterTheClientLeft();
  /** Notes a single-reply call (BulkUpdateStock) whose reply the service sent without completing the call. */
  final HeldReplies held = new HeldReplies();

  @BeforeEach
  void startInventory() throws InterruptedException {
    levels = StockLevels.sample();
    io.grpc.BindableService told = CallStory.narrate(new StreamingInventory(levels));
    server = LocalGrpc.serve(0, () -> io.grpc.ServerInterceptors.intercept(told, senders, returned, afterLeaving, held));
    channel = LocalGrpc.channel(server.getPort());
    stub = InventoryGrpc.newStub(channel).withDeadlineAfter(Duration.ofSeconds(20)); // a bound on every test call
    connected(channel);
  }

  /** Waits (bounded) until the channel is connected, so a test's waits measure the calls, not the connection's set-up. */
  static void connected(ManagedChannel c) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (c.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < end) Thread.sleep(10);
  }

  @AfterEach
  void stopInventory() throws Exception {
    for (AutoCloseable c : cleanup) c.close();
    LocalGrpc.close(channel); // cancels any stream still open
    LocalGrpc.stop(server);
  }

  Inbox<WatchStockLevelsRequest, StockLevel> watch(String... productIds) {
    Inbox<WatchStockLevelsRequest, StockLevel> inbox = new Inbox<>();
    stub.watchStockLevels(WatchStockLevelsRequest.newBuilder().addAllProductIds(List.of(productIds)).build(), inbox);
    return inbox;
  }

  static StockAdjustment adjustment(String productId, int delta) {
    return StockAdjustment.newBuilder().setProductId(productId).setDelta(delta).build();
  }

  static ReserveStockRequest reservation(String orderId, int quantity) {
    return ReserveStockRequest.newBuilder().setOrderId(orderId).setProductId("grinder").setQuantity(quantity).build();
  }

  /** Polls {@code condition} until it holds or {@code limit} passes; never a bare sleep. */
  static boolean eventually(Duration limit, Supplier<Boolean> condition) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (condition.get()) return true;
      Thread.sleep(20);
    }
    return condition.get();
  }

  @Test
  @DisplayName("watching a product the inventory does not have fails with NOT_FOUND")
  void unknownProduct() {
    Status ended = watch("grinder", "unicorn").end(WAIT);
    assertThat(ended == null ? "still open after " + WAIT.toSeconds() + " s" : ended.getCode().toString()).as("how a watch on"
        + " the grinder and a unicorn (which the inventory does not have) ended: the given check at the top of"
        + " watchStockLevels answers NOT_FOUND before any watch opens (keep it above your TODO 1)").isEqualTo("NOT_FOUND");
  }

  /** 'cafe' with an e-acute as one code point (NFC), and as an e and a combining acute accent (NFD): two ids, as the stock keeps them. */
  static final String CAFE_COMPOSED = "caf\u00e9", CAFE_DECOMPOSED = "cafe\u0301";

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: a server stream (WatchStockLevels)")
  class Step1 {
    @Test
    @DisplayName("the current level arrives first")
    void currentLevelFirst() {
      StockLevel first = watch("grinder").next("TODO 1: the grinder's current level, the first message of a watch");
      assertThat(first.getQuantity()).as("TODO 1: the first level sent (the grinder has 5 units)").isEqualTo(5);
    }

    @Test
    @DisplayName("then every change arrives, in order, while the stream stays open")
    void everyChangeInOrder() {
      Inbox<WatchStockLevelsRequest, StockLevel> watch = watch("grinder");
      watch.next("TODO 1: the grinder's current level, the first message of a watch");
      // The changes come once watchStockLevels has returned: what the method leaves open must outlive it.
      returned.await(1, WAIT);
      for (int i = 0; i < 100; i++) {
        try {
          levels.adjust("grinder", 1);
        } catch (RuntimeException e) {
          throw new AssertionError("TODO 1: delivery #" + (i + 1) + " failed, because sending it to the watch threw "
              + e.getClass().getSimpleName() + " (" + e.getMessage() + "): a watch stays open, so no onCompleted", e);
        }
      }
      List<Integer> seen = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        seen.add(watch.next("TODO 1: change #" + (i + 1) + " of 100 (" + seen.size() + " arrived). A watch must stay open"
            + " and send every change as it happens: no onCompleted; and keep the watch open (no try-with-resources around it)").getQuantity());
      }
      senders.assertNone();
      assertThat(seen).as("TODO 1: the quantities pushed after 100 deliveries of one grinder each, in order")
          .isEqualTo(java.util.stream.IntStream.rangeClosed(6, 105).boxed().toList());
      assertThat(watch.endNow()).as("TODO 1: how the stream ended while the client was still watching (it should still be open)").isNull();
    }

    @Test
    @DisplayName("a reader that is slow (not ready) loses no level, however far behind (3 changes, then 70,000): each is sent at once, gRPC queues it")
    void slowReaderLosesNothing() {
      for (int changes : new int[] {3, 70_000}) { // more than any queue of a round size (4,096, 65,536) would keep
        // A Recorder that keeps the levels as they are: 70,000 of them, each as text, cost seconds; text only for a difference.
        List<StockLevel> levelsSent = java.util.Collections.synchronizedList(new ArrayList<>());
        Recorder<StockLevel> slow = new Recorder<>() {
          @Override public void onNext(StockLevel level) { levelsSent.add(level); }
        };
        slow.ready = false;
        new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), slow);
        slow.returned();
        List<StockLevel> given = new ArrayList<>(); // what the stock gives a watcher (called one at a time, under its lock)
        StockLevels.Watch reference = levels.watch(List.of("grinder"), given::add);
        cleanup.add(reference);
        client("TODO 1", "adjusting the grinder " + changes + " times (+1, 0, +2, ...) while its watcher was slow (not ready)", () -> {
          for (int i = 0; i < changes; i++) levels.adjust("grinder", i % 3 == 0 ? 1 : i % 3 == 1 ? 0 : 2);
        });
        // Before it catches up: each level went out as the stock gave it. A queue of the service's own, of whatever size,
        // shows here, before the one that drops the oldest ever fills.
        int early = levelsSent.size() + sent(slow).size();
        assertThat(early).as("TODO 1: levels watchStockLevels had sent, of the %,d the stock gave, on a call whose reader"
            + " was slow (isReady() false) while the grinder changed %,d times: a watch sends each level as the stock"
            + " gives it, ready or not, and gRPC queues it for the reader. isReady() is for pacing a sender that can wait; a"
            + " watch cannot, and a queue of your own (whatever its size) is one that fills, then drops or waits",
            given.size(), changes).isEqualTo(given.size());
        client("TODO 1", "the slow watcher catching up (gRPC runs the on-ready handler)", slow::becomeReady);
        slow.cancel(); // the watch is closed by the cancel handler (step 2), or stays until this test's stock is gone
        reference.close();
        List<StockLevel> sentLevels;
        synchronized (levelsSent) { sentLevels = List.copyOf(levelsSent); }
        assertThat(sentLevels.equals(given) && sent(slow).isEmpty() ? null : firstDifference(java.util.stream.Stream.concat(sentLevels.stream()
            .map(l -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(l)), sent(slow).stream()).toList(),
            given.stream().map(l -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(l)).toList()))
            .as("TODO 1: what watchStockLevels sent on a call whose reader was slow (isReady() false) while the grinder"
                + " changed %,d times (+1, 0, +2, ...), and then caught up, against every level the watch gave: all of them,"
                + " in order, however far behind the reader is. isReady() is for pacing a sender that can wait; a watch"
                + " cannot, so send each level (gRPC queues it), never drop one, nor keep only the last ones", changes)
            .isNull();
      }
      // However far behind: the counts the service keeps (levels sent to a reader not ready, say) set as if 2^30 had gone
      // out unread, or none, or past any limit (an int at its most, a long, of levels or bytes, at 2^62), and the next change
      // still goes out. A limit of any size is reached without sending that many; and a time of any length (since when the
      // reader has been behind) without waiting for it: every moment the service keeps is set to 1970 (an Instant; a gRPC
      // Deadline, "behind until then", to one passed a century ago), and,
      // kept as a number (System.nanoTime(), milliseconds), to long ago (LONG_AGO), whatever the machine's uptime.
      StreamingInventory service = new StreamingInventory(levels);
      for (long count : new long[] {0, 1L << 30, PAST_ANY_LIMIT, LONG_AGO}) {
        Recorder<StockLevel> far = new Recorder<>();
        far.ready = false;
        service.watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), far);
        far.returned();
        int before = sent(far).size();
        List<String> counts = new ArrayList<>();
        withCountsAt(List.of(service, levels), count, counts, () -> boundedly("TODO 1", "adjusting the grinder by +1 while its"
            + " watcher was slow (not ready)", () -> levels.adjust("grinder", 1)));
        int more = sent(far).size() - before;
        far.cancel();
        assertThat(more).as("TODO 1: levels watchStockLevels sent for one change of the grinder, to a reader that was slow"
            + " (isReady() false), once the counts the service keeps (%s) were set to %s, as if that many levels had gone out"
            + " unread (or none): a watch sends each level however far behind its reader is (gRPC queues it); a count of"
            + " your own past which a level is dropped, or waits, loses levels once a reader is that far behind, whatever"
            + " its limit, and so does a time it has been behind past which one is (a moment it keeps, set here to 1970; a"
            + " gRPC Deadline, to one passed long ago): no clock of your own",
            counts, counted(count)).isEqualTo(1);
      }
    }

    @Test
    @DisplayName("changes made at the same moment on two threads reach a watcher one at a time, in the order the stock made them")
    void changesAtOnceOneAtATime() throws InterruptedException {
      Recorder<StockLevel> call = new Recorder<>();
      new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), call);
      call.returned();
      List<StockLevel> given = new java.util.concurrent.CopyOnWriteArrayList<>(); // what the stock gives a watcher
      cleanup.add(levels.watch(List.of("grinder"), given::add));
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread[] second = new Thread[1];
      String[] meanwhile = {"the second change never started"};
      // The reference watcher above heard the current level too, so it hears what the call should send.
      // While the watcher is sent the first change, a second change comes on another thread: it must wait until the
      // first is sent (BLOCKED on the stock's lock), never reach the watcher meanwhile. Bounded, and decided by the
      // second thread's own state: no race to win.
      call.duringOnNext = () -> {
        second[0] = new Thread(() -> {
          try {
            levels.adjust("grinder", 2);
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }, "second-change");
        second[0].start();
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end && call.overlap == null && second[0].getState() != Thread.State.BLOCKED
            && second[0].getState() != Thread.State.TERMINATED) {
          Thread.onSpinWait();
        }
        meanwhile[0] = call.overlap != null ? "it reached the watcher: " + call.overlap
            : "the second change's thread was " + second[0].getState();
      };
      Thread first = new Thread(() -> {
        try {
          levels.adjust("grinder", 1);
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }, "first-change");
      first.start();
      first.join(2 * WAIT.toMillis());
      if (second[0] != null) second[0].join(2 * WAIT.toMillis());
      call.cancel();
      assertThat(failures).as("TODO 1: what was thrown while two threads changed the grinder at the same moment, one"
          + " while the other's change was being sent to a watcher").isEmpty();
      assertThat(call.overlap).as("TODO 1: two changes to the grinder at the same moment, on two threads (while the first"
          + " was being sent, %s): the second reached the watcher's StreamObserver while the first was still in it. A"
          + " StreamObserver takes one call at a time, in order: the given StockLevels tells its watchers inside its lock"
          + " (keep it there; moved out of the lock, two changes tell a watcher at once, and out of order), and the watch"
          + " sends each level in its listener", meanwhile[0]).isNull();
      assertThat(sent(call)).as("TODO 1: what a watch on the grinder sent while two threads changed it at the same"
          + " moment (%s): its current level, then each change as the stock made it, in that order", meanwhile[0])
          .isEqualTo(given.stream().map(l -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(l)).toList());
    }

    @Test
    @DisplayName("a change made while a watch opens reaches it once, after its current level, as the stock gives it")
    void changeWhileAWatchOpens() throws InterruptedException {
      // While the new watch is sent its current level, a change comes on another thread: the given StockLevels opens a
      // watch inside its lock, so the change waits (BLOCKED on the stock's lock) and reaches the watch, once, after its
      // current level. Opened outside the lock, the change is made meanwhile and told to the watchers the stock has then,
      // and the watch misses it. Bounded, and decided by the change's own thread: no race to win.
      Recorder<StockLevel> call = new Recorder<>();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread[] change = new Thread[1];
      String[] meanwhile = {"no level was sent while the watch opened"};
      call.duringOnNext = () -> {
        change[0] = new Thread(() -> {
          try {
            levels.adjust("grinder", 2);
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }, "change-while-opening");
        change[0].start();
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end && change[0].getState() != Thread.State.BLOCKED && change[0].getState() != Thread.State.TERMINATED) {
          Thread.onSpinWait();
        }
        meanwhile[0] = "the change's thread was " + change[0].getState() + " while the watch's current level was being sent";
      };
      client("TODO 1", "watchStockLevels on the grinder, while the grinder changed by +2 on another thread", () ->
          new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), call));
      call.returned();
      if (change[0] != null) change[0].join(2 * WAIT.toMillis());
      call.cancel();
      assertThat(failures).as("TODO 1: what was thrown when the grinder changed while a watch on it opened").isEmpty();
      assertThat(sent(call).stream().map(line -> line.replaceAll("^onNext product_id: \"([^\"]*)\" quantity: (-?\\d+).*", "$1 $2")).toList())
          .as("TODO 1: what a watch on the grinder (5 in stock) sent, when the grinder changed by +2 on another thread while"
              + " the watch's current level was being sent (%s): its current level, then the change, once. The given"
              + " StockLevels opens a watch inside its lock (keep it there: its list of watchers being thread-safe is not"
              + " enough), so a change waits until the watch is open and has its current level, and then reaches it;"
              + " opened outside the lock, a change made meanwhile goes to the watchers the stock had, and this one never"
              + " hears it", meanwhile[0])
          .containsExactly("grinder 5", "grinder 7");
    }

    @Test
    @DisplayName("a watch that fails NOT_FOUND leaves no watch open: the next change goes to nobody, without an error")
    void refusedWatchLeavesNothing() throws InterruptedException {
      Inbox<WatchStockLevelsRequest, StockLevel> refused = watch("grinder", "unicorn");
      Status ended = refused.end(WAIT);
      returned.await(1, WAIT);
      String adjusting;
      try {
        levels.adjust("grinder", 1);
        adjusting = "fine";
      } catch (RuntimeException e) {
        adjusting = "it threw " + e;
      }
      assertThat(List.of(String.valueOf(ended == null ? null : ended.getCode()), levels.openWatches(), adjusting))
          .as("TODO 1: [how a watch on the grinder and a unicorn (not in the inventory) ended, watches left open, adjusting"
              + " the grinder afterwards]: the given check at the top of watchStockLevels answers NOT_FOUND before any"
              + " watch opens; open yours below it, or the refused call leaves a watch behind whose next level goes to a"
              + " call already closed, and throws at whoever changed the stock")
          .containsExactly("NOT_FOUND", 0, "fine");
    }

    @Test
    @DisplayName("a reader that catches up while the stock changes gets every level, in order, from one thread at a time")
    void catchingUpWhileTheStockChanges() throws InterruptedException {
      Recorder<StockLevel> slow = new Recorder<>();
      slow.ready = false;
      new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), slow);
      slow.returned();
      List<StockLevel> given = new java.util.concurrent.CopyOnWriteArrayList<>(); // what the stock gives a watcher
      cleanup.add(levels.watch(List.of("grinder"), given::add));
      client("TODO 1", "adjusting the grinder by +1 while its watcher was slow (not ready)", () -> levels.adjust("grinder", 1));
      // gRPC runs the on-ready handler on a thread of its own, and a change comes on the thread that makes it: here one
      // comes while the first message after catching up is being sent.
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread[] change = new Thread[1];
      slow.duringOnNext = () -> {
        change[0] = new Thread(() -> {
          try {
            levels.adjust("grinder", 2);
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }, "stock-change");
        change[0].start();
        try {
          change[0].join(1_000); // bounded: a sender that waits for this one to finish goes on after a second
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
      Thread onReady = new Thread(() -> {
        try {
          slow.becomeReady();
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }, "grpc-on-ready");
      onReady.start();
      onReady.join(WAIT.toMillis());
      if (slow.duringOnNext != null) { // nothing was left to send when the reader caught up: the change comes now
        slow.duringOnNext = null;
        client("TODO 1", "adjusting the grinder by +2 after its watcher caught up", () -> levels.adjust("grinder", 2));
      }
      if (change[0] != null) change[0].join(WAIT.toMillis());
      slow.cancel();
      assertThat(failures).as("TODO 1: what was thrown while a slow watcher caught up (on gRPC's on-ready thread) and the"
          + " grinder changed meanwhile (on the thread that changed it)").isEmpty();
      assertThat(slow.overlap).as("TODO 1: a slow watcher caught up, and while its first waiting level was being sent the"
          + " grinder changed on another thread: the server called the watcher's StreamObserver from two threads at once."
          + " Levels kept for a slow reader and sent from the on-ready handler race with the ones the stock sends; a"
          + " StreamObserver takes one call at a time, in order. Send each level from the watch's listener (gRPC queues"
          + " what a slow reader has not read), or let one thread at a time send").isNull();
      assertThat(sent(slow)).as("TODO 1: what watchStockLevels sent on a call whose slow reader caught up while the grinder"
          + " changed by +1 (before) and +2 (meanwhile): every level the watch gives you, in order").isEqualTo(
              given.stream().map(l -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(l)).toList());
    }

    @Test
    @DisplayName("a watch on several products sends every level the stock gives it, as it is, below 0 too: current ones, then each change to any of them")
    void severalProducts() {
      // More written off than delivered: the milk frother's stock is below 0 when the watch opens, and again later.
      levels.adjust("milk-frother", -2);
      Inbox<WatchStockLevelsRequest, StockLevel> watch = watch("milk-frother", "grinder");
      List<StockLevel> first = List.of(watch.next("TODO 1: the first current level of a watch on the milk frother and the grinder"),
          watch.next("TODO 1: the second current level of a watch on the milk frother and the grinder: watch every"
              + " product asked for (request.getProductIdsList())"));
      returned.await(1, WAIT);
      List<StockLevel> given = new java.util.concurrent.CopyOnWriteArrayList<>(); // what the stock gives a watcher
      StockLevels.Watch reference = levels.watch(List.of("milk-frother", "grinder"), given::add);
      cleanup.add(reference);
      assertThat(first).as("TODO 1: the current levels a watch on [milk-frother, grinder] sends first, each as the"
          + " stock gives it (quantity and updated_at; the milk frother's is -2: more written off than delivered)").containsExactlyInAnyOrderElementsOf(given);
      given.clear();
      changeWhileWatched("espresso-machine", 1); // not watched: must not arrive
      changeWhileWatched("grinder", 2);
      changeWhileWatched("grinder", 0); // a change too: its updated_at moves
      changeWhileWatched("milk-frother", 3);
      changeWhileWatched("milk-frother", -4);
      List<StockLevel> changes = new ArrayList<>();
      for (int i = 1; i <= given.size(); i++) {
        changes.add(watch.next("TODO 1: change " + i + " of " + given.size() + " after the current levels (" + given.stream()
            .map(StreamingTest::text).toList() + "): send every level the watch gives you, as it is, an adjustment by 0"
            + " too, for every product asked for"));
      }
      assertThat(changes).as("TODO 1: what the watch on [milk-frother, grinder] sent after the espresso machine (not"
          + " watched) changed, then the grinder by +2 and by 0, then the milk frother by +3 and by -4 (to -3: more written"
          + " off than delivered): every level as the stock gave it, in order, with its updated_at and its quantity, below"
          + " 0 too (the stock's, not one of your own)").isEqualTo(List.copyOf(given));
      senders.assertNone();
    }

    @Test
    @DisplayName("the current levels, then each change, come as the stock gives them to one watch of the ids as asked, in every order of three products, and for a product asked twice")
    void currentLevelsAsAsked() {
      List<String> wrong = new ArrayList<>();
      String[] ids = {"grinder", "milk-frother", "espresso-machine"};
      // A product asked twice: the stock gives its current level twice; a set of your own (even one that keeps the order) once.
      for (int[] order : new int[][] {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}, {0, 1, 0}, {2, 2}}) {
        List<String> asked = java.util.Arrays.stream(order).mapToObj(i -> ids[i]).toList();
        Recorder<StockLevel> call = new Recorder<>();
        new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addAllProductIds(asked).build(), call);
        call.returned();
        // What the stock gives one watch of the ids as asked: their current levels, then a change to the first one asked
        // (asked twice in the last two orders: one watch hears each change once).
        List<String> given = new ArrayList<>();
        StockLevels.Watch reference = levels.watch(asked, level -> given.add("onNext " + com.google.protobuf.TextFormat.shortDebugString(level)));
        try {
          levels.adjust(asked.get(0), 0);
        } finally {
          reference.close();
        }
        if (!sent(call).equals(given)) {
          wrong.add("asked " + asked + ", sent " + sent(call).stream().map(line -> line.replaceAll("^onNext product_id: \"([^\"]*)\".*", "$1")).toList());
        }
        call.cancel();
      }
      assertThat(wrong).as("TODO 1: watches on three products, asked in each order (and with a product asked twice), whose"
          + " current levels, and then a change to the first product asked, did not come as the stock gives them to one watch"
          + " of the ids as asked (its order, a repeated id's current level as often as asked, each change once): pass"
          + " request.getProductIdsList() to one levels.watch as it is; a Set of your own (HashSet, TreeSet) sends them in"
          + " its own order, any set (a LinkedHashSet too) sends a product asked twice once, and a watch per product sends"
          + " each change to a product asked twice twice").isEmpty();
    }

    @Test
    @DisplayName("a watch is on the ids exactly as asked: Grinder, grinder with a space, café with a combining accent are products of their own")
    void idsExactlyAsAsked() {
      // Products of their own beside the grinder and the café with its é as one code point: a watch on any of them hears
      // that one, never the product its id would be after a strip, a change of case or a normalising of your own.
      levels.adjust("Grinder", 7);
      levels.adjust("grinder ", 8);
      levels.adjust(CAFE_COMPOSED, 9);
      levels.adjust(CAFE_DECOMPOSED, 10);
      List<String> wrong = new ArrayList<>();
      for (List<String> asked : List.of(List.of("Grinder"), List.of("grinder "), List.of(CAFE_DECOMPOSED),
          List.of("Grinder", "grinder ", "grinder", CAFE_DECOMPOSED, CAFE_COMPOSED))) {
        Recorder<StockLevel> call = new Recorder<>();
        new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addAllProductIds(asked).build(), call);
        call.returned();
        // What the stock gives one watch of the ids as asked: their current levels, then a change to each of them.
        List<String> given = new ArrayList<>();
        StockLevels.Watch reference = levels.watch(asked, level -> given.add("onNext " + com.google.protobuf.TextFormat.shortDebugString(level)));
        try {
          for (String id : asked) levels.adjust(id, 1);
        } finally {
          reference.close();
        }
        String difference = firstDifference(sent(call), given);
        if (difference != null) wrong.add("asked " + asked + ": " + difference);
        call.cancel();
      }
      assertThat(wrong).as("TODO 1: watches on products whose ids differ from others in stock only by case, a trailing space"
          + " or how the é of café is written (one code point, or an e and a combining accent), whose current levels and"
          + " changes did not come as the stock gives them to one watch of the ids as asked: ids are exact, so pass"
          + " request.getProductIdsList() to levels.watch as it is (no strip, no toLowerCase, no Normalizer of your own:"
          + " each of these watches another product than the one asked for)").isEmpty();
    }

    @Test
    @DisplayName("a watch of no products (an empty request, proto3's default) stays open too, until the client leaves")
    void watchOfNothingStaysOpen() {
      Recorder<StockLevel> call = new Recorder<>();
      new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.getDefaultInstance(), call);
      call.returned();
      changeWhileWatched("grinder", 1);
      List<String> events;
      synchronized (call.events) { events = List.copyOf(call.events); }
      call.cancel();
      assertThat(events).as("TODO 1: what a watch of no products (a request without ids, proto3's default) sent, and how it"
          + " ended, while the client still watched and the grinder changed: nothing, and it stays open (a watch lasts for"
          + " as long as the client keeps the call, whatever it asked for; the given check lets it through, so no"
          + " onCompleted, nor an error, of your own)").isEmpty();
    }

    @Test
    @DisplayName("a watch sends every level as the stock gives it, also when the machine's clock steps back (an updated_at earlier than the one before)")
    void clockStepsBack() throws ReflectiveOperationException {
      // The stock stamps each level with the machine's wall clock, which NTP may step back: the grinder's current level is
      // set here as if stamped while the clock ran ahead (in 2100), so every change after it is stamped earlier.
      java.lang.reflect.Field field = StockLevels.class.getDeclaredField("levels");
      field.setAccessible(true);
      synchronized (levels) {
        @SuppressWarnings("unchecked") Map<String, StockLevel> now = (Map<String, StockLevel>) field.get(levels);
        now.put("grinder", now.get("grinder").toBuilder().setUpdatedAt(com.google.protobuf.Timestamp.newBuilder()
            .setSeconds(java.time.Instant.parse("2100-01-01T00:00:00Z").getEpochSecond())).build());
      }
      List<String> asked = List.of("grinder", "milk-frother");
      Recorder<StockLevel> call = new Recorder<>();
      new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder().addAllProductIds(asked).build(), call);
      call.returned();
      List<String> given = new ArrayList<>();
      StockLevels.Watch reference = levels.watch(asked, level -> given.add("onNext " + com.google.protobuf.TextFormat.shortDebugString(level)));
      try {
        levels.adjust("grinder", 1);
        levels.adjust("milk-frother", 2);
        levels.adjust("grinder", 0);
      } finally {
        reference.close();
      }
      call.cancel();
      assertThat(firstDifference(sent(call), given)).as("TODO 1: what a watch on [grinder, milk-frother] sent when the"
          + " grinder's current level was stamped 2100 (the clock ran ahead, then stepped back), and then the grinder"
          + " changed by +1, the milk frother by +2 and the grinder by 0, each stamped earlier than 2100, against every level"
          + " the watch gave: a watch sends every level as the stock gives it, whatever its updated_at (no level is"
          + " dropped for being older, or newer, than one sent before: the clock is the machine's, not an order)").isNull();
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // the largest watch a request carries: after the step's quicker tests
    @DisplayName("a watch of as many products as a request carries (2,097,152 of the shortest id, or one id of 4,194,299 characters: 4 MiB, gRPC's most) sends every current level, then each change")
    void asManyAsARequestCarries() {
      // gRPC takes a request of up to 4 MiB (its default for a server's inbound message): as many ids as fit in it is the
      // most a watch can be asked for, and the shortest id fits most: the empty one (proto3's default, 2 bytes a repeat),
      // a product like any other once the stock has it. 2,097,152 ids: a limit of your own on the ids a watch is asked
      // for, of any size a request can reach, shows here (a longer id, the grinder's, fits only 466,033). And the longest
      // id a request carries, one id of 4,194,299 characters: a limit on an id's length, or on the ids' characters in all,
      // of any size a request can reach, shows there.
      int longest = 4 * 1024 * 1024 - 1 - 4; // a tag byte, a 4-byte length, the id
      List<String> wrong = new ArrayList<>();
      for (String id : new String[] {"", "g".repeat(longest)}) {
        String named = id.length() > 20 ? "the product whose id is 'g' " + id.length() + " times" : "the product with the empty id";
        levels.adjust(id, 5 - levels.quantity(id));
        int ids = 4 * 1024 * 1024 / WatchStockLevelsRequest.newBuilder().addProductIds(id).build().getSerializedSize();
        WatchStockLevelsRequest request = WatchStockLevelsRequest.newBuilder().addAllProductIds(java.util.Collections.nCopies(ids, id)).build();
        // A Recorder that keeps only how many levels came, and the first and the last: 2,097,153 of them, each as text, cost seconds.
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<StockLevel> firstLevel = new java.util.concurrent.atomic.AtomicReference<>(), lastLevel = new java.util.concurrent.atomic.AtomicReference<>();
        Recorder<StockLevel> call = new Recorder<>() {
          @Override public void onNext(StockLevel level) {
            if (count.getAndIncrement() == 0) firstLevel.set(level);
            lastLevel.set(level);
          }
        };
        client("TODO 1", "watchStockLevels, asked for " + named + " " + ids + " times (a request of " + request.getSerializedSize()
            + " bytes)", () -> new StreamingInventory(levels).watchStockLevels(request, call));
        call.returned();
        client("TODO 1", "adjusting " + named + " by +1 while it was watched", () -> levels.adjust(id, 1));
        call.cancel();
        List<String> events = new ArrayList<>(List.of(count.get() + " levels"));
        for (StockLevel level : java.util.Arrays.asList(firstLevel.get(), lastLevel.get())) { // their updated_at left out
          events.add(level == null ? "none" : (level.getProductId().equals(id) ? "it" : "another product") + " " + level.getQuantity());
        }
        events.addAll(sent(call)); // onCompleted, or onError's sends: nothing more than the levels
        if (!events.equals(List.of((ids + 1) + " levels", "it 5", "it 6"))) {
          wrong.add(String.format("%s (5 in stock) asked %,d times (a request of %,d bytes): %s", named, ids, request.getSerializedSize(), events));
        }
      }
      assertThat(wrong).as("TODO 1: watches of as many ids as a request carries (4 MiB, the most gRPC takes by default: of the"
          + " shortest id, the empty one, the most ids; and the longest id), then one change of the product by +1, where"
          + " [levels sent, the first, the last, then anything else sent] was not the current level once per id asked, then"
          + " the change once. A watch sends every level the stock gives it, however many products it asks for and however"
          + " long their ids: a limit of your own on a request's ids, their length or their characters in all (refused, or"
          + " cut short), of any size a request can reach, leaves a client without what it asked").isEmpty();
    }
  }

  /** Null if {@code sent} is {@code expected}; else how many of each, and the first place they differ (short: lists can be long). */
  static String firstDifference(List<String> sent, List<String> expected) {
    if (sent.equals(expected)) return null;
    int i = 0;
    while (i < sent.size() && i < expected.size() && sent.get(i).equals(expected.get(i))) i++;
    return sent.size() + " sent of " + expected.size() + " expected; the first difference is the " + ordinal(i + 1) + ": sent "
        + (i < sent.size() ? "'" + sent.get(i) + "'" : "nothing") + ", expected " + (i < expected.size() ? "'" + expected.get(i) + "'" : "nothing");
  }

  /** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd: how a failure counts. */
  static String ordinal(int n) {
    int tens = n % 100, units = n % 10;
    String suffix = tens >= 11 && tens <= 13 ? "th" : units == 1 ? "st" : units == 2 ? "nd" : units == 3 ? "rd" : "th";
    return n + suffix;
  }

  /** An adjustment while a watch is open; what it runs into there (a call already ended) is step 1's to fix. */
  void changeWhileWatched(String productId, int delta) {
    try {
      levels.adjust(productId, delta);
    } catch (RuntimeException e) {
      throw new AssertionError("TODO 1: adjusting the " + productId + " by " + delta + " while a client watches it failed,"
          + " because sending the change to the watch threw " + e.getClass().getSimpleName() + " (" + e.getMessage() + "):"
          + " a watch stays open and sends every change, so no onCompleted", e);
    }
  }

  static String text(StockLevel level) {
    return level.getProductId() + " " + level.getQuantity();
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: the server hears the client cancel")
  class Step2 {
    @Test
    @DisplayName("when the client cancels, the server closes its watch")
    void cancelClosesTheWatch() throws Exception {
      Inbox<WatchStockLevelsRequest, StockLevel> watch = openWatch();
      watch.cancel();
      watch.end(WAIT);
      // No change to the stock meanwhile: a watch on a product that rarely changes must not wait for one to be closed.
      eventually(WAIT, () -> levels.openWatches() == 0);
      assertThat(levels.openWatches()).as("TODO 2: open watches on the server %s s after the client cancelled, while the"
          + " stock did not change: one leaks per client that leaves, for as long as its products do not change (a"
          + " server that looks at call.isCancelled() only when the next level comes learns it too late). Close it in"
          + " call.setOnCancelHandler(...), which runs as soon as the client is gone", WAIT.toSeconds()).isZero();
      assertThat(attemptAdjust()).as("TODO 2: adjusting stock after the client cancelled its watch: the server sent the"
          + " change to a call that is gone, and the error hit the writer").isEqualTo("fine");
    }

    @Test
    @DisplayName("the watch is closed when gRPC tells the service the client has gone, in its cancel handler, not later")
    void closedInTheCancelHandler() {
      Recorder<StockLevel> call = new Recorder<>();
      new StreamingInventory(levels).watchStockLevels(WatchStockLevelsRequest.newBuilder()
          .addProductIds("grinder").addProductIds("milk-frother").build(), call);
      call.returned();
      int open = levels.openWatches();
      client("TODO 2", "the client leaving (gRPC runs the call's cancel handler)", call::cancel);
      assertThat(List.of(open, levels.openWatches())).as("TODO 2: open watches on the stock [before, right after] gRPC ran"
          + " the cancel handler of a call watching the grinder and the milk frother (as it does when the client cancels,"
          + " its deadline passes or its connection drops): the cancel handler is where gRPC tells the service, and the"
          + " call's observer is already cancelled then, so the next change sent to it would throw at whoever changed the"
          + " stock. Close the watch in call.setOnCancelHandler(...), not in a listener that hears of it later (a"
          + " Context listener, the next change)").containsExactly(1, 0);
      assertThat(sent(call)).as("TODO 2: what watchStockLevels sent before the client left: the current levels only, and"
          + " nothing after (no onCompleted or onError: gRPC has ended the call)").hasSize(2);
    }

    @Test
    @DisplayName("after one client cancels, the others keep hearing every change")
    void othersKeepWatching() throws Exception {
      Inbox<WatchStockLevelsRequest, StockLevel> leaving = openWatch();
      Inbox<WatchStockLevelsRequest, StockLevel> staying = openWatch();
      leaving.cancel();
      leaving.end(WAIT);
      String[] adjusting = {"fine"};
      eventually(WAIT, () -> {
        adjusting[0] = attemptAdjust();
        return !adjusting[0].equals("fine") || levels.openWatches() == 1;
      });
      assertThat(adjusting[0]).as("TODO 2: adjusting stock after one of two watchers cancelled").isEqualTo("fine");
      assertThat(levels.openWatches()).as("TODO 2: open watches after one of two clients cancelled").isEqualTo(1);
      // One more change, now that the server has closed a watch for the cancel: the client still watching must hear it.
      assertThat(attemptAdjust()).as("TODO 2: adjusting stock once the cancelled client's watch was closed").isEqualTo("fine");
      int latest = levels.quantity("grinder");
      for (int heard = 0; heard != latest; ) {
        heard = staying.next("TODO 2: the change to " + latest + " units, for the client still watching").getQuantity();
      }
    }

    @Test
    @DisplayName("whichever way a client leaves (cancel, deadline, dropped connection), every watch it opened is closed")
    void everyWayOfLeaving() throws Exception {
      for (String leaving : new String[] {"it cancelled", "its 500 ms deadline passed", "its connection dropped"}) {
        ManagedChannel own = LocalGrpc.channel(server.getPort());
        cleanup.add(() -> LocalGrpc.close(own));
        connected(own);
        InventoryGrpc.InventoryStub ownStub = InventoryGrpc.newStub(own);
        if (leaving.contains("deadline")) ownStub = ownStub.withDeadlineAfter(Duration.ofMillis(500));
        int before = returned.count();
        Inbox<WatchStockLevelsRequest, StockLevel> watch = new Inbox<>();
        ownStub.watchStockLevels(WatchStockLevelsRequest.newBuilder()
            .addAllProductIds(List.of("espresso-machine", "grinder", "milk-frother")).build(), watch);
        for (int i = 1; i <= 3; i++) watch.next("TODO 1 (step 2 needs it): current level " + i + " of 3 of a watch on three products");
        returned.await(before + 1, WAIT);
        if (leaving.contains("cancelled")) watch.cancel();
        if (leaving.contains("connection")) own.shutdownNow();
        watch.end(WAIT);
        String[] adjusting = {"fine"};
        eventually(WAIT, () -> {
          for (String id : List.of("espresso-machine", "grinder", "milk-frother")) {
            if (adjusting[0].equals("fine")) adjusting[0] = attemptAdjust(id);
          }
          return !adjusting[0].equals("fine") || levels.openWatches() == 0;
        });
        assertThat(adjusting[0]).as("TODO 2: adjusting stock after a client watching three products left (%s): the"
            + " server sent the change to a call that is gone, and the error hit the writer", leaving).isEqualTo("fine");
        assertThat(afterLeaving.found).as("TODO 2: what the server did with the call of a client watching three products"
            + " after it left (%s): a call the client has left takes nothing more, not even onCompleted or onError"
            + " (gRPC has ended it already); the cancel handler only closes the watch", leaving).isNull();
        assertThat(levels.openWatches()).as("TODO 2: open watches on the server %s s after a client watching three"
            + " products left (%s): the cancel handler runs whether the client cancelled, its deadline passed or its"
            + " connection dropped, and it must close everything the call opened: one watch on all the products asked"
            + " for, closed in call.setOnCancelHandler(...)", WAIT.toSeconds(), leaving).isZero();
      }
    }

    @Test
    @DisplayName("a client that leaves while a change is being told: once the cancel handler has returned, nothing more goes to its call")
    void leavingWhileAChangeIsTold() throws InterruptedException {
      // Two watches of the grinder, told in the order they opened. While the first is being told a change, the second's
      // client leaves on another thread (gRPC runs its cancel handler there). Bounded, and decided by that thread's own
      // state: its cancel handler either waits for the change to be told (BLOCKED on the stock's lock) or returns at once.
      StreamingInventory service = new StreamingInventory(levels);
      Recorder<StockLevel> first = new Recorder<>(), leaving = new Recorder<>();
      service.watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), first);
      first.returned();
      service.watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("grinder").build(), leaving);
      leaving.returned();
      int[] sentWhenGone = {-1};
      Thread[] client = new Thread[1];
      String[] meanwhile = {"the client never left"};
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      first.duringOnNext = () -> {
        client[0] = new Thread(() -> {
          try {
            leaving.cancel();
            sentWhenGone[0] = sent(leaving).size();
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }, "client-leaving");
        client[0].start();
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end && client[0].getState() != Thread.State.BLOCKED && client[0].getState() != Thread.State.TERMINATED) {
          Thread.onSpinWait();
        }
        meanwhile[0] = "its cancel handler's thread was " + client[0].getState() + " while the change was being told";
      };
      client("TODO 2", "adjusting the grinder by +1 while two clients watched it", () -> levels.adjust("grinder", 1));
      if (client[0] != null) client[0].join(2 * WAIT.toMillis());
      first.cancel();
      assertThat(failures).as("TODO 2: what was thrown when a client left while a change was being told").isEmpty();
      assertThat(sent(leaving).size()).as("TODO 2: levels watchStockLevels sent to a call whose client left while a change"
          + " of the grinder was being told to the watchers (%s): %d were sent when its cancel handler returned. Once the"
          + " cancel handler has returned, the call takes nothing more: the handler closes the watch, and the given"
          + " StockLevels closes it under its lock (keep it there), so a change being told finishes first and none comes"
          + " after", meanwhile[0], sentWhenGone[0]).isEqualTo(sentWhenGone[0]);
    }

    private String attemptAdjust(String productId) {
      try {
        levels.adjust(productId, 1);
        return "fine";
      } catch (io.grpc.StatusRuntimeException e) {
        return "it threw " + LocalGrpc.describe(e);
      } catch (RuntimeException e) {
        return "it threw " + e;
      }
    }

    /** A watch on the grinder that has delivered its first level and is still open. */
    private Inbox<WatchStockLevelsRequest, StockLevel> openWatch() {
      int before = returned.count();
      Inbox<WatchStockLevelsRequest, StockLevel> watch = watch("grinder");
      watch.next("TODO 1 (step 2 needs it): the first level of a watch");
      returned.await(before + 1, WAIT); // its method has returned: the next watch is opened after it, every time
      assertThat(watch.end(Duration.ofMillis(100))).as("TODO 1 (step 2 needs it): how the watch ended before the client"
          + " cancelled; a watch stays open until the client leaves, so no onCompleted").isNull();
      return watch;
    }

    private String attemptAdjust() {
      try {
        levels.adjust("grinder", 1);
        return "fine";
      } catch (io.grpc.StatusRuntimeException e) {
        return "it threw " + LocalGrpc.describe(e);
      } catch (RuntimeException e) {
        return "it threw " + e;
      }
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: a client stream (BulkUpdateStock)")
  class Step3 {
    /** 30 adjustments over three products: espresso +1 x10, grinder +2 x10, milk frother -1 x10 after +20. */
    List<StockAdjustment> delivery() {
      List<StockAdjustment> all = new ArrayList<>();
      all.add(adjustment("milk-frother", 20));
      for (int i = 0; i < 10; i++) {
        all.addAll(List.of(adjustment("espresso-machine", 1), adjustment("grinder", 2), adjustment("milk-frother", -1)));
      }
      return all;
    }

    BulkUpdateSummary send(List<StockAdjustment> adjustments) {
      Inbox<StockAdjustment, BulkUpdateSummary> answers = new Inbox<>();
      StreamObserver<StockAdjustment> requests = stub.bulkUpdateStock(answers);
      adjustments.forEach(requests::onNext);
      requests.onCompleted();
      BulkUpdateSummary summary = answers.next("TODO 3: the summary, after the client sent " + adjustments.size()
          + " adjustments and completed");
      assertThat(answers.end(WAIT)).as("TODO 3: how the call ended after the summary (onCompleted gives OK)").isEqualTo(Status.OK);
      return summary;
    }

    @Test
    @DisplayName("the summary counts every adjustment, the products and the net change")
    void summaryCountsEverything() {
      BulkUpdateSummary summary = send(delivery());
      assertThat(summary.getAdjustments()).as("TODO 3: adjustments counted, of 31 sent (count each message, not each product)").isEqualTo(31);
      assertThat(summary.getProducts()).as("TODO 3: different products touched").isEqualTo(3);
      assertThat(summary.getNetChange()).as("TODO 3: the sum of all deltas (10 + 20 + 20 - 10)").isEqualTo(40);
    }

    @Test
    @DisplayName("every adjustment is applied to the stock")
    void adjustmentsApplied() {
      send(delivery());
      assertThat(Map.of("espresso-machine", levels.quantity("espresso-machine"), "grinder", levels.quantity("grinder"),
          "milk-frother", levels.quantity("milk-frother")))
          .as("TODO 3: stock after the delivery (levels.adjust for each one)")
          .isEqualTo(Map.of("espresso-machine", 22, "grinder", 25, "milk-frother", 10));
    }

    @Test
    @DisplayName("each call counts only its own adjustments, also when two calls overlap")
    void eachCallItsOwnCount() {
      Inbox<StockAdjustment, BulkUpdateSummary> first = new Inbox<>(), second = new Inbox<>();
      StreamObserver<StockAdjustment> one = stub.bulkUpdateStock(first);
      StreamObserver<StockAdjustment> two = stub.bulkUpdateStock(second);
      for (int i = 0; i < 3; i++) one.onNext(adjustment("grinder", 1));
      two.onNext(adjustment("espresso-machine", 5));
      two.onCompleted();
      BulkUpdateSummary secondSummary = second.next("TODO 3: the summary of the second call, after it completed");
      one.onNext(adjustment("milk-frother", 2));
      one.onCompleted();
      BulkUpdateSummary firstSummary = first.next("TODO 3: the summary of the first call, after it completed");
      assertThat(List.of(secondSummary.getAdjustments(), secondSummary.getProducts(), secondSummary.getNetChange()))
          .as("TODO 3: [adjustments, products, net change] of a call that sent 1 adjustment of +5, while another call"
              + " was open: the counts belong to the call, so keep them in the observer you return for it, not in"
              + " fields of the service, which every call shares").containsExactly(1, 1, 5);
      assertThat(List.of(firstSummary.getAdjustments(), firstSummary.getProducts(), firstSummary.getNetChange()))
          .as("TODO 3: [adjustments, products, net change] of a call that sent +1 x3 on the grinder and +2 on the milk"
              + " frother, while another call came and went: counts kept per call").containsExactly(4, 2, 5);
    }

    @Test
    @DisplayName("a call leaves the service's fields as they were: what it counts and builds is its own, for calls that complete at the same moment")
    void leavesTheServiceAsItWas() {
      // One service serves every call, also two completing at the same moment on two threads, between any two lines of
      // onCompleted, where no test can hold them. So: one call, alone, and every field of the service must read as before.
      StreamingInventory service = new StreamingInventory(levels);
      Map<String, String> before = fieldsOf(service);
      // The fields are read at every point a call passes: once its observer is returned, after each adjustment, while its
      // summary is being sent, and at the end. A call's state kept in a field (a map by call, say) shows while it is open.
      List<String> changed = new ArrayList<>();
      java.util.function.Consumer<String> compare = when -> {
        Map<String, String> now = fieldsOf(service);
        before.keySet().stream().filter(f -> !before.get(f).equals(now.get(f)) && changed.stream().noneMatch(c -> c.startsWith(f + " ")))
            .forEach(f -> changed.add(f + " " + when + ": '" + before.get(f) + "' -> '" + now.get(f) + "'"));
      };
      Recorder<BulkUpdateSummary> call = new Recorder<>();
      StreamObserver<StockAdjustment> requests = service.bulkUpdateStock(call);
      call.returned();
      compare.accept("once the call's observer was returned");
      call.duringOnNext = () -> compare.accept("while the summary was being sent");
      client("TODO 3", "bulkUpdateStock's observer, given grinder +2 and kettle +1, then completed", () -> {
        requests.onNext(adjustment("grinder", 2));
        compare.accept("after grinder +2");
        requests.onNext(adjustment("kettle", 1));
        compare.accept("after kettle +1");
        requests.onCompleted();
      });
      compare.accept("after the call completed");
      assertThat(changed).as("TODO 3: the fields of StreamingInventory (and the static ones of the lab's classes, the observer's too) that one bulk update (grinder +2, kettle +1, then"
          + " completed; it sent %s) changed, as field when: before -> then. One service serves every call at once: what a"
          + " call keeps in a field of it (its counts, a map of every call's counts, a BulkUpdateSummary.Builder reused for"
          + " each summary, its products) calls at the same moment share, and one sends the other's numbers. Keep a call's"
          + " counts in the observer you return for it, and build its summary in its onCompleted"
          + " (BulkUpdateSummary.newBuilder()...build())", sent(call)).isEmpty();
      // A builder that every call shares, cleared after each summary, reads the same before and after: where it lives
      // is what shows. Two calls completing at the same moment set its fields in turns, and one builds the other's numbers.
      assertThat(buildersIn(service)).as("TODO 3: where StreamingInventory holds a protobuf builder (in its fields, or"
          + " further: a helper of yours, an array, a map), or a static field of a class of the lab does (the observer's"
          + " anonymous class too): a builder the service holds, however far in, or a static one, wherever declared, is one"
          + " every call shares, however it is cleared after each summary, and two calls completing at the same moment fill"
          + " it in turns (one sends the other's numbers). Build each summary in its call's onCompleted, with"
          + " BulkUpdateSummary.newBuilder()").isEmpty();
    }

    /**
     * Where a lab class's object holds a protobuf message builder: in its own fields (inherited and static ones too), or
     * further, in a helper of the lab's own, an array, a collection, a map or an AtomicReference (see reachable).
     */
    static List<String> buildersIn(Object service) {
      return reachable(service).entrySet().stream().filter(e -> e.getValue() instanceof com.google.protobuf.Message.Builder)
          .map(Map.Entry::getKey).toList();
    }

    /**
     * Every field reachable from a lab class's object, by its path, with what it holds: its own fields (inherited and
     * static ones too), and, to a depth of 4, what those hold: the fields of the lab's own objects (a helper, an
     * anonymous class), the elements of arrays and collections, a map's values, an AtomicReference's value; and the static
     * fields of every class of the lab (an anonymous observer's too), and what they hold. JDK and gRPC objects are not
     * opened (only looked into as containers), nor the test's; the stock, shared on purpose, is left out.
     */
    static Map<String, Object> reachable(Object service) {
      Map<String, Object> found = new java.util.TreeMap<>();
      java.util.Map<Object, Boolean> seen = new java.util.IdentityHashMap<>();
      open(service, null, 0, found, seen);
      // And the static fields of every class of the lab (the observer's anonymous class, a helper of the learner's own),
      // reachable from no object: a static field is one every call shares, wherever it is declared.
      for (Class<?> c : workbook.test.LabClasses.beside(StreamingTest.class, true)) {
        for (java.lang.reflect.Field f : c.getDeclaredFields()) {
          if (!java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || found.size() > 2_000) continue;
          try {
            f.setAccessible(true);
            Object value = f.get(null);
            if (value instanceof StockLevels) continue;
            String at = c.getName() + "." + f.getName();
            found.putIfAbsent(at, value);
            lookInto(value, at, 1, found, seen);
          } catch (RuntimeException | IllegalAccessException | LinkageError e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
      return found;
    }

    private static void open(Object held, String path, int depth, Map<String, Object> found, Map<Object, Boolean> seen) {
      if (held == null || depth > 4 || found.size() > 2_000 || seen.put(held, Boolean.TRUE) != null) return;
      for (Class<?> c = held.getClass(); c != null && c.getPackageName().isEmpty(); c = c.getSuperclass()) {
        for (java.lang.reflect.Field f : c.getDeclaredFields()) {
          if (f.isSynthetic()) continue;
          try {
            f.setAccessible(true);
            Object value = f.get(java.lang.reflect.Modifier.isStatic(f.getModifiers()) ? null : held);
            if (value instanceof StockLevels) continue;
            String at = (path == null ? c.getSimpleName() : path) + "." + f.getName();
            found.put(at, value);
            lookInto(value, at, depth + 1, found, seen);
          } catch (RuntimeException | IllegalAccessException e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
    }

    private static void lookInto(Object value, String path, int depth, Map<String, Object> found, Map<Object, Boolean> seen) {
      if (value == null || depth > 4) return;
      try {
        if (value instanceof Object[] || value instanceof java.util.Collection<?> || value instanceof java.util.Map<?, ?>
            || value instanceof java.util.concurrent.atomic.AtomicReference<?>) {
          if (seen.put(value, Boolean.TRUE) != null) return;
          List<?> inside = value instanceof Object[] array ? java.util.Arrays.asList(array)
              : value instanceof java.util.Map<?, ?> map ? List.copyOf(map.values().stream().filter(java.util.Objects::nonNull).toList())
              : value instanceof java.util.concurrent.atomic.AtomicReference<?> reference ? java.util.Collections.singletonList(reference.get())
              : new ArrayList<>((java.util.Collection<?>) value);
          for (int i = 0; i < Math.min(inside.size(), 100); i++) {
            String at = path + "[" + i + "]";
            found.put(at, inside.get(i));
            lookInto(inside.get(i), at, depth + 1, found, seen);
          }
        } else if (value.getClass().getPackageName().isEmpty() && !value.getClass().getName().startsWith("StreamingTest")) {
          open(value, path, depth, found, seen);
        }
      } catch (RuntimeException e) {
        // a container that cannot be read (changed meanwhile): nothing more of the lab's own in it
      }
    }

    @Test
    @DisplayName("each adjustment is applied in its onNext, on the thread that hands it over, however many the call counted before")
    void appliedInItsOnNext() {
      // What the stock does for each adjustment, and on which thread: a watcher is told inside levels.adjust.
      List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
      cleanup.add(levels.watch(List.of("grinder"), level -> heard.add(level.getQuantity() + " on '" + Thread.currentThread().getName() + "'")));
      String me = Thread.currentThread().getName();
      StreamingInventory service = new StreamingInventory(levels);
      // The counts the call keeps set as if 2^30 adjustments had come before (or none, or past any limit: an int at its most,
      // a long at 2^62): a limit of your own, of any size,
      // past which an adjustment is refused or left unapplied, is reached without sending that many. And, at 2^30, the set of
      // products the call keeps, if it keeps one, as if it held 2^30 products already (and a count of them beside it, set to
      // 2^30 with the other counts): a cap of your own on the products a summary counts (a million, say, to bound a call's
      // memory), past which one is left uncounted, is past without sending them.
      for (long count : new long[] {0, 1L << 30, PAST_ANY_LIMIT}) {
        Recorder<BulkUpdateSummary> call = new Recorder<>();
        StreamObserver<StockAdjustment> requests = service.bulkUpdateStock(call);
        call.returned();
        heard.clear();
        int start = levels.quantity("grinder");
        List<String> counts = new ArrayList<>();
        withCountsAt(List.of(service, requests, levels), count, counts, count == LARGE, () -> client("TODO 3", "bulkUpdateStock's observer,"
            + " given grinder +2, 0 and -1, then completed", () -> {
              requests.onNext(adjustment("grinder", 2));
              requests.onNext(adjustment("grinder", 0));
              requests.onNext(adjustment("grinder", -1));
              requests.onCompleted();
            }));
        String thread = "'" + me + "'";
        assertThat(heard).as("TODO 3: the changes to the grinder (%d before) a bulk update of grinder +2, 0 and -1 made, each"
            + " with the thread it was made on, once the counts the call keeps (%s) were set to %s (as if that many"
            + " adjustments had come before, or none): each adjustment is applied with levels.adjust in its onNext, on the"
            + " thread that hands it over, as it arrives (gRPC calls one observer one message at a time, in order, and that"
            + " orders what the watchers hear). Handed to a pool (the JVM's common pool, an executor), it is applied later,"
            + " in another order on more cores, and the summary can go out before the stock has it; past a count of your own"
            + " it is not applied at all, whatever the limit", start, counts, counted(count))
            .containsExactly((start + 2) + " on " + thread, (start + 2) + " on " + thread, (start + 1) + " on " + thread);
        List<String> events;
        synchronized (call.events) {
          events = call.events.stream().map(e -> e.startsWith("onNext") ? "a summary" : e).toList();
        }
        assertThat(events).as("TODO 3: what bulkUpdateStock did with its responseObserver for a bulk update of three"
            + " adjustments, once the counts the call keeps (%s) were set to %s: a summary, then onCompleted, whatever it"
            + " counted before (no error: no limit of your own on a call's adjustments)", counts, counted(count))
            .containsExactly("a summary", "onCompleted");
        String products;
        synchronized (call.events) {
          products = call.events.stream().filter(e -> e.startsWith("onNext")).findFirst()
              .map(e -> e.matches(".*\\bproducts: \\d+.*") ? e.replaceAll(".*\\bproducts: (\\d+).*", "$1") : "0").orElse("no summary");
        }
        boolean large = counts.stream().anyMatch(c -> c.endsWith(", as if holding 2^30 more)"));
        if (count == PAST_ANY_LIMIT) continue; // an int count of products beside the set, at its most, overflows at +1
        assertThat(products).as("TODO 3: the products the summary counted for a bulk update of grinder +2, 0 and -1, once"
            + " the counts the call keeps (%s) were set to %s%s: every product the call touched is counted, however many it"
            + " counted before (the grinder: 1, or, counted by the set's (or map's) size, %,d). A cap of your own on the products a"
            + " summary counts (to bound a call's memory), past which a product is left uncounted or the count is clamped,"
            + " answers a count that is not the delivery's, whatever its size", counts, counted(count),
            large ? ", and the set (or map) of products it keeps as if it held 2^30 already" : "", LARGE + 1)
            .isIn(large ? List.of("1", String.valueOf(LARGE + 1)) : List.of("1"));
      }
    }

    /** Each field reachable from a lab class's object (see reachable: its own, and further), as text. */
    static Map<String, String> fieldsOf(Object service) {
      Map<String, String> fields = new java.util.TreeMap<>();
      reachable(service).forEach((path, value) -> fields.put(path,
          value instanceof com.google.protobuf.MessageOrBuilder m ? com.google.protobuf.TextFormat.shortDebugString(m)
              : value instanceof Object[] array ? java.util.Arrays.deepToString(array)
              : value != null && value.getClass().isArray() ? java.util.Arrays.deepToString(new Object[] {value})
              : String.valueOf(value)));
      return fields;
    }

    @Test
    @DisplayName("two calls adjusting the same product at the same time: each summary counts only its own")
    void overlappingOnTheSameProduct() throws InterruptedException {
      Inbox<StockAdjustment, BulkUpdateSummary> first = new Inbox<>(), second = new Inbox<>();
      StreamObserver<StockAdjustment> one = stub.bulkUpdateStock(first);
      StreamObserver<StockAdjustment> two = stub.bulkUpdateStock(second);
      // Each adjustment is applied before the next is sent, so the two calls' changes to the grinder interleave.
      Object[][] steps = {{one, 1, 6}, {two, 5, 11}, {one, 2, 13}, {two, -4, 9}};
      for (Object[] step : steps) {
        @SuppressWarnings("unchecked") StreamObserver<StockAdjustment> call = (StreamObserver<StockAdjustment>) step[0];
        call.onNext(adjustment("grinder", (int) step[1]));
        int expected = (int) step[2];
        assertThat(eventually(WAIT, () -> levels.quantity("grinder") == expected)).as("TODO 3: the grinder's stock"
            + " reached %d within %s s of an adjustment by %d, sent while two calls are open: apply each adjustment as it"
            + " arrives", expected, WAIT.toSeconds(), step[1]).isTrue();
      }
      two.onCompleted();
      BulkUpdateSummary secondSummary = second.next("TODO 3: the summary of the second call, after it completed");
      one.onCompleted();
      BulkUpdateSummary firstSummary = first.next("TODO 3: the summary of the first call, after it completed");
      assertThat(List.of(List.of(firstSummary.getAdjustments(), firstSummary.getProducts(), firstSummary.getNetChange()),
          List.of(secondSummary.getAdjustments(), secondSummary.getProducts(), secondSummary.getNetChange())))
          .as("TODO 3: [adjustments, products, net change] of two calls that adjusted the grinder in turns, the first by"
              + " +1 and +2, the second by +5 and -4: each summary adds up its own call's deltas, never read from the"
              + " stock, which the other call changes meanwhile")
          .containsExactly(List.of(2, 1, 3), List.of(2, 1, 1));
    }

    @Test
    @DisplayName("two calls adjusting the same product at the same moment: each net change is the sum of its own deltas")
    void sameMomentNetChange() throws Exception {
      // A busy server, played deterministically: a call that reads the grinder's stock on its own (not inside
      // levels.adjust) waits there, without the stock's lock, until the other call has read it too.
      ReadsMeet meet = ReadsMeet.install(levels, "grinder", 2);
      Inbox<StockAdjustment, BulkUpdateSummary> first = new Inbox<>(), second = new Inbox<>();
      StreamObserver<StockAdjustment> one = stub.bulkUpdateStock(first);
      StreamObserver<StockAdjustment> two = stub.bulkUpdateStock(second);
      one.onNext(adjustment("grinder", 1));
      two.onNext(adjustment("grinder", 5));
      one.onCompleted();
      two.onCompleted();
      BulkUpdateSummary firstSummary, secondSummary;
      try {
        firstSummary = first.next("TODO 3: the summary of the first call, after it completed");
        secondSummary = second.next("TODO 3: the summary of the second call, after it completed");
      } finally {
        meet.close(); // the test reads the stock from here on
      }
      assertThat(levels.quantity("grinder")).as("TODO 3: the grinder's stock after two calls adjusted it by +1 and +5 at"
          + " the same moment (5 before): each adjustment applied once, with levels.adjust").isEqualTo(11);
      assertThat(List.of(firstSummary.getNetChange(), secondSummary.getNetChange())).as("TODO 3: [net change of the call"
          + " that sent +1, of the call that sent +5], both sent at the same moment on the grinder (%d calls read the"
          + " stock on their own): a net change is the sum of the call's own deltas; measured on the stock (the level"
          + " after minus the quantity before), it counts what the other call did between the two reads",
          meet.readers()).containsExactly(1, 5);
    }

    @Test
    @DisplayName("generated deliveries: the summary counts every message (zeros, new products, negatives) and all are applied")
    void everyMessageCounted() {
      long seed = new java.util.Random().nextLong();
      java.util.Random random = new java.util.Random(seed);
      // "Grinder" and "grinder " are products of their own: ids are exact, so a summary counts them apart.
      List<String> products = List.of("espresso-machine", "grinder", "milk-frother", "kettle", "tamper", "Grinder", "grinder ", "KETTLE");
      Map<String, Integer> expected = new java.util.HashMap<>(Map.of("espresso-machine", 12, "grinder", 5, "milk-frother", 0));
      // A product only ever adjusted by 0, and, every run, the grinder's id written with a capital and with a space.
      List<StockAdjustment> sent = new ArrayList<>(List.of(adjustment("scale", 0), adjustment("Grinder", 1), adjustment("grinder ", -1)));
      expected.put("scale", 0);
      // And, every run, a message without a product id (proto3's default, "") and one whose id is blank: messages like
      // any other, each counted and applied as it is (the stock keeps them under their ids): no line is the service's to drop.
      sent.addAll(List.of(adjustment("", 2), adjustment(" ", 1), adjustment("", -1)));
      // And, every run, 'cafe' with an e-acute written two ways: as one code point (NFC), and as an e and a combining accent (NFD).
      // Two ids, so two products, as the stock keeps them: none is the service's to normalise (NFC, NFKC) into the other.
      sent.addAll(List.of(adjustment(CAFE_COMPOSED, 1), adjustment(CAFE_DECOMPOSED, 2)));
      // And, every run, ids of the same String.hashCode ("Aa" and "BB", "AaAa" and "BBBB"...): a product is its id, not a hash of it.
      // Aa and BB every run (one pair at least that a set of hashes counts as one), and some of the longer ones.
      List<String> sameHash = new ArrayList<>(List.of("AaAa", "BBBB", "AaBB", "BBAa"));
      java.util.Collections.shuffle(sameHash, random);
      sameHash = new ArrayList<>(sameHash.subList(0, random.nextInt(sameHash.size() + 1)));
      sameHash.addAll(0, List.of("Aa", "BB"));
      for (String id : sameHash) sent.add(adjustment(id, random.nextInt(7) - 3));
      for (int i = 0, n = 50 + random.nextInt(150); i < n; i++) {
        sent.add(adjustment(products.get(random.nextInt(products.size())), random.nextInt(7) - 3));
      }
      // And, every run, deliveries and write-offs as large as an int32 holds, less room for the small ones (no stock ever
      // passes what an int32 holds): each is applied and counted as it is, whatever its size (no limit of your own clamps
      // it). Two large deliveries come first (crate, barrel), write-offs later (barrel, pallet): the running sum passes
      // 2^31 on the way, while the net change, the sum of the deltas, fits. Summed as an int32 (or a long, cast at the
      // end), it is exact; a sum that clamps, or fails, at the int32's bounds on the way is not.
      int huge = Integer.MAX_VALUE - 1_000;
      sent.addAll(List.of(adjustment("barrel", -huge), adjustment("pallet", -huge)));
      java.util.Collections.shuffle(sent, random);
      sent.addAll(0, List.of(adjustment("crate", huge), adjustment("barrel", huge)));
      sent.forEach(a -> expected.merge(a.getProductId(), a.getDelta(), Integer::sum));
      List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>(); // what a watcher of every product hears
      Set<String> all = new HashSet<>(products);
      all.addAll(List.of("scale", "crate", "pallet", "barrel", "", " ", CAFE_COMPOSED, CAFE_DECOMPOSED));
      all.addAll(sameHash);
      StockLevels.Watch watcher = levels.watch(all, level -> heard.add(level.getProductId()));
      cleanup.add(watcher);
      heard.clear(); // the current levels: only the changes count below
      BulkUpdateSummary summary = send(sent);
      String delivery = sent.size() + " adjustments generated from seed " + seed + " (" + sent.stream()
          .filter(a -> a.getDelta() == 0).count() + " of them by 0, crate and barrel +" + huge + " first, then barrel and"
          + " pallet -" + huge + "), over "
          + sent.stream().map(StockAdjustment::getProductId).distinct().count() + " products";
      assertThat(List.of(summary.getAdjustments(), summary.getProducts(), summary.getNetChange()))
          .as("TODO 3: [adjustments, products, net change] of a delivery of %s: every message the client sent is one"
              + " adjustment, an adjustment by 0, a product new to the stock and one without an id or with a blank one too"
              + " (never dropped: the summary counts what was sent); products are counted by their exact"
              + " ids (grinder, Grinder and 'grinder ' are three, and so are Aa, BB and AaBB, whose String.hashCode is the"
              + " same: a set of hashes counts them as one; and 'caf\u00e9' with its e-acute as one code point and as e plus a"
              + " combining accent is two, as the stock keeps them: no normalising of your own); the net change is the sum of the deltas, also when the running"
              + " sum passes what an int32 holds on the way (two large deliveries first): it fits at the end, so an int32"
              + " sum is exact; one that clamps, or fails, on the way is not", delivery)
          .containsExactly(sent.size(), (int) sent.stream().map(StockAdjustment::getProductId).distinct().count(),
              sent.stream().mapToInt(StockAdjustment::getDelta).sum());
      Map<String, Integer> stock = new java.util.HashMap<>();
      expected.keySet().forEach(id -> stock.put(id, levels.quantity(id)));
      assertThat(stock).as("TODO 3: stock after a delivery of %s (levels.adjust for each one, with its delta as it is,"
          + " whatever its size)", delivery).isEqualTo(expected);
      assertThat(heard).as("TODO 3: the changes a watcher of every product heard during a delivery of %s, product by"
          + " product: each adjustment is a change to the stock, an adjustment by 0 too (its updated_at moves), so call"
          + " levels.adjust for every one, as it arrives", delivery)
          .isEqualTo(sent.stream().map(StockAdjustment::getProductId).toList());
    }

    @Test
    @DisplayName("an empty delivery is answered too, with a summary of zeros")
    void emptyDelivery() {
      BulkUpdateSummary summary = send(List.of());
      assertThat(List.of(summary.getAdjustments(), summary.getProducts(), summary.getNetChange()))
          .as("TODO 3: [adjustments, products, net change] of a call that sent nothing and completed").containsExactly(0, 0, 0);
    }

    @Test
    @DisplayName("each adjustment is applied as it arrives, before the client has finished sending")
    void appliedAsTheyArrive() throws InterruptedException {
      Inbox<StockAdjustment, BulkUpdateSummary> answers = new Inbox<>();
      StreamObserver<StockAdjustment> requests = stub.bulkUpdateStock(answers);
      requests.onNext(adjustment("grinder", 3));
      requests.onNext(adjustment("kettle", 2));
      boolean applied = eventually(WAIT, () -> levels.quantity("grinder") == 8 && levels.quantity("kettle") == 2);
      assertThat(List.of(levels.quantity("grinder"), levels.quantity("kettle"))).as("TODO 3: [grinder, kettle] in stock"
          + " %s s after the client sent grinder +3 and kettle +2 (5 and 0 before), while it is still sending: apply each"
          + " adjustment in onNext, as it arrives (whoever watches the stock hears of it then), not all at the end",
          WAIT.toSeconds()).containsExactly(8, 2);
      requests.onCompleted();
      assertThat(answers.next("TODO 3: the summary, after the client completed").getAdjustments()).as("TODO 3: adjustments counted").isEqualTo(2);
    }

    @Test
    @DisplayName("the server answers exactly once when the client completes, and sends nothing when the client gave up")
    void answersOnceOrNotAtAll() {
      Recorder<BulkUpdateSummary> completed = new Recorder<>();
      StreamObserver<StockAdjustment> requests = new StreamingInventory(levels).bulkUpdateStock(completed);
      completed.returned();
      requests.onNext(adjustment("grinder", 1));
      requests.onNext(adjustment("grinder", 1));
      requests.onCompleted();
      assertThat(completed.events).as("TODO 3: what bulkUpdateStock did with its responseObserver, for a client that sent"
          + " two adjustments and completed: one summary, then onCompleted, once").containsExactly(
              "onNext adjustments: 2 products: 1 net_change: 2", "onCompleted");
      Recorder<BulkUpdateSummary> gaveUp = new Recorder<>();
      requests = new StreamingInventory(levels).bulkUpdateStock(gaveUp);
      gaveUp.returned();
      requests.onNext(adjustment("grinder", 1));
      requests.onNext(adjustment("milk-frother", 4));
      gaveUp.cancel(requests);
      assertThat(sent(gaveUp)).as("TODO 3: what bulkUpdateStock did with its responseObserver after the client sent two"
          + " adjustments and then cancelled (its stream ended with onError CANCELLED; a passed deadline looks the same):"
          + " the call is over, nobody waits for a summary, so onError neither answers nor completes").isEmpty();
      assertThat(List.of(levels.quantity("grinder"), levels.quantity("milk-frother"))).as("TODO 3: [grinder,"
          + " milk-frother] after a completed delivery of grinder +1 +1, then a cancelled one of grinder +1 and milk-frother"
          + " +4 (5 and 0 before): each adjustment is applied as it arrives").containsExactly(8, 4);
    }

    @Test
    @DisplayName("a client that is slow (not ready) still gets its summary, then the call completes")
    void slowReaderGetsItsSummary() {
      Recorder<BulkUpdateSummary> slow = new Recorder<>();
      slow.ready = false;
      StreamObserver<StockAdjustment> requests = new StreamingInventory(levels).bulkUpdateStock(slow);
      slow.returned();
      client("TODO 3", "bulkUpdateStock's observer, given grinder +2 and kettle +1 by a slow client (not ready)", () -> {
        requests.onNext(adjustment("grinder", 2));
        requests.onNext(adjustment("kettle", 1));
      });
      client("TODO 3", "bulkUpdateStock's observer, when the slow client (not ready) completed", requests::onCompleted);
      client("TODO 3", "the slow client catching up (gRPC runs the on-ready handler)", slow::becomeReady);
      assertThat(sent(slow)).as("TODO 3: what bulkUpdateStock sent on a call whose client was slow (isReady() false) when"
          + " it completed, and then caught up: the summary, then onCompleted. isReady() is for pacing a sender that can"
          + " wait; gRPC queues the one summary, so send it (never skip it), or send it from the on-ready handler, and"
          + " complete after it").containsExactly("onNext adjustments: 2 products: 2 net_change: 3", "onCompleted");
    }

    @Test
    @DisplayName("a client stream that paces its reading (disableAutoRequest) asks for each next adjustment as it reads: it reads past whatever it asked for up front")
    void pacedReadingReadsOn() {
      Recorder<BulkUpdateSummary> call = new Recorder<>();
      StreamObserver<StockAdjustment> requests = new StreamingInventory(levels).bulkUpdateStock(call);
      call.returned();
      long upFront = call.outstanding();
      long[] read = new long[3];
      client("TODO 3", "bulkUpdateStock's observer, handed adjustments of grinder +1 as far as it asked for them", () -> {
        long[] r = readsPastItsAsk(call, i -> adjustment("grinder", 1), requests::onNext);
        System.arraycopy(r, 0, read, 0, 3);
      });
      String asked = upFront == Long.MAX_VALUE ? "it reads every one (gRPC's default)" : String.format("it asked for %,d before"
          + " its first (disableAutoRequest, then request(n))%s", upFront, read[2] > 0 ? String.format(", taken as handed all"
          + " but one of them (%,d)", read[2]) : "");
      assertThat(read[0]).as("TODO 3: adjustments gRPC could hand bulkUpdateStock's observer, of %,d sent (%s), as gRPC hands"
          + " a stream that paces its reading only what it has asked for: a client stream reads every adjustment, however"
          + " many (no limit of your own): a budget asked once (request(100_000), say) is one, past which the next is never"
          + " read and the call never answered. Read every one (gRPC's default), or ask for the next (request(1)) as each is"
          + " applied in onNext", read[1], asked).isEqualTo(read[1]);
      client("TODO 3", "bulkUpdateStock's observer, when the client completed", requests::onCompleted);
      assertThat(sent(call)).as("TODO 3: what bulkUpdateStock sent once it had read %,d adjustments of grinder +1 (%s) and"
          + " the client completed: one summary, then onCompleted", read[0], asked).hasSize(2);
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // the largest delivery: after the step's quicker tests
    @DisplayName("a delivery over 70,000 different products counts every one of them: no cap of your own on the products a summary counts")
    void everyProductCounted() {
      // More different products than a set of a round size (4,096, 65,536) would be allowed to keep: a summary counts every
      // product its call touched, however many; a cap of your own on them (to bound the memory a call takes) answers a
      // count that is not the delivery's. The first 1,000 products come twice: products are counted once each.
      int products = 70_000, twice = 1_000;
      Recorder<BulkUpdateSummary> call = new Recorder<>();
      StreamObserver<StockAdjustment> requests = new StreamingInventory(levels).bulkUpdateStock(call);
      call.returned();
      client("TODO 3", "bulkUpdateStock's observer, given " + (products + twice) + " adjustments of +1 over " + products
          + " different products, then completed", () -> {
            for (int i = 0; i < products + twice; i++) requests.onNext(adjustment("product-" + (i % products), 1));
            requests.onCompleted();
          });
      assertThat(sent(call)).as("TODO 3: what bulkUpdateStock sent for a delivery of %,d adjustments of +1 over %,d"
          + " different products (the first %,d twice): one summary counting every adjustment, every different product"
          + " (however many: no cap of your own on the products a summary counts, nor a refusal past one) and the net"
          + " change, then onCompleted", products + twice, products, twice)
          .containsExactly("onNext " + com.google.protobuf.TextFormat.shortDebugString(BulkUpdateSummary.newBuilder()
              .setAdjustments(products + twice).setProducts(products).setNetChange(products + twice).build()), "onCompleted");
    }

    @Test
    @DisplayName("the server answers once, after the client has sent everything")
    void answersOnlyAtTheEnd() throws Exception {
      Inbox<StockAdjustment, BulkUpdateSummary> answers = new Inbox<>();
      StreamObserver<StockAdjustment> requests = stub.bulkUpdateStock(answers);
      requests.onNext(adjustment("grinder", 1));
      assertThat(answers.within(Duration.ofMillis(300))).as("TODO 3: the server answered after the first adjustment, while"
          + " the client was still sending: a client stream has one answer, sent in onCompleted").isNull();
      requests.onNext(adjustment("grinder", 1));
      requests.onCompleted();
      assertThat(answers.next("TODO 3: the summary, after the client completed").getAdjustments()).as("TODO 3: adjustments counted").isEqualTo(2);
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: a bidirectional stream (ReserveStock)")
  class Step4 {
    @Test
    @DisplayName("each reservation is answered while the client is still sending")
    void answersEachAsItArrives() {
      Inbox<ReserveStockRequest, ReserveStockReply> replies = new Inbox<>();
      StreamObserver<ReserveStockRequest> requests = stub.reserveStock(replies);
      List<String> seen = new ArrayList<>();
      for (int order = 1; order <= 3; order++) {
        requests.onNext(reservation("order-" + order, 2));
        ReserveStockReply reply = replies.next("TODO 4: the answer to order-" + order + ", and the client has not finished"
            + " sending. Answer inside onNext: a server that waits for onCompleted makes the client wait for everything");
        seen.add(reply.getOrderId() + (reply.getReserved() ? " reserved, " : " refused, ") + reply.getRemaining() + " left");
      }
      requests.onCompleted();
      assertThat(seen).as("TODO 4: the answers to three orders of 2 grinders (5 in stock), from levels.reserve(...)")
          .containsExactly("order-1 reserved, 3 left", "order-2 reserved, 1 left", "order-3 refused, 1 left");
    }

    @Test
    @DisplayName("forty reservations sent without waiting are all answered, in order, before the call ends")
    void burstAnsweredInOrder() {
      Inbox<ReserveStockRequest, ReserveStockReply> replies = new Inbox<>();
      StreamObserver<ReserveStockRequest> requests = stub.reserveStock(replies);
      levels.adjust("grinder", 35); // 40 in stock: every order of 1 is reserved
      for (int order = 1; order <= 40; order++) requests.onNext(reservation("order-" + order, 1));
      requests.onCompleted();
      List<String> seen = new ArrayList<>();
      for (int order = 1; order <= 40; order++) {
        ReserveStockReply reply = replies.next("TODO 4: the answer to the " + ordinal(order) + " of 40 reservations sent at once ("
            + seen.size() + " arrived, the call ended with " + replies.endNow() + "): every request gets its answer, and"
            + " the call completes only after the last one");
        seen.add(reply.getOrderId() + " " + reply.getRemaining());
      }
      senders.assertNone();
      assertThat(seen).as("TODO 4: the answers, in the order they arrived; each one must leave in onNext, on the thread"
          + " that received its request, so they come back in the order asked")
          .isEqualTo(java.util.stream.IntStream.rangeClosed(1, 40).mapToObj(i -> "order-" + i + " " + (40 - i)).toList());
      assertThat(replies.end(WAIT)).as("TODO 4: how the call ended after the client completed").isEqualTo(Status.OK);
    }

    @Test
    @DisplayName("every reservation is answered, whatever its quantity or product: negative, 0, too many, all that is left, one more, a product not in stock (ids exact), without an order id, the most an int32 holds")
    void everyQuantityAnswered() {
      Inbox<ReserveStockRequest, ReserveStockReply> replies = new Inbox<>();
      StreamObserver<ReserveStockRequest> requests = stub.reserveStock(replies);
      // A kettle, which the inventory has never had, between the grinders: refused like any order it cannot fill.
      String[] products = {"grinder", "grinder", "kettle", "grinder", "grinder", "grinder"};
      int[] quantities = {-1, 0, 1, 6, 5, 1};
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < quantities.length; i++) {
        requests.onNext(reservation("order-" + (i + 1), quantities[i]).toBuilder().setProductId(products[i]).build());
        ReserveStockReply reply = replies.next("TODO 4: the answer to order-" + (i + 1) + " of " + quantities[i] + " "
            + products[i] + (products[i].equals("kettle") ? " (a product the inventory does not have)" : "") + ": every"
            + " request of a bidirectional stream gets its answer from levels.reserve(request), a refusal too (reserved ="
            + " false, an unknown product as well); skipping a request, or ending the stream for one, loses it and the"
            + " others");
        seen.add(reply.getOrderId() + (reply.getReserved() ? " reserved, " : " refused, ") + reply.getRemaining() + " left");
      }
      // Two grinders come in, and order-6 is sent again: a request like any other, which levels.reserve answers now.
      levels.adjust("grinder", 2);
      requests.onNext(reservation("order-6", 1));
      ReserveStockReply again = replies.next("TODO 4: the answer to order-6 sent a second time, after 2 grinders came in");
      seen.add(again.getOrderId() + (again.getReserved() ? " reserved, " : " refused, ") + again.getRemaining() + " left");
      // And, after 3 more grinders came in, order-5, granted before, sent again: a request like any other too.
      levels.adjust("grinder", 3);
      requests.onNext(reservation("order-5", 1));
      ReserveStockReply granted = replies.next("TODO 4: the answer to order-5 (granted before) sent a second time");
      seen.add(granted.getOrderId() + (granted.getReserved() ? " reserved, " : " refused, ") + granted.getRemaining() + " left");
      // Ids are exact: 'Grinder' and 'grinder ' are products the inventory does not have, refused as the kettle was.
      // And then the grinders' stock raised to the most an int32 holds, and all of it reserved at once: whatever the
      // quantity, levels.reserve decides (a limit of your own, of any size, refuses what the stock has).
      for (String product : new String[] {"Grinder", "grinder "}) {
        requests.onNext(reservation("order-" + product.strip().toLowerCase() + "-" + product.length(), 1).toBuilder().setProductId(product).build());
        ReserveStockReply other = replies.next("TODO 4: the answer to a reservation of 1 '" + product + "' (a product the inventory"
            + " does not have: ids are exact)");
        seen.add("'" + product + "'" + (other.getReserved() ? " reserved, " : " refused, ") + other.getRemaining() + " left");
      }
      // And 'cafe' with an e-acute, 1 in stock written with the e-acute as one code point (NFC): a reservation of it written
      // with an e and a combining accent (NFD) is of another id, a product the inventory does not have: never normalised.
      levels.adjust(CAFE_COMPOSED, 1);
      requests.onNext(reservation("order-cafe", 1).toBuilder().setProductId(CAFE_DECOMPOSED).build());
      ReserveStockReply cafe = replies.next("TODO 4: the answer to a reservation of 1 'cafe' written with a combining accent,"
          + " while the stock has 1 'cafe' written with its e-acute as one code point (ids are exact)");
      seen.add("'cafe+accent'" + (cafe.getReserved() ? " reserved, " : " refused, ") + cafe.getRemaining() + " left");
      // A request without an order id (proto3's default, ""), and one with no field set at all: requests like any other,
      // answered by levels.reserve as they are (the client matches answers to requests by their order on the stream).
      // Then order-7, so that a request left unanswered shows at once: its answer comes first.
      requests.onNext(reservation("", 1));
      requests.onNext(ReserveStockRequest.getDefaultInstance());
      requests.onNext(reservation("order-7", 1));
      for (String request : new String[] {"(no order id)", "(empty)", "order-7"}) {
        ReserveStockReply reply = replies.next("TODO 4: the answer to " + request + ", of a reservation of 1 grinder without an"
            + " order id, an empty one (no order id, no product, quantity 0) and order-7 of 1 grinder, sent in that order");
        assertThat(reply.getOrderId()).as("TODO 4: the answers to a reservation without an order id, an empty reservation and"
            + " order-7, in that order: the answer to %s was that of '%s'. Every request is answered, in order, one without"
            + " an order id too (levels.reserve decides; the client matches answers to requests by their order on the"
            + " stream): skip none", request, reply.getOrderId()).isEqualTo(request.startsWith("(") ? "" : request);
        seen.add(request + (reply.getReserved() ? " reserved, " : " refused, ") + reply.getRemaining() + " left");
      }
      levels.adjust("grinder", Integer.MAX_VALUE - levels.quantity("grinder"));
      requests.onNext(reservation("order-all", Integer.MAX_VALUE));
      ReserveStockReply all = replies.next("TODO 4: the answer to order-all of " + Integer.MAX_VALUE + " grinders, with as many in stock");
      seen.add(all.getOrderId() + (all.getReserved() ? " reserved, " : " refused, ") + all.getRemaining() + " left");
      requests.onCompleted();
      assertThat(seen).as("TODO 4: the answers to orders of -1 and 0 grinders, 1 kettle (not in the inventory), then 6, 5"
          + " and 1 grinders (5 in stock), then, after 2 grinders came in, order-6 of 1 grinder again, then, after 3 more came in, order-5"
          + " (granted before) of 1 again, from levels.reserve(...) for each request: an order id seen before, refused or granted, is"
          + " still a request to answer now (no reply kept by order id; the stock has changed since); then 1 'Grinder' and 1"
          + " 'grinder ' (ids are exact: products the inventory does not have, so refused, not changed into 'grinder'), then"
          + " 1 'cafe+accent' ('caf\u00e9' written with an e and a combining accent, while 1 'caf\u00e9' with its e-acute as one"
          + " code point is in stock: another id, so refused, never normalised into it), then"
          + " 1 grinder without an order id, an empty request (requests too: each gets its answer, none is skipped) and order-7"
          + " of 1 grinder, then,"
          + " with %,d grinders in stock, all of them at once (no limit of your own on a quantity: the request goes to"
          + " levels.reserve as it is, whatever its size)", Integer.MAX_VALUE)
          .containsExactly("order-1 refused, 5 left", "order-2 refused, 5 left", "order-3 refused, 0 left",
              "order-4 refused, 5 left", "order-5 reserved, 0 left", "order-6 refused, 0 left", "order-6 reserved, 1 left",
              "order-5 reserved, 3 left", "'Grinder' refused, 0 left", "'grinder ' refused, 0 left", "'cafe+accent' refused, 0 left",
              "(no order id) reserved, 2 left",
              "(empty) refused, 0 left", "order-7 reserved, 1 left", "order-all reserved, 0 left");
      assertThat(replies.end(WAIT)).as("TODO 4: how the call ended after the client completed").isEqualTo(Status.OK);
    }

    @Test
    @DisplayName("a client that is slow (not ready) still gets every answer, in order, however far behind (3 answers, then 70,000), each sent in its onNext, then the call completes")
    void slowReaderGetsEveryAnswer() {
      Recorder<ReserveStockReply> slow = new Recorder<>();
      slow.ready = false;
      StreamObserver<ReserveStockRequest> requests = new StreamingInventory(levels).reserveStock(slow);
      slow.returned();
      // Each answer is sent in its request's onNext, on the thread that hands the request over: counted right after each
      // onNext returns (an answer not sent yet shows), and its thread noted (an answer sent on another thread shows).
      slow.answersFrom = Thread.currentThread();
      int[] quantities = {2, 9, 3};
      for (int i = 0; i < quantities.length; i++) {
        int order = i + 1;
        client("TODO 4", "reserveStock's observer, given a reservation of " + quantities[i] + " grinders by a slow client (not"
            + " ready)", () -> requests.onNext(reservation("order-" + order, quantities[order - 1])));
        int answered = sent(slow).size(); // read before where it was sent from: an answer counted here has been noted there
        String where = slow.elsewhere;
        assertThat(answered + " answered, " + (where == null ? "each in its onNext" : where)).as("TODO 4: what reserveStock"
            + " had sent on a call whose client was slow (isReady() false), right after its onNext returned for reservation"
            + " %d of 2, 9 and 3 grinders (5 in stock): each request is answered in its onNext, on the thread that hands it"
            + " over, ready or not, and gRPC queues the answer for the client; a queue of your own, of whatever size, fills,"
            + " then drops or waits, and an answer left to another thread (an executor) comes after onNext returned, or"
            + " from a thread gRPC never gave the call", order).isEqualTo(order + " answered, each in its onNext");
      }
      slow.answersFrom = null;
      client("TODO 4", "reserveStock's observer, when the slow client (not ready) completed", requests::onCompleted);
      client("TODO 4", "the slow client catching up (gRPC runs the on-ready handler)", slow::becomeReady);
      assertThat(sent(slow)).as("TODO 4: what reserveStock sent on a call whose client was slow (isReady() false) while it"
          + " reserved 2, 9 and 3 grinders (5 in stock), and then caught up: every reservation made is answered, in"
          + " order, then onCompleted. isReady() is for pacing a sender that can wait; a reservation is already made, so"
          + " send its answer (gRPC queues it), never drop it")
          .containsExactly("onNext order_id: \"order-1\" reserved: true remaining: 3", "onNext order_id: \"order-2\" remaining: 3",
              "onNext order_id: \"order-3\" reserved: true", "onCompleted");
      // Far behind: 70,000 reservations of 1 grinder (more than any queue of a round size, 4,096 or 65,536, would keep),
      // 35,000 in stock, all made while the client reads nothing.
      int orders = 70_000, stock = 35_000;
      levels.adjust("grinder", stock - levels.quantity("grinder"));
      // A Recorder that keeps the answers as they are: 70,000 of them, each as text, cost seconds; text only for a difference.
      List<ReserveStockReply> answers = java.util.Collections.synchronizedList(new ArrayList<>());
      Recorder<ReserveStockReply> behind = new Recorder<>() {
        @Override public void onNext(ReserveStockReply reply) { answers.add(reply); }
      };
      behind.ready = false;
      StreamObserver<ReserveStockRequest> many = new StreamingInventory(levels).reserveStock(behind);
      behind.returned();
      client("TODO 4", "reserveStock's observer, given " + orders + " reservations of 1 grinder by a slow client (not ready)", () -> {
        for (int i = 1; i <= orders; i++) many.onNext(reservation("order-" + i, 1));
      });
      assertThat(answers.size() + sent(behind).size()).as("TODO 4: answers reserveStock had sent, once a slow client (isReady() false) had"
          + " sent %,d reservations of 1 grinder: each request is answered in its onNext, ready or not (gRPC queues the"
          + " answer); a queue of your own fills, then drops or waits", orders).isEqualTo(orders);
      client("TODO 4", "reserveStock's observer, when the slow client (not ready) completed", many::onCompleted);
      client("TODO 4", "the slow client catching up (gRPC runs the on-ready handler)", behind::becomeReady);
      List<ReserveStockReply> expected = new ArrayList<>();
      for (int i = 1; i <= orders; i++) {
        expected.add(ReserveStockReply.newBuilder().setOrderId("order-" + i).setReserved(i <= stock).setRemaining(Math.max(stock - i, 0)).build());
      }
      List<ReserveStockReply> answeredAll;
      synchronized (answers) { answeredAll = List.copyOf(answers); }
      assertThat(answeredAll.equals(expected) && sent(behind).equals(List.of("onCompleted")) ? null : firstDifference(
          java.util.stream.Stream.concat(answeredAll.stream().map(r -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(r)),
              sent(behind).stream()).toList(),
          java.util.stream.Stream.concat(expected.stream().map(r -> "onNext " + com.google.protobuf.TextFormat.shortDebugString(r)),
              java.util.stream.Stream.of("onCompleted")).toList())).as("TODO 4: what reserveStock sent on a call whose client was"
          + " slow (isReady() false) while it made %,d reservations of 1 grinder (%,d in stock), then completed and caught"
          + " up: an answer to every reservation, in order, however far behind the client is, then onCompleted. Each"
          + " reservation is made: dropping its answer (a bounded queue that forgets the oldest) leaves the client not"
          + " knowing what it holds; gRPC queues what a slow client has not read", orders, stock).isNull();
      // However far behind: the counts the stream keeps (answers sent to a client not ready, say, or reservations granted)
      // set as if 2^30 had gone out unread, or none, or past any limit (an int at its most, a long, of answers or bytes, at
      // 2^62), and the next request is still answered, by levels.reserve: with 1
      // grinder in stock, a reservation of 1 is granted. A limit of any size is reached without sending that many, and a
      // time of any length without waiting for it (every moment the stream keeps set to 1970, or, as a number, long ago; a
      // gRPC Deadline it keeps, passed a century ago).
      // One reservation is made first, so that what the stream keeps of it (what it holds of each product, say, in a map)
      // is there to be set too.
      StreamingInventory service = new StreamingInventory(levels);
      for (long count : new long[] {0, 1L << 30, PAST_ANY_LIMIT, LONG_AGO}) {
        levels.adjust("grinder", 2 - levels.quantity("grinder"));
        Recorder<ReserveStockReply> far = new Recorder<>();
        far.ready = false;
        StreamObserver<ReserveStockRequest> stream = service.reserveStock(far);
        far.returned();
        client("TODO 4", "reserveStock's observer, given a first reservation of 1 grinder by a slow client (not ready)",
            () -> stream.onNext(reservation("order-near", 1)));
        int before = sent(far).size();
        List<String> counts = new ArrayList<>();
        withCountsAt(List.of(service, stream, levels), count, counts, () -> boundedly("TODO 4", "reserveStock's observer, given"
            + " a reservation of 1 grinder by a slow client (not ready)", () -> stream.onNext(reservation("order-far", 1))));
        List<String> answered = sent(far).subList(before, sent(far).size());
        assertThat(answered.size()).as("TODO 4: answers reserveStock sent to one reservation from a client that was slow"
            + " (isReady() false), once the counts the stream keeps (%s) were set to %s, as if that many answers had gone"
            + " out unread (or none): each request is answered in its onNext however far behind the client is (gRPC queues"
            + " it); a count of your own past which an answer is dropped, or waits, leaves reservations made but never"
            + " answered, whatever its limit", counts, counted(count)).isEqualTo(1);
        assertThat(answered).as("TODO 4: the answer reserveStock sent to a reservation of 1 grinder (1 in stock, after a"
            + " first one of 1 on the same stream), once the counts the stream keeps (%s) were set to %s, as if it had granted"
            + " (or answered) that many: each request is answered by levels.reserve(request) as it is, whatever the stream"
            + " reserved before; a count of your own (in a field, or what the stream holds of each product, in a map) past"
            + " which a request is refused without asking the stock refuses what the stock has, whatever its limit, and so"
            + " does a time of your own (how long the client has been behind, kept as a moment or a gRPC Deadline)", counts,
            counted(count)).containsExactly("onNext order_id: \"order-far\" reserved: true");
        far.cancel(stream);
      }
    }

    @Test
    @DisplayName("a stream that paces its reading (disableAutoRequest) asks for each next request as it answers: it reads past whatever it asked for up front")
    void pacedReadingReadsOn() {
      // A Recorder that counts the answers only: up to 10,001 of them, each as text, cost seconds.
      java.util.concurrent.atomic.AtomicLong answers = new java.util.concurrent.atomic.AtomicLong();
      Recorder<ReserveStockReply> call = new Recorder<>() {
        @Override public void onNext(ReserveStockReply reply) { answers.incrementAndGet(); }
      };
      StreamObserver<ReserveStockRequest> requests = new StreamingInventory(levels).reserveStock(call);
      call.returned();
      long upFront = call.outstanding();
      long[] read = new long[3];
      client("TODO 4", "reserveStock's observer, handed reservations of 1 grinder as far as it asked for them", () -> {
        long[] r = readsPastItsAsk(call, i -> reservation("order-" + (i + 1), 1), requests::onNext);
        System.arraycopy(r, 0, read, 0, 3);
      });
      long answered = answers.get();
      call.cancel(requests);
      String asked = upFront == Long.MAX_VALUE ? "it reads every one (gRPC's default)" : String.format("it asked for %,d before"
          + " its first (disableAutoRequest, then request(n))%s", upFront, read[2] > 0 ? String.format(", taken as handed all"
          + " but one of them (%,d)", read[2]) : "");
      assertThat(List.of(read[0], answered)).as("TODO 4: [reservations gRPC could hand reserveStock's observer,"
          + " answers sent] of %,d reservations sent by a client that keeps up (%s), as gRPC hands a stream that paces its"
          + " reading only what it has asked for: a bidirectional stream reads and answers every request, however many: a"
          + " budget asked once (request(100_000), say) is one, past which the next reservation is never read nor"
          + " answered. Read every one (gRPC's default), or ask for the next (request(1)) as each is answered, and when a"
          + " slow client catches up", read[1], asked).containsExactly(read[1], read[1]);
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // after the step's other tests: it looks at how the stream reads
    @DisplayName("a client that falls behind (not ready), catches up and falls behind again before each reservation has every one read and answered")
    void everyRequestReadOfASlowClient() {
      Recorder<ReserveStockReply> slow = new Recorder<>();
      slow.ready = false;
      StreamObserver<ReserveStockRequest> requests = new StreamingInventory(levels).reserveStock(slow);
      slow.returned();
      // gRPC hands a stream the client's next request at once when it reads every one (the default); when it paces its
      // reading (disableAutoRequest), only once it has asked for one (request(1)). Before each request, the client is
      // behind; if the stream has not asked for the request, the client catches up (gRPC runs the on-ready handler) and
      // falls behind again with the next answer: a stream that paces its reading asks for the next request then.
      List<String> read = new ArrayList<>();
      for (int order = 1; order <= 3; order++) {
        if (!slow.mayHand()) {
          client("TODO 4", "the slow client catching up (gRPC runs the on-ready handler)", slow::becomeReady);
          slow.ready = false;
          if (!slow.mayHand()) break;
        }
        int o = order;
        client("TODO 4", "reserveStock's observer, given a reservation of 1 grinder by a slow client (not ready)",
            () -> requests.onNext(reservation("order-" + o, 1)));
        read.add("order-" + o);
      }
      if (read.size() == 3) {
        client("TODO 4", "reserveStock's observer, when the slow client (not ready) completed", requests::onCompleted);
        client("TODO 4", "the slow client catching up (gRPC runs the on-ready handler)", slow::becomeReady);
      }
      List<String> events = new ArrayList<>(read.stream().map(o -> "read " + o).toList());
      events.addAll(sent(slow).stream().map(e -> e.replaceAll("^onNext order_id: \"([^\"]*)\".*", "answered $1")).toList());
      slow.cancel(requests);
      assertThat(events).as("TODO 4: [requests read, then what was sent] on a stream whose client sent three reservations of"
          + " 1 grinder, each while it was behind (isReady() false), catching up (the on-ready handler ran) and falling"
          + " behind again when the stream had asked for no more: every request is read and answered, then onCompleted."
          + " A stream that paces its reading (disableAutoRequest) asks for the next request (request(1)) when the client"
          + " catches up, in its on-ready handler; asking only while the client is ready leaves its next reservations"
          + " unread, never answered (the call hangs until its deadline). Or read every request, as gRPC does by default,"
          + " and send each answer in onNext: gRPC queues it")
          .containsExactly("read order-1", "read order-2", "read order-3", "answered order-1", "answered order-2",
              "answered order-3", "onCompleted");
    }

    @Test
    @DisplayName("eight streams reserving the last grinders at the same moment never reserve more than there is, and each answer says what its own reservation left")
    void sameMomentNeverOversells() throws Exception {
      int streams = 8, stock = 3;
      levels.adjust("grinder", stock - levels.quantity("grinder"));
      // A busy server, played deterministically: a stream that reads the grinder's stock on its own (not inside
      // levels.reserve) waits there, without the stock's lock, until every stream has read it too.
      ReadsMeet meet = ReadsMeet.install(levels, "grinder", streams);
      List<Inbox<ReserveStockRequest, ReserveStockReply>> replies = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        replies.add(new Inbox<>());
        stub.reserveStock(replies.get(i)).onNext(reservation("s" + (i + 1), 1));
      }
      List<String> reserved = new ArrayList<>();
      List<Integer> left = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        ReserveStockReply reply = replies.get(i).next("TODO 4: the answer to s" + (i + 1) + ", one of " + streams
            + " reservations of 1 grinder made at the same moment, each on a stream of its own");
        if (reply.getReserved()) reserved.add(reply.getOrderId() + " (" + reply.getRemaining() + " left)");
        if (reply.getReserved()) left.add(reply.getRemaining());
      }
      meet.close();
      assertThat(reserved).as("TODO 4: the reservations granted of %d made at the same moment (one per stream) for 1"
          + " grinder each, with %d in stock (now %d; %d streams read the stock on their own before taking): deciding"
          + " and taking must be one step, levels.reserve(request), which holds the stock's lock for both; reading"
          + " levels.quantity(...) and then adjusting lets several streams see the same last grinders and all take them",
          streams, stock, levels.quantity("grinder"), meet.readers()).hasSize(stock);
      java.util.Collections.sort(left);
      assertThat(left).as("TODO 4: the grinders left, as the %d granted answers reported them, of %d reservations of 1"
          + " grinder made at the same moment with %d in stock (%d streams read the stock on their own): each answer is"
          + " levels.reserve(request) as it is, whose remaining is the stock right after that reservation; read again"
          + " afterwards, it is what the other streams left", reserved.size(), streams, stock, meet.readers())
          .containsExactly(0, 1, 2);
    }

    @Test
    @DisplayName("two streams reserving the same product in turns: each answer counts the other's reservations")
    void overlappingStreams() {
      Inbox<ReserveStockRequest, ReserveStockReply> first = new Inbox<>(), second = new Inbox<>();
      StreamObserver<ReserveStockRequest> a = stub.reserveStock(first), b = stub.reserveStock(second);
      List<String> seen = new ArrayList<>();
      Object[][] turns = {{b, second, "b-1", 1}, {a, first, "a-1", 3}, {b, second, "b-2", 3}, {a, first, "a-2", 1}};
      for (Object[] turn : turns) {
        @SuppressWarnings("unchecked") StreamObserver<ReserveStockRequest> requests = (StreamObserver<ReserveStockRequest>) turn[0];
        @SuppressWarnings("unchecked") Inbox<ReserveStockRequest, ReserveStockReply> replies = (Inbox<ReserveStockRequest, ReserveStockReply>) turn[1];
        requests.onNext(reservation((String) turn[2], (int) turn[3]));
        ReserveStockReply reply = replies.next("TODO 4: the answer to " + turn[2] + ", while another stream is open");
        seen.add(reply.getOrderId() + (reply.getReserved() ? " reserved, " : " refused, ") + reply.getRemaining() + " left");
      }
      a.onCompleted();
      b.onCompleted();
      assertThat(seen).as("TODO 4: the answers of two streams reserving grinders in turns (5 in stock): b-1 of 1, a-1 of 3,"
          + " b-2 of 3, a-2 of 1. The stock is shared by every stream: decide each request with levels.reserve(request),"
          + " never from a copy a stream kept").containsExactly("b-1 reserved, 4 left", "a-1 reserved, 1 left",
              "b-2 refused, 1 left", "a-2 reserved, 0 left");
      assertThat(levels.quantity("grinder")).as("TODO 4: grinders left after the two streams").isZero();
    }

    @Test
    @DisplayName("the server completes once when the client does, and sends nothing more when the client gave up")
    void completesOnceOrNotAtAll() {
      Recorder<ReserveStockReply> completed = new Recorder<>();
      StreamObserver<ReserveStockRequest> requests = new StreamingInventory(levels).reserveStock(completed);
      completed.returned();
      requests.onNext(reservation("order-1", 1));
      requests.onNext(reservation("order-2", 9));
      requests.onCompleted();
      assertThat(completed.events).as("TODO 4: what reserveStock did with its responseObserver, for a client that sent two"
          + " reservations (1, then 9 of the 4 left) and completed: an answer to each, then onCompleted, once")
          .containsExactly("onNext order_id: \"order-1\" reserved: true remaining: 4", "onNext order_id: \"order-2\" remaining: 4",
              "onCompleted");
      Recorder<ReserveStockReply> gaveUp = new Recorder<>();
      requests = new StreamingInventory(levels).reserveStock(gaveUp);
      gaveUp.returned();
      requests.onNext(reservation("order-3", 1));
      gaveUp.cancel(requests);
      assertThat(sent(gaveUp)).as("TODO 4: what reserveStock did with its responseObserver for a client that sent one"
          + " reservation and then cancelled (its stream ended with onError CANCELLED; a passed deadline looks the same):"
          + " the answer, then nothing: the call is over, so onError neither completes nor answers")
          .containsExactly("onNext order_id: \"order-3\" reserved: true remaining: 3");
      assertThat(levels.quantity("grinder")).as("TODO 4: grinders in stock after a client that was answered 'order-3"
          + " reserved: true, remaining: 3' cancelled its stream: the reservation stands, as its answer said (the client"
          + " may have acted on it); after the client's onError, nothing more happens, to the call or to the stock").isEqualTo(3);
    }

    @Test
    @DisplayName("a client that completes without a request gets its call completed too")
    void emptyStreamCompletes() {
      Inbox<ReserveStockRequest, ReserveStockReply> replies = new Inbox<>();
      stub.reserveStock(replies).onCompleted();
      assertThat(replies.end(WAIT)).as("TODO 4: how a call ended whose client completed without a request, %s s later:"
          + " the server completes when the client does, whatever came before (nothing, here)", WAIT.toSeconds()).isEqualTo(Status.OK);
    }

    @Test
    @DisplayName("the server completes the call when the client does")
    void completesWithTheClient() {
      Inbox<ReserveStockRequest, ReserveStockReply> replies = new Inbox<>();
      StreamObserver<ReserveStockRequest> requests = stub.reserveStock(replies);
      requests.onNext(reservation("order-1", 1));
      replies.next("TODO 4: the answer to order-1");
      requests.onCompleted();
      assertThat(replies.end(WAIT)).as("TODO 4: how the call ended after the client completed (in onCompleted, complete"
          + " the responses too, or the client waits until its deadline)").isEqualTo(Status.OK);
    }
  }

  @Nested
  @Tag("step5")
  @DisplayName("Step 5: the client of a client stream")
  class Step5 {
    StockClient clientOf(InventoryGrpc.InventoryImplBase fake, Duration deadline) {
      return new StockClient(channelTo(CallStory.narrate(fake)), deadline);
    }

    /** A server of {@code service} on a port of its own and a channel to it, connected, both closed after the test. */
    ManagedChannel channelTo(io.grpc.BindableService service) {
      Server s = LocalGrpc.serve(0, service);
      ManagedChannel c = LocalGrpc.channel(s.getPort());
      cleanup.add(() -> { LocalGrpc.close(c); LocalGrpc.stop(s); });
      try {
        connected(c); // a short deadline measures the call, not the connection's set-up
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return c;
    }

    @Test
    @DisplayName("the summary comes back for everything sent")
    void summaryForEverything() throws Exception {
      CountingInventory inventory = new CountingInventory();
      StockClient client = clientOf(inventory, Duration.ofSeconds(2));
      // Products of every id, not in the order of their ids: none (proto3's default), blank, in another case, with a space.
      List<StockAdjustment> sent = List.of(adjustment("grinder", 3), adjustment("", 2), adjustment("grinder", -1),
          adjustment(" ", 1), adjustment("Grinder", 0), adjustment("espresso-machine", 4), adjustment("grinder ", 1));
      BulkUpdateSummary summary = outcome(() -> client.bulkUpdate(sent));
      assertThat(inventory.adjustments).as("TODO 5: the adjustments the server received, [product] delta, of the %d given:"
          + " the client sends each one as it is given, in the order given, never one left out (an id empty or blank is"
          + " the server's to judge), tidied (trimmed, lower-cased) or regrouped (sorted by product)", sent.size())
          .containsExactlyElementsOf(sent.stream().map(a -> "[" + a.getProductId() + "] " + a.getDelta()).toList());
      assertThat(summary.getAdjustments()).as("TODO 5: adjustments the server received, of %d sent", sent.size()).isEqualTo(sent.size());
      BulkUpdateSummary empty = outcome(() -> client.bulkUpdate(List.of()));
      assertThat(inventory.deadlines).as("TODO 5: calls the server got (ms left of each one's deadline) for two bulk"
          + " updates, the second one empty: an empty delivery is a call too, whose summary (or failure: the inventory"
          + " may be down) is the server's to give; start it, send nothing, half-close, and await its summary").hasSize(2);
      assertThat(empty.getAdjustments()).as("TODO 5: adjustments in the summary of an empty delivery").isZero();
    }

    @Test
    @DisplayName("each call carries the caller's whole deadline, counted from when it starts, also one made soon after another")
    void deadlinePerCallFromTheCaller() throws Exception {
      // Two deadlines a hard-coded one cannot both match; 1.95 s is 1 s when rounded down to whole seconds.
      for (Duration deadline : new Duration[] {Duration.ofMillis(1_950), Duration.ofMillis(4_500)}) {
        CountingInventory inventory = new CountingInventory();
        StockClient client = clientOf(inventory, deadline);
        long first = System.nanoTime();
        for (int call = 1; call <= (deadline.toMillis() < 2_000 ? 3 : 1); call++) {
          // Soon after the one before: a stub kept from an earlier call shows in the exact per-call check
          // (deadlineAsGiven, to the nanosecond); here the server sees that each call brings the deadline along.
          if (call > 1) Thread.sleep(20);
          long after = (System.nanoTime() - first) / 1_000_000;
          String result = describe(() -> client.bulkUpdate(List.of(adjustment("grinder", 1))));
          String seen = inventory.deadlines.poll();
          assertThat(seen).as("TODO 5: call %d of a client built with a %d ms deadline%s ended with '%s' before the"
              + " server saw it: its deadline had passed before the call started (fixed on the stub when the client was"
              + " built, or rounded down to 0 s?). Start each call with stub.withDeadlineAfter(deadline)", call,
              deadline.toMillis(), call > 1 ? ", made " + after + " ms after the first," : "", result)
              .isNotNull();
          assertThat(seen).as("TODO 5: call %d reached the server with no deadline: it travels with the call (the"
              + " grpc-timeout header) only when the call is started with stub.withDeadlineAfter(deadline)", call)
              .isNotEqualTo("none");
          assertThat(Long.parseLong(seen)).as("TODO 5: milliseconds left of call %d's deadline when the server got it,"
              + " %d ms after the client's first call, for a client built with a %d ms deadline: each call carries the"
              + " caller's whole deadline as it is (not a number of your own, not rounded), counted from its own start; a"
              + " stub kept from an earlier call (made once, or again only once its deadline passed) gives only what is"
              + " left of an older one", call, after, deadline.toMillis())
              .isBetween(Math.max(deadline.toMillis() / 2, deadline.toMillis() - 900), deadline.toMillis());
        }
      }
    }

    @Test
    @DisplayName("each bulk update's deadline is the caller's to the millisecond, from 1 ms to 100 years (the most gRPC's deadline holds; a longer one is that), counted from the call, the second call's too")
    void deadlineAsGiven() throws Exception {
      ManagedChannel c = channelTo(CallStory.narrate(new AnsweringAtOnce()));
      DeadlineAtStart watch = new DeadlineAtStart();
      io.grpc.Channel watched = io.grpc.ClientInterceptors.intercept(c, watch);
      for (Duration deadline : new Duration[] {Duration.ofMillis(1), Duration.ofMillis(250), Duration.ofMillis(1_950),
          Duration.ofMillis(4_500), Duration.ofHours(1), Duration.ofDays(1), Duration.ofDays(365),
          // And the longest deadline gRPC's Deadline holds (36,500 days; a longer one is made that): whatever the caller's
          // deadline, the call carries it, so no cap of your own, of any size, is left below gRPC's own. Just past it,
          // 1,000 years (more nanoseconds than a long counts): gRPC's longest, never an overflow of your own.
          Duration.ofDays(36_500), Duration.ofDays(365_000)}) {
        Duration carried = deadline.compareTo(Duration.ofDays(36_500)) > 0 ? Duration.ofDays(36_500) : deadline;
        StockClient client = new StockClient(watched, deadline);
        for (int call = 1; call <= 2; call++) { // the second, 20 ms after the first, gets the whole deadline too
          if (call == 2) Thread.sleep(20);
          watch.calls.clear();
          long before = System.nanoTime();
          String ended = describe(() -> client.bulkUpdate(List.of(adjustment("grinder", 1))));
          List<long[]> made = new ArrayList<>(watch.calls);
          assertThat(made).as("TODO 5: one bulkUpdate of a client built with a %s deadline made %d calls and %s: one bulk"
              + " update is one call, never sent again (adjustments are not idempotent: the server may have applied them"
              + " all before the deadline passed)", deadline, made.size(), ended).hasSizeLessThanOrEqualTo(1);
          long[] seen = made.isEmpty() ? null : made.get(0);
          assertThat(seen).as("TODO 5: bulkUpdate of a client built with a %s deadline made no call (it ended: %s): whatever"
              + " the caller's deadline, the call is made with it; one longer than gRPC's Deadline holds (100 years) is"
              + " gRPC's longest, as stub.withDeadlineAfter(deadline) makes it. A count of nanoseconds of your own"
              + " (deadline.toNanos()) overflows past 292 years and throws before any call", deadline,
              ended.lines().findFirst().orElse("")).isNotNull();
          assertThat(seen[0]).as("TODO 5: a bulk update of a client built with a %s deadline started without one: start"
              + " each call with stub.withDeadlineAfter(deadline)", deadline).isNotEqualTo(Long.MIN_VALUE);
          long elapsed = seen[1] - before, left = seen[0];
          assertThat(left).as("TODO 5: nanoseconds left of the deadline when bulkUpdate started call %d of one client, %d"
              + " ns after bulkUpdate was called, for a client built with a %s deadline: the call's deadline is the"
              + " caller's, as it is (no margin of your own, not rounded), counted from this call's start; a stub kept from"
              + " an earlier call (made once, or made again only once its deadline passed) gives only what is left of an"
              + " older deadline; and a long one is the caller's too, up to the 100 years gRPC's Deadline holds (no cap of"
              + " your own: the deadline is the caller's whatever it is; a longer one is gRPC's longest)", call, elapsed, deadline)
              .isBetween(carried.toNanos() - elapsed - 1_000_000, carried.toNanos());
        }
      }
    }

    @Test
    @DisplayName("every status the call ends with comes back to the caller as it is, after one call: no retry")
    void everyFailureOnce() throws Exception {
      FailingInventory inventory = new FailingInventory();
      StockClient client = clientOf(inventory, Duration.ofSeconds(5));
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : Status.Code.values()) {
        if (code == Status.Code.OK) continue;
        String id = "status:" + code;
        io.grpc.Metadata[] trailers = {null};
        String result = describe(() -> {
          try {
            return client.bulkUpdate(List.of(adjustment(id, 1), adjustment(id, 2)));
          } catch (io.grpc.StatusRuntimeException e) {
            trailers[0] = e.getTrailers();
            throw e;
          }
        });
        String expected = LocalGrpc.describe(Status.fromCode(code).withDescription("scripted " + code));
        int calls = inventory.calls.getOrDefault(id, 0);
        if (!result.equals(expected) || calls != 1) wrong.add(code + ": " + calls + " call(s), then '" + result + "'");
        else if (trailers[0] == null || !"inventory".equals(trailers[0].get(FailingInventory.SCRIPTED))) {
          wrong.add(code + ": the status came back without the server's trailers (a new exception, not the call's own)");
        }
      }
      assertThat(wrong).as("TODO 5: bulkUpdate against a server that refuses the first adjustment with each"
          + " status code, where it did not make one call and end with that status as it is. Adjustments add up, so a"
          + " bulk update is not idempotent: sent again after a failure (even UNAVAILABLE or DEADLINE_EXCEEDED, which"
          + " lab 04 tries later), they could be applied twice. One call; await(summary) rethrows the failure, the call's own"
          + " StatusRuntimeException with its trailers").isEmpty();
    }

    @Test
    @DisplayName("a call that ends with an error after its summary fails: a summary is the answer only of a call that ends OK")
    void failureAfterTheSummary() throws Exception {
      FailingInventory inventory = new FailingInventory();
      StockClient client = clientOf(inventory, Duration.ofSeconds(5));
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : new Status.Code[] {Status.Code.DATA_LOSS, Status.Code.INTERNAL, Status.Code.ABORTED}) {
        String result = describe(() -> client.bulkUpdate(List.of(adjustment("after-summary status:" + code, 1))));
        String expected = LocalGrpc.describe(Status.fromCode(code).withDescription("scripted " + code));
        if (!result.equals(expected)) wrong.add(code + ": '" + result + "'");
      }
      assertThat(wrong).as("TODO 5: bulkUpdate against a server that sent its summary and then ended the call with each"
          + " status, where the caller did not get that status as it is: the call failed, so its summary is no answer (gRPC's"
          + " own stubs take a reply only from a call that ends OK). Keep the given answers observer, which keeps the summary"
          + " until onCompleted and fails with onError's status, and return await(summary)").isEmpty();
    }

    @Test
    @DisplayName("300 adjustments, repeats and adjustments by 0 too, over products of every id (none, blank, in any case), reach the server as given, in the order given, sent one at a time, on the caller's thread")
    void inOrderOneAtATime() throws Exception {
      CountingInventory inventory = new CountingInventory();
      ManagedChannel c = channelTo(CallStory.narrate(inventory));
      OneClientSender sender = new OneClientSender();
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(c, sender), Duration.ofSeconds(3));
      // Repeats on purpose: two adjustments of +1 are two deliveries, each one sent; an adjustment by 0 is one too. Over
      // products taken in turn, so the order given is not the order of their ids, and of every id: none (proto3's
      // default), blank, in another case, with a space: the client sends what it is given, the server decides.
      // And 'cafe' with its e-acute as an e and a combining accent (NFD): an id as it is, never normalised (NFC) on the way.
      List<String> products = List.of("grinder", "", "milk-frother", " ", "Grinder", "espresso-machine", "grinder ", CAFE_DECOMPOSED);
      List<StockAdjustment> sent = java.util.stream.IntStream.rangeClosed(1, 300)
          .mapToObj(i -> adjustment(products.get(i * 3 % products.size()), i % 5 == 0 ? 0 : i % 2 == 0 ? i : 1)).toList();
      sender.caller = Thread.currentThread(); // bulkUpdate's caller: the client sends on it, or from gRPC's on-ready handler
      String result = describe(() -> client.bulkUpdate(sent));
      assertThat(sender.found).as("TODO 5: the client called its request StreamObserver from two threads at once (the"
          + " call then ended: %s); it is not thread-safe: send the adjustments one after another, on the calling thread",
          result).isNull();
      assertThat(sender.elsewhere).as("TODO 5: where bulkUpdate of 300 adjustments sent them (it ended: %s): one at a time on"
          + " the caller's thread, or, paced by isReady(), from gRPC's on-ready handler; never on a thread of your own (the"
          + " JVM's common pool, an executor), whose other work, or its one worker on 2 cores, holds the delivery back while"
          + " the deadline runs, and whose failures reach nobody", result.lines().findFirst().orElse("")).isNull();
      assertThat(result).as("TODO 5: bulkUpdate of 300 adjustments").startsWith("no failure");
      assertThat(inventory.received).as("TODO 5: the deltas the server received, in order, of 300 sent (1, 2, 1, 4, 0,"
          + " 6, ...: every adjustment, repeats and adjustments by 0 too, in the order given; the server counts each one"
          + " and its watchers hear each one, so send them all as given)").isEqualTo(
              sent.stream().map(StockAdjustment::getDelta).toList());
      assertThat(inventory.summaries).as("TODO 5: the summaries the server sent for one bulkUpdate of 300 adjustments:"
          + " one bulk update is one call").hasSize(1);
      List<String> given = sent.stream().map(a -> "[" + a.getProductId() + "] " + a.getDelta()).toList();
      assertThat(firstDifference(inventory.adjustments, given)).as("TODO 5: the adjustments the server received, [product]"
          + " delta, against the 300 given, over eight products in turn (one without an id, one blank, 'Grinder' and"
          + " 'grinder ' beside 'grinder', 'cafe\u0301' with a combining accent): the client sends each adjustment as it is given, in the order given, never one"
          + " left out (a product id empty or blank is the server's to judge), tidied (trimmed, lower-cased, normalised) or"
          + " regrouped (sorted by product): send them as given").isNull();
    }

    @Test
    @DisplayName("a bulk update is one call whatever its size (1 to 10,001 adjustments, 0 to 9 on a channel not ready after each 4, and 3,000,000 on a channel without a network that is not ready after each 1,024), carries every adjustment before its one half-close, and returns the server's summary as it is")
    void oneCallWhateverTheSize() throws Exception {
      CountingInventory inventory = new CountingInventory();
      // Not narrated: the story would note each of the 11,128 messages, which takes longer than sending them.
      ManagedChannel c = channelTo(inventory);
      StockClient client = new StockClient(c, Duration.ofSeconds(10));
      for (int size : new int[] {1, 101, 1_025, 10_001}) {
        inventory.summaries.clear();
        List<StockAdjustment> sent = java.util.stream.IntStream.range(0, size)
            .mapToObj(i -> adjustment(i % 3 == 0 ? "grinder" : "kettle", i % 2 == 0 ? 1 : -2)).toList();
        String result = describe(() -> client.bulkUpdate(sent));
        assertThat(inventory.summaries.size()).as("TODO 5: calls the server answered for one bulkUpdate of %d adjustments"
            + " (it ended: %s): one bulk update is one call, whatever its size. Split into several, a failure half-way"
            + " leaves part of the delivery applied, and the summary is no longer the server's; gRPC streams any number"
            + " of messages on one call", size, result.lines().findFirst().orElse("")).isEqualTo(1);
        assertThat(result).as("TODO 5: what bulkUpdate of %d adjustments returned: the server's one summary, as it is",
            size).isEqualTo("no failure: it returned " + inventory.summaries.get(0));
        assertThat(inventory.summaries.get(0).getAdjustments()).as("TODO 5: adjustments the server received on the one call"
            + " of a bulkUpdate of %d: every one, before the half-close. A client paced by isReady() waits for onReady when"
            + " the call is not ready (it never skips an adjustment), and half-closes only once all are sent", size)
            .isEqualTo(size);
      }
      // Every place the last adjustment can fall in a channel's window (a window of 4: 0 to 9 adjustments). One that fills
      // the window leaves the call not ready, and the onReady that follows comes once everything is sent: a client paced
      // by an on-ready handler has nothing left to send there, and half-closes nothing again (gRPC throws 'call already
      // half-closed' and cancels the call). The channel notes each half-close with the messages sent before it.
      CountingChannel small = new CountingChannel(4);
      cleanup.add(small);
      StockClient paced = new StockClient(small, Duration.ofSeconds(10));
      for (int size = 0; size <= 9; size++) {
        small.sentPerCall.clear();
        List<StockAdjustment> sent = java.util.Collections.nCopies(size, adjustment("grinder", 1));
        String result = describe(() -> paced.bulkUpdate(sent));
        assertThat(small.sentPerCall).as("TODO 5: the half-closes one bulkUpdate of %d adjustments made on a channel that"
            + " is not ready after each 4 messages until it says so with onReady (it ended: %s), each with the messages sent"
            + " before it: one half-close, after every adjustment. A client paced by an on-ready handler half-closes once:"
            + " an onReady after the last adjustment (the one that filled the window) has nothing to send, and must not"
            + " half-close again (keep a flag, or half-close where the last one is sent)", size,
            result.lines().findFirst().orElse("")).containsExactly((long) size);
      }
      // Past any count or size a client might split a delivery at (65,536, a million, 4 MiB of messages), on a channel
      // without a network, where a message costs next to nothing: the same adjustment 3,000,000 times, 1 KB each.
      // Not ready after each 1,024 messages (1 MB) until its network catches up: a client paced by isReady() waits for
      // onReady there, and goes on; one that skips a message, or half-closes, when the call is not ready shows.
      CountingChannel counting = new CountingChannel(1_024);
      cleanup.add(counting);
      StockClient far = new StockClient(counting, Duration.ofSeconds(10));
      int many = 3_000_000;
      StockAdjustment large = adjustment("grinder-" + "x".repeat(1_000), 1);
      String result = describe(() -> far.bulkUpdate(java.util.Collections.nCopies(many, large)));
      assertThat(counting.sentPerCall).as("TODO 5: messages sent on each call one bulkUpdate of %,d adjustments (%,d"
          + " bytes each, %,d MB in all) made, on a channel without a network (it ended: %s): one bulk update is one call,"
          + " whatever its size, and carries every adjustment before its half-close. gRPC's 4 MiB limit is per message,"
          + " not per stream: a stream carries any number of them; split, a failure half-way leaves part of the delivery"
          + " applied, and the summary is no longer the server's. This channel is not ready (isReady() false) after each"
          + " 1,024 messages until its network catches up, and then says so with onReady: a client paced by isReady()"
          + " stops there and goes on in the next onReady, never skipping an adjustment, and half-closes only once all"
          + " are sent (a half-close after a loop that stopped because the call was not ready says 'that was all' too early)",
          many, large.getSerializedSize(), (long) many * large.getSerializedSize() / 1_000_000, result.lines().findFirst().orElse(""))
          .containsExactly((long) many);
      assertThat(result).as("TODO 5: what bulkUpdate of %,d adjustments returned, on a channel that answers each call with"
          + " a summary of the messages it carried: that one summary, as it is", many)
          .isEqualTo("no failure: it returned " + BulkUpdateSummary.newBuilder().setAdjustments(many).setProducts(1).build());
    }

    /**
     * A channel without a network, for BulkUpdateStock: notes, at each half-close, how many messages the call carried (a
     * call half-closed twice shows twice), and answers each
     * call, once the client half-closes, with a summary counting them (1 product). Like a call on a network, it takes
     * {@code window} messages, then is not ready (isReady() false) until its network has caught up, which it says with
     * onReady; it tells the call's listener everything on a thread of its own, one callback at a time, in order, as
     * gRPC's call executor does.
     */
    static final class CountingChannel extends io.grpc.Channel implements AutoCloseable {
      final List<Long> sentPerCall = new java.util.concurrent.CopyOnWriteArrayList<>();
      private final int window;
      private final java.util.concurrent.ExecutorService network = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "counting-channel");
        t.setDaemon(true);
        return t;
      });

      CountingChannel(int window) { this.window = window; }

      @Override public String authority() { return "counting"; }

      @Override public void close() { network.shutdownNow(); }

      @Override
      public <Q, A> io.grpc.ClientCall<Q, A> newCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options) {
        return new io.grpc.ClientCall<>() {
          private volatile Listener<A> listener;
          private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
          private volatile boolean ready = true;
          private volatile boolean readyTold;
          private volatile boolean closed;

          @Override public void start(Listener<A> responses, io.grpc.Metadata headers) { listener = responses; }

          @Override public void request(int count) {
            // Ready once started, as a call on a network says when its stream opens: a client that sends as the call
            // is ready (an on-ready handler) starts sending then.
            if (!readyTold) {
              readyTold = true;
              network.execute(() -> { if (!closed) listener.onReady(); });
            }
          }
          @Override public void cancel(String message, Throwable cause) {}

          @Override public void sendMessage(Q message) {
            // Its window is full: not ready until the network has taken what it holds (a message sent meanwhile is
            // still carried, as gRPC queues it); then ready again, and onReady says so.
            if (sent.incrementAndGet() % window == 0) {
              ready = false;
              network.execute(() -> {
                ready = true;
                if (!closed) listener.onReady();
              });
            }
          }
          @Override public boolean isReady() { return ready; }

          @Override
          @SuppressWarnings("unchecked")
          public void halfClose() {
            long carried = sent.get();
            sentPerCall.add(carried);
            network.execute(() -> {
              closed = true;
              listener.onHeaders(new io.grpc.Metadata());
              listener.onMessage((A) BulkUpdateSummary.newBuilder().setAdjustments((int) carried).setProducts(1).build());
              listener.onClose(Status.OK, new io.grpc.Metadata());
            });
          }
        };
      }
    }

    @Test
    @DisplayName("two bulk updates at the same time on one client are two calls, each with its own adjustments and summary")
    void overlappingOnOneClient() throws Exception {
      CountingInventory inventory = new CountingInventory();
      ManagedChannel c = channelTo(CallStory.narrate(inventory));
      // Each call waits after its first adjustment until the other has sent one: they overlap, every time.
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(c, new FirstMessagesMeet()), Duration.ofSeconds(3));
      List<List<StockAdjustment>> deliveries = List.of(
          List.of(adjustment("grinder", 1), adjustment("grinder", 1), adjustment("grinder", 1)),
          List.of(adjustment("espresso-machine", 10), adjustment("espresso-machine", 10)));
      String[] results = new String[2];
      Thread[] callers = new Thread[2];
      for (int i = 0; i < 2; i++) {
        int which = i;
        callers[i] = new Thread(() -> {
          try {
            results[which] = describe(() -> client.bulkUpdate(deliveries.get(which)));
          } catch (AssertionError e) {
            results[which] = e.getMessage();
          }
        }, "caller-" + (i + 1));
        callers[i].start();
      }
      for (Thread caller : callers) caller.join(2 * WAIT.toMillis());
      assertThat(List.of(String.valueOf(results[0]).lines().toList(), String.valueOf(results[1]).lines().toList()))
          .as("TODO 5: what two bulkUpdates made at the same time on one StockClient returned, one of grinder +1 x3, one"
              + " of espresso-machine +10 x2: each bulk update is its own call, with its own request stream and its own"
              + " summary. Kept in a field of the client, the second call's stream replaces the first's, and"
              + " adjustments (or the half-close) go to the wrong call: keep them in local variables")
          .containsExactly(
              ("no failure: it returned " + BulkUpdateSummary.newBuilder().setAdjustments(3).setProducts(1).setNetChange(3).build()).lines().toList(),
              ("no failure: it returned " + BulkUpdateSummary.newBuilder().setAdjustments(2).setProducts(1).setNetChange(20).build()).lines().toList());
    }

    @Test
    @DisplayName("a call that ends without its summary fails: no summary is made up")
    void noSummaryNoSuccess() throws Exception {
      ManagedChannel c = channelTo(CallStory.narrate(new CountingInventory()));
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(c, new AnswerLost()), Duration.ofSeconds(2));
      String result = describe(() -> client.bulkUpdate(List.of(adjustment("grinder", 1))));
      assertThat(result.lines().findFirst().orElse("")).as("TODO 5: bulkUpdate of a call that ended OK without its"
          + " summary reaching the client (a server's bug, or a proxy's): the caller must learn that the call failed (the"
          + " given answers observer fails it with INTERNAL, as gRPC's own stubs do). A summary the client makes up"
          + " (zeros) tells the caller nothing was applied, which nobody knows").doesNotStartWith("no failure");
    }

    @Test
    @DisplayName("the given watch carries no deadline and stays open, and its cancel reaches the server")
    void givenWatchUntilCancelled() throws Exception {
      WatchingInventory inventory = new WatchingInventory();
      StockClient client = clientOf(inventory, Duration.ofMillis(300));
      BlockingQueue<StockLevel> heard = new LinkedBlockingQueue<>();
      CompletableFuture<Status> ended = new CompletableFuture<>();
      StockClient.Watching watching = client.watch(List.of("grinder"), heard::add, ended::complete);
      StockLevel first = heard.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(first).as("TODO 5 (StockClient.watch is given: keep it as it is): the first level of a watch, from a"
          + " server that sends it at once (the watch ended: %s)", ended.getNow(null)).isNotNull();
      assertThat(inventory.deadlines.poll()).as("TODO 5 (StockClient.watch is given: keep it as it is): the deadline of"
          + " a watch, as the server saw it, made by a client built with a 300 ms deadline: a watch stays open for as"
          + " long as the client wants it, so it carries no deadline (the client's deadline is for each bulk update); with"
          + " one, every watch ends DEADLINE_EXCEEDED").isEqualTo("none");
      try {
        watching.cancel();
      } catch (RuntimeException e) {
        throw new AssertionError("TODO 5 (StockClient.watch is given: keep it as it is): Watching.cancel() threw "
            + e.getClass().getSimpleName() + " (" + e.getMessage() + "): it cancels the call"
            + " (ClientCallStreamObserver.cancel); onCompleted() is a half-close, which a server stream's client has"
            + " made already, and after which it still listens", e);
      }
      assertThat(inventory.cancelled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("TODO 5 (StockClient.watch is"
          + " given: keep it as it is): the server heard the client's cancel within %s s of Watching.cancel(): cancel()"
          + " cancels the call, which runs the server's cancel handler; a half-close (onCompleted) is not a cancel, the"
          + " server's watch would stay open", WAIT.toSeconds()).isTrue();
      Status end = ended.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(end.getCode()).as("TODO 5 (StockClient.watch is given): how the watch ended for the client after"
          + " cancel()").isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    @DisplayName("a server that never answers is cut off by the deadline: DEADLINE_EXCEEDED reaches the caller, also when it reaches the client late")
    void deadlineCutsOff() throws InterruptedException {
      SilentInventory silent = new SilentInventory();
      ManagedChannel c = channelTo(CallStory.narrate(silent));
      // The deadline is the lesson, so it stays, short: 200 ms.
      // The call's end reaches the client 300 ms after gRPC decided it, as on a busy machine: a wait for the summary
      // that ends with the deadline itself gives up before the call's own DEADLINE_EXCEEDED arrives. Every time, not by a race.
      LateEnd lateEnd = new LateEnd(Duration.ofMillis(300));
      StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(c, lateEnd), Duration.ofMillis(200));
      long t0 = System.nanoTime();
      Throwable[] failure = {null};
      String result = describe(() -> caught(() -> client.bulkUpdate(List.of(adjustment("grinder", 1))), failure));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(result).as("TODO 5: bulkUpdate against a server that never answers, with a 200 ms deadline, whose end"
          + " (DEADLINE_EXCEEDED) reached the client 300 ms after gRPC decided it: start the call with"
          + " stub.withDeadlineAfter(deadline), so gRPC ends it, and return await(summary) as given, whose wait outlasts"
          + " the deadline by a second so that the call's own failure reaches the caller as it is (a wait that ends with"
          + " the deadline gives the caller an IllegalStateException of its own instead)").startsWith("DEADLINE_EXCEEDED");
      assertThat(lateEnd.notTheCallsOwn(failure[0])).as("TODO 5: what bulkUpdate threw against a server that never answers,"
          + " with a 200 ms deadline, whose end (DEADLINE_EXCEEDED) reached the client 300 ms after gRPC decided it (%s), against"
          + " the call's own failure: the caller gets the call's StatusRuntimeException as it is, with its trailers. A"
          + " DEADLINE_EXCEEDED of your own, thrown when a wait of the deadline alone ends, is no call's end: a call that"
          + " ended in time, OK, but whose end reaches the client a little late, is then reported failed (and sent again,"
          + " applied twice). Return await(summary) as given: its wait outlasts the deadline by a second", result).isNull();
      assertThat(ms).as("TODO 5: milliseconds until bulkUpdate gave up, with a 200 ms deadline (its end 300 ms late)").isLessThan(2_500);
      assertThat(silent.calls.get()).as("TODO 5: bulk updates the silent server received for one bulkUpdate that ran"
          + " out of time: the server may have applied them all, so sending them again could apply them twice; one"
          + " call, and DEADLINE_EXCEEDED goes to the caller").isEqualTo(1);
    }

    @Test
    @DisplayName("a server that is down: UNAVAILABLE comes back at once, as it is, not after the deadline")
    void serverDownFailsAtOnce() throws Exception {
      java.net.ServerSocket closed = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      int port = closed.getLocalPort();
      closed.close(); // nobody listens there any more: every connection is refused
      ManagedChannel c = LocalGrpc.channel(port);
      cleanup.add(() -> LocalGrpc.close(c));
      Duration deadline = Duration.ofSeconds(3);
      StockClient client = new StockClient(c, deadline);
      long t0 = System.nanoTime();
      String result = describe(() -> client.bulkUpdate(List.of(adjustment("grinder", 1))));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(result + " after " + ms + " ms").as("TODO 5: bulkUpdate against a server that is down (its connection"
          + " refused), with a %d ms deadline: the call fails at once with UNAVAILABLE, and that goes to the caller as it"
          + " is (who may try again later, or elsewhere). A call made with waitForReady waits out its whole deadline for"
          + " the server to come back and ends DEADLINE_EXCEEDED, which hides why; start it with"
          + " stub.withDeadlineAfter(deadline) only", deadline.toMillis()).startsWith("UNAVAILABLE");
      assertThat(ms).as("TODO 5: milliseconds until bulkUpdate gave up on a server that is down, with a %d ms deadline:"
          + " a refused connection is known at once", deadline.toMillis()).isLessThan(deadline.toMillis() - 500);
    }

    @Test
    @DisplayName("a deadline of 0 or below has passed already: the bulk update ends DEADLINE_EXCEEDED, and no adjustment reaches the server")
    void passedDeadline() throws InterruptedException {
      // Just below the smallest deadline the other tests give (1 ms): 0, and 1 ms below it, as a caller's budget that ran out;
      // and far below (a day): a deadline passed is passed however long ago, never a budget of its size (abs()) or none;
      // and 1,000 years below (more nanoseconds than a long counts): passed too, never an overflow of your own.
      // The call's end reaches the client 100 ms after gRPC decided it, as on a busy machine, every time: a wait for the
      // summary that ends before then (one of deadline + 1 s, which a day below 0 is none) gives up before the call's own
      // DEADLINE_EXCEEDED arrives. The given await waits a second past now for a deadline that has passed: keep it.
      for (Duration deadline : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), Duration.ofDays(-1), Duration.ofDays(-365_000)}) {
        CountingInventory inventory = new CountingInventory();
        LateEnd lateEnd = new LateEnd(Duration.ofMillis(100));
        StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(channelTo(CallStory.narrate(inventory)),
            lateEnd), deadline);
        Throwable[] failure = {null};
        String result = describe(() -> caught(() -> client.bulkUpdate(List.of(adjustment("grinder", 1), adjustment("grinder", 2))), failure));
        assertThat(result).as("TODO 5: bulkUpdate of a client built with a %s deadline: a deadline of 0 (or below) has passed"
            + " already, so gRPC ends the call DEADLINE_EXCEEDED before it starts, and that goes to the caller as it is. A"
            + " deadline is no socket timeout, where 0 means none: a call started without one runs (and adjusts the stock)"
            + " for as long as the server takes. Start every call with stub.withDeadlineAfter(deadline), whatever the"
            + " deadline, however far below 0 (a count of nanoseconds of your own, deadline.toNanos(), overflows 292 years"
            + " away and throws instead); and return await(summary) as given, whose wait outlasts now by a second for a"
            + " deadline that has passed, so that the call's own DEADLINE_EXCEEDED (here 100 ms late) reaches the caller (a"
            + " wait of the deadline plus a second, none a day below 0, gives an IllegalStateException of its own)",
            deadline).startsWith("DEADLINE_EXCEEDED");
        assertThat(lateEnd.leftAtStart.stream().filter(left -> left > 0).toList()).as("TODO 5: nanoseconds left, above 0,"
            + " of the deadline of each call a bulk update made, when it started (it ended: %s), for a client built with a %s"
            + " deadline: a deadline of 0 or below has passed already, so the call starts with none left (gRPC ends it"
            + " DEADLINE_EXCEEDED before anything is sent). A deadline of your own put in its place (1 ms, say) is one still"
            + " to come: the call starts, and its adjustments can reach the server before it ends; Long.MAX_VALUE is a call"
            + " without a deadline", result, deadline).isEmpty();
        assertThat(inventory.received).as("TODO 5: the deltas the server received from a bulk update whose %s deadline had"
            + " passed before it started: none, the call never reached it", deadline).isEmpty();
        assertThat(lateEnd.notTheCallsOwn(failure[0])).as("TODO 5: what bulkUpdate of a client built with a %s deadline threw"
            + " (%s), against the failure of the call it made: a bulk update is one call whatever its deadline, and gRPC ends"
            + " one started with a deadline that has passed DEADLINE_EXCEEDED; that failure, the call's own"
            + " StatusRuntimeException with its trailers, goes to the caller as it is. A DEADLINE_EXCEEDED of your own, made"
            + " without a call (or after a wait of your own ran out), is no call's end: start the call with"
            + " stub.withDeadlineAfter(deadline) whatever the deadline, and return await(summary) as given", deadline, result).isNull();
      }
    }

    @Test
    @DisplayName("the summary is the server's as it is, also one that counts otherwise than the client sent, zeros too: the call succeeded")
    void summaryAsTheServerCounts() {
      // A server that merges repeats, and one that counts nothing (an older one, or one that leaves the counts out: proto3
      // sends no 0): whatever it counts, its summary is the call's answer, whatever the client sent.
      for (BulkUpdateSummary counted : new BulkUpdateSummary[] {
          BulkUpdateSummary.newBuilder().setAdjustments(1).setProducts(1).setNetChange(9).build(), BulkUpdateSummary.getDefaultInstance()}) {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        StockClient client = clientOf(new InventoryGrpc.InventoryImplBase() {
          @Override
          public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
            calls.incrementAndGet();
            return new StreamObserver<>() {
              @Override public void onNext(StockAdjustment adjustment) { }
              @Override public void onError(Throwable t) { }
              @Override public void onCompleted() {
                responseObserver.onNext(counted);
                responseObserver.onCompleted();
              }
            };
          }
        }, Duration.ofSeconds(5));
        List<StockAdjustment> sent = List.of(adjustment("grinder", 3), adjustment("grinder", 3), adjustment("grinder", 3));
        String result = describe(() -> client.bulkUpdate(sent));
        assertThat(result).as("TODO 5: bulkUpdate of grinder +3 three times, against a server that answers the summary %s:"
            + " the summary is the server's, and the call succeeded, so return it as it is. A check of your own that throws"
            + " when it counts otherwise than you sent tells the caller the call failed (and a caller that sends the"
            + " adjustments again applies them twice); a count of your own put where the server's is 0 is a made-up one",
            LocalGrpc.text(counted)).isEqualTo("no failure: it returned " + counted);
        assertThat(calls.get()).as("TODO 5: calls the server got for one bulkUpdate of grinder +3 three times, whose summary"
            + " %s counts otherwise than the client sent (a server that merges repeats counts fewer): the summary is the"
            + " server's as it is, never a sign that adjustments went missing. One bulk update is one call: sent again, in"
            + " full or only those past the count, adjustments are applied twice", LocalGrpc.text(counted)).isEqualTo(1);
      }
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // waits out a deadline and the given await's second: after the step's quicker tests
    @DisplayName("a call that fails on the way back, after the server got every adjustment (its connection reset or closed, its end lost), is not sent again: its failure goes to the caller, after one call")
    void failedOnTheWayNotSentAgain() {
      // The server gets both adjustments and answers; then the way back fails, as a network does: the connection is reset
      // (grpc-java's UNAVAILABLE "io exception", an IOException underneath), or closed, or the call's end never reaches
      // the client (the given await gives up a second after the deadline). Nothing tells the client the server applied
      // nothing: it did apply everything. Each time: one call, and what the caller gets is that failure.
      List<String> wrong = new ArrayList<>();
      for (Status end : new Status[] {
          Status.UNAVAILABLE.withDescription("io exception").withCause(new java.io.IOException("Connection reset by peer")),
          Status.UNAVAILABLE.withDescription("Network closed for unknown reason"), null}) {
        CountingInventory inventory = new CountingInventory();
        FailsOnTheWay fault = new FailsOnTheWay(end);
        StockClient client = new StockClient(io.grpc.ClientInterceptors.intercept(channelTo(CallStory.narrate(inventory)), fault),
            Duration.ofMillis(end == null ? 200 : 3_000));
        String result = describe(() -> client.bulkUpdate(List.of(adjustment("grinder", 1), adjustment("grinder", 2))));
        String how = end == null ? "its end never reached the client" : "it ended " + LocalGrpc.describe(end)
            + (end.getCause() == null ? "" : " (" + end.getCause() + " underneath)");
        boolean asItIs = end == null ? !result.startsWith("no failure") : result.equals(LocalGrpc.describe(end));
        if (fault.calls.get() != 1 || !asItIs) {
          wrong.add(how + ": " + fault.calls.get() + " call(s), " + inventory.received.size() + " adjustments received, then '"
              + result.lines().findFirst().orElse("") + "'");
        }
      }
      assertThat(wrong).as("TODO 5: bulk updates of grinder +1 and +2 whose server got both adjustments (and applied them)"
          + " and answered, but whose way back failed, where bulkUpdate did not make one call and hand that failure to the"
          + " caller: a failure on the way back does not say the server applied nothing (an UNAVAILABLE with an IOException"
          + " underneath neither: the connection dropped after the server had everything), nor does no answer at all. Sent"
          + " again, the adjustments are applied twice. One call; await(summary) gives the caller what happened").isEmpty();
    }

    interface Call<T> { T call() throws Exception; }

    /** The call's result, noting in {@code failure} what it threw (the exception itself, to compare with the call's own). */
    <T> T caught(Call<T> call, Throwable[] failure) throws Exception {
      try {
        return call.call();
      } catch (UnsupportedOperationException e) {
        throw e;
      } catch (Exception e) {
        failure[0] = e;
        throw e;
      }
    }

    /** What the learner reads when bulkUpdate still throws the starter's UnsupportedOperationException. */
    AssertionError notWritten(UnsupportedOperationException e) {
      return new AssertionError("TODO 5: StockClient.bulkUpdate is not written yet (it threw " + e.getMessage() + "):"
          + " start the call with stub.withDeadlineAfter(deadline).bulkUpdateStock(answers), send every adjustment with"
          + " onNext, call onCompleted() (the half-close), then return await(summary)", e);
    }

    /** The call's result; a failure becomes an assertion error that says what to fix. */
    <T> T outcome(Call<T> call) {
      try {
        return call.call();
      } catch (UnsupportedOperationException e) {
        throw notWritten(e);
      } catch (Exception e) {
        String status = LocalGrpc.describe(e);
        throw new AssertionError("TODO 5: bulkUpdate failed with " + (status.startsWith("DEADLINE_EXCEEDED")
            ? "DEADLINE_EXCEEDED: the server answers when the client half-closes; after the last onNext, call onCompleted()"
            + " on the request stream" : status.startsWith("UNKNOWN") ? e : status));
      }
    }

    <T> String describe(Call<T> call) {
      try {
        return "no failure: it returned " + call.call();
      } catch (UnsupportedOperationException e) {
        throw notWritten(e);
      } catch (Exception e) {
        return e instanceof io.grpc.StatusRuntimeException ? LocalGrpc.describe(e) : e.toString();
      }
    }
  }

  /**
   * The test's end of a stream: every message the server sent, in order, and how the call
   * ended. Waits are bounded: a missing message fails the test with the message it was given.
   */
  final class Inbox<ReqT, T> implements ClientResponseObserver<ReqT, T> {
    private final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Status> end = new CompletableFuture<>();
    private ClientCallStreamObserver<ReqT> call;

    @Override public void beforeStart(ClientCallStreamObserver<ReqT> requestStream) { call = requestStream; }
    @Override public void onNext(T message) { messages.add(message); }
    @Override public void onError(Throwable t) { end.complete(Status.fromThrowable(t)); }
    @Override public void onCompleted() { end.complete(Status.OK); }

    /** The next message; fails with {@code whenMissing} (and how the stream ended) if none comes within WAIT. */
    T next(String whenMissing) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      String heldBack = null;
      while (System.nanoTime() < deadline && !(end.isDone() && messages.isEmpty())) {
        T message = within(Duration.ofMillis(20));
        if (message != null) return message;
        // A reply sent on a call that is never completed does not come: no need to wait out the whole WAIT for it.
        if ((heldBack = held.olderThan(Duration.ofMillis(300))) != null) break;
      }
      T last = messages.poll(); // arrived just before the stream ended
      if (last != null) return last;
      senders.assertNone(); // two threads in onNext at once break the stream: that is the cause to report
      Status status = endNow();
      if (status == null && heldBack != null) {
        throw new AssertionError(whenMissing + ": the server sent its reply (" + heldBack + ", see 'sends'"
            + " below) but never completed the call, so it never arrived: a call with one reply delivers it when the"
            + " server completes the call. In onCompleted, call responseObserver.onCompleted() right after onNext");
      }
      throw new AssertionError(whenMissing + ": " + (status == null
          ? "nothing arrived within " + WAIT.toSeconds() + " s, and the stream is still open"
          : "nothing arrived, and the stream ended with " + LocalGrpc.describe(status)));
    }

    T within(Duration limit) {
      try {
        return messages.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    /** How the stream ended, waiting at most {@code limit}; null if it is still open. */
    Status end(Duration limit) {
      try {
        return end.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception stillOpen) {
        return null;
      }
    }

    Status endNow() {
      return end.getNow(null);
    }

    void cancel() {
      call.cancel("the test stopped watching", null);
    }
  }

  /**
   * Wraps every call the server makes: notes when the service calls onNext (or ends the call) on one
   * call from a second thread while a first is still inside onNext. A StreamObserver is not
   * thread-safe; gRPC does not check, the stream just breaks (the client sees the HTTP/2 stream reset
   * as CANCELLED or INTERNAL) or the messages arrive out of order. Each send lingers a little, so two
   * threads that race are caught racing.
   */
  /** What a service sent or completed on a Recorder (an onError passed on to a call the client left is harmless: not listed). */
  /**
   * What a client does next on a call served with a Recorder (a message, its completion, catching up); what the
   * service throws there, as gRPC would make it throw, fails the step with its cause.
   */
  static void client(String todo, String what, Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      boolean late = e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("after initialization");
      throw new AssertionError(todo + ": " + what + " threw " + e.getClass().getSimpleName() + " (" + e.getMessage() + ")"
          + (late ? ". gRPC takes an on-ready (or cancel) handler only while the service method runs, before it returns:"
              + " set on a slow client's call later, it throws, and what was waiting for it is never sent. Set the handler"
              + " in the method, or simply send: gRPC queues what a slow client has not read yet" : ""), e);
    }
  }

  /**
   * Sets every count the lab's own objects keep, reachable from {@code roots} (their fields, what those hold, lambdas'
   * and anonymous classes' captured values, arrays, collections and maps; static fields of the lab's classes met on the
   * way), to {@code value}, runs {@code action}, then puts each back: int and long fields, int[] and long[] elements,
   * AtomicInteger, AtomicLong, LongAdder, and an Integer or a Long held in a field, an AtomicReference, an array or as a
   * map's value (a count kept per product, say). A count of messages sent to a slow reader, past which the next is dropped
   * or waits, is reached this way whatever its limit, without sending that many. And, for a value other than 0, every
   * moment the lab's objects keep (an Instant, held the same ways) is set to 1970 (Instant.EPOCH), and every gRPC Deadline
   * to one that passed a century ago (a time past which to give up, kept as a Deadline): a reader slow since
   * then, a time past which the next is dropped, is reached too, whatever its limit, without waiting for it. Notes in
   * {@code counts} where each was.
   */
  /**
   * A count past any limit of its kind, for withCountsAt: an int count set to it holds 2^31 - 1 (its most), a long one
   * 2^62 (levels, answers or bytes, say): a limit of your own of any size, in an int or a long, is past.
   */
  static final long PAST_ANY_LIMIT = (1L << 62) | Integer.MAX_VALUE;

  /**
   * Long ago, for withCountsAt: -2^62 in a long, a moment kept as a number (System.nanoTime(), or milliseconds) as if
   * it were 146 years before now (a reader behind since then, whatever the machine's uptime), and as a count none (an
   * int holds 0).
   */
  static final long LONG_AGO = -(1L << 62);

  /** A gRPC Deadline that passed long ago (as long ago as a Deadline holds): what withCountsAt puts in place of one kept. */
  static final io.grpc.Deadline EXPIRED_LONG_AGO = io.grpc.Deadline.after(-36_500, TimeUnit.DAYS);

  /** A value withCountsAt set, as a failure says it. */
  static String counted(long value) {
    return (value == PAST_ANY_LIMIT ? "the most an int holds (2^31 - 1), and 2^62 in a long"
        : value == LONG_AGO ? "-2^62 in a long (a moment kept as System.nanoTime() or milliseconds: long ago), 0 in an int"
        : String.format("%,d", value))
        + (value == 0 ? "" : ", and every moment it keeps to 1970 (as if behind since then; a gRPC Deadline it keeps, passed a century ago)");
  }

  /**
   * What withCountsAt puts in place of {@code was}, held in a field, an AtomicReference, an array or a map: a boxed count
   * set to {@code value}, a moment (value other than 0) to 1970, or, kept as a gRPC Deadline, to one expired a century ago;
   * {@code was} itself (the same object) when it is neither.
   */
  static Object standIn(Object was, long value) {
    // A gRPC Deadline is a moment too (one a limit of time is kept as: "behind until then"): expired, a century ago.
    Object now = was instanceof Integer ? Integer.valueOf((int) value) : was instanceof Long ? Long.valueOf(value)
        : was instanceof java.time.Instant && value != 0 ? java.time.Instant.EPOCH
        : was instanceof io.grpc.Deadline && value != 0 ? EXPIRED_LONG_AGO : was;
    return was == null || now.equals(was) ? was : now;
  }

  static void withCountsAt(List<Object> roots, long value, List<String> counts, Runnable action) {
    withCountsAt(roots, value, counts, false, action);
  }

  /** How many more than it holds a set stands in as holding, for withCountsAt(..., sets = true, ...). */
  static final int LARGE = 1 << 30;

  /** A set of the lab's, standing in as one that holds {@link #LARGE} more than it does: a cap on its size is past. */
  static final class LargeSet<E> extends HashSet<E> {
    LargeSet(java.util.Collection<? extends E> held) { super(held); }
    @Override public int size() { return super.size() + LARGE; }
    @Override public boolean isEmpty() { return false; }
  }

  /** A map of the lab's (a call's products as its keys, say), standing in as one that holds {@link #LARGE} more entries. */
  static final class LargeMap<K, V> extends java.util.HashMap<K, V> {
    LargeMap(Map<? extends K, ? extends V> held) { super(held); }
    @Override public int size() { return super.size() + LARGE; }
    @Override public boolean isEmpty() { return false; }
  }

  /**
   * As withCountsAt above; with {@code sets}, and a value other than 0, each Set a lab object keeps in a field (a call's
   * products, say) stands in as one that holds 2^30 more than it does (a LargeSet, with what it held), and so does each
   * Map (a LargeMap: a call's products as its keys): a cap of your own on its size, of any size, is past without filling
   * it. The stock's own fields are left as they are. Noted in {@code counts} with "(a set, as if holding 2^30 more)" (or "a map").
   */
  static void withCountsAt(List<Object> roots, long value, List<String> counts, boolean sets, Runnable action) {
    List<Runnable> restore = new ArrayList<>();
    counts.clear();
    java.util.Map<Object, Boolean> seen = new java.util.IdentityHashMap<>();
    java.util.Set<Class<?>> staticsDone = new java.util.HashSet<>();
    java.util.ArrayDeque<Object[]> next = new java.util.ArrayDeque<>();
    roots.forEach(root -> next.add(new Object[] {root, root.getClass().getSimpleName()}));
    try {
      while (!next.isEmpty() && seen.size() < 20_000) {
        Object[] item = next.poll();
        Object held = item[0];
        String where = (String) item[1];
        if (held == null || seen.put(held, Boolean.TRUE) != null) continue;
        if (workbook.test.Counts.setHeld(held, value, restore)) {
          counts.add(where);
          continue;
        }
        // Permits that a count uses up (one per level or answer unread, say): all used, as if that many had gone out. A
        // semaphore of one permit, a lock, is left as it is.
        if (held instanceof java.util.concurrent.Semaphore permits && value != 0 && permits.availablePermits() > 1) {
          int drained = permits.drainPermits();
          restore.add(() -> permits.release(drained));
          counts.add(where + " (" + drained + " permits, all used)");
          continue;
        }
        // A boxed count or a moment in an AtomicReference, as a lambda keeps one: set; anything else in it, looked into.
        if (held instanceof java.util.concurrent.atomic.AtomicReference<?> reference) {
          @SuppressWarnings("unchecked") java.util.concurrent.atomic.AtomicReference<Object> box = (java.util.concurrent.atomic.AtomicReference<Object>) reference;
          Object was = box.get(), now = standIn(was, value);
          if (now != was) {
            box.set(now);
            restore.add(() -> box.set(was));
            counts.add(where);
          } else {
            next.add(new Object[] {was, where + ".get()"});
          }
          continue;
        }
        if (held instanceof Object[] array) {
          for (int i = 0; i < Math.min(array.length, 1_000); i++) {
            Object was = array[i], now = standIn(was, value);
            if (now != was) {
              int at = i;
              array[at] = now;
              restore.add(() -> array[at] = was);
              counts.add(where + "[" + at + "]");
            } else {
              next.add(new Object[] {was, where + "[]"});
            }
          }
          continue;
        }
        // A map's values that are counts (what a stream holds per product, say) or moments: set; the others looked into.
        if (held instanceof java.util.Map<?, ?> values && !values.isEmpty()) {
          try {
            @SuppressWarnings("unchecked") java.util.Map<Object, Object> map = (java.util.Map<Object, Object>) values;
            for (Object key : new ArrayList<>(map.keySet()).subList(0, Math.min(map.size(), 1_000))) {
              Object was = map.get(key), now = standIn(was, value);
              if (now != was) {
                map.put(key, now);
                restore.add(() -> map.put(key, was));
                counts.add(where + "[" + key + "]");
              }
            }
          } catch (RuntimeException e) {
            // a map that cannot be changed: its entries are looked into below
          }
        }
        if (held instanceof java.util.Map<?, ?> || held instanceof java.util.Collection<?>) {
          try {
            List<?> elements = held instanceof java.util.Map<?, ?> map ? java.util.stream.Stream.concat(map.keySet().stream(),
                map.values().stream()).limit(2_000).toList() : ((java.util.Collection<?>) held).stream().limit(1_000).toList();
            for (Object o : elements) next.add(new Object[] {o, where + "[]"});
          } catch (RuntimeException e) {
            // a container that cannot be read: nothing of the lab's own in it
          }
          continue;
        }
        // A gRPC Deadline held where it cannot be replaced (captured by a lambda, a final field): passed, in place.
        if (held instanceof io.grpc.Deadline deadline && value != 0 && expireInPlace(deadline, restore)) {
          counts.add(where + " (a gRPC Deadline, passed)");
          continue;
        }
        Class<?> type = held.getClass();
        if (!type.getPackageName().isEmpty() || type.getName().startsWith("StreamingTest")) continue; // gRPC's, the JDK's, the test's
        for (Class<?> c = type; c != null && c.getPackageName().isEmpty(); c = c.getSuperclass()) {
          String name = c.getName().contains("$$Lambda") ? c.getName().replaceAll("[$][$]Lambda.*", "'s lambda")
              : c.getSimpleName().isEmpty() ? c.getName() : c.getSimpleName();
          boolean statics = staticsDone.add(c);
          for (java.lang.reflect.Field f : c.getDeclaredFields()) {
            boolean isStatic = java.lang.reflect.Modifier.isStatic(f.getModifiers());
            if (isStatic && !statics) continue;
            try {
              f.setAccessible(true);
              Object target = isStatic ? null : held;
              Object was = f.getType().isPrimitive() ? null : f.get(target), now = standIn(was, value);
              if (workbook.test.Counts.setField(f, target, value, restore)) {
                counts.add(name + "." + f.getName());
              } else if (sets && value != 0 && !isStatic && !(held instanceof StockLevels)
                  && (was instanceof java.util.Set<?> kept && !(kept instanceof LargeSet) && f.getType().isAssignableFrom(LargeSet.class)
                  || was instanceof Map<?, ?> keys && !(keys instanceof LargeMap) && f.getType().isAssignableFrom(LargeMap.class))) {
                // a final one too: its class is the lab's own
                Object large = was instanceof Map<?, ?> keys ? new LargeMap<>(keys) : new LargeSet<>((java.util.Set<?>) was);
                f.set(target, large);
                next.add(new Object[] {large, name + "." + f.getName()}); // its counts (a map's values) are set too
                restore.add(() -> {
                  try {
                    f.set(target, was);
                  } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                  }
                });
                counts.add(name + "." + f.getName() + (large instanceof Map ? " (a map" : " (a set") + ", as if holding 2^30 more)");
              } else if (now != was && !java.lang.reflect.Modifier.isFinal(f.getModifiers())) { // a boxed count, a moment
                f.set(target, now);
                restore.add(() -> {
                  try {
                    f.set(target, was);
                  } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                  }
                });
                counts.add(name + "." + f.getName());
              } else if (!f.getType().isPrimitive()) {
                next.add(new Object[] {was, name + "." + f.getName()});
              }
            } catch (IllegalAccessException | RuntimeException e) {
              // a field that cannot be opened: not one of the lab's own
            }
          }
        }
      }
      action.run();
    } finally {
      workbook.test.Counts.restore(restore);
    }
  }

  /**
   * Makes {@code deadline} one that passed as long ago as EXPIRED_LONG_AGO did, in place (its fields: a Deadline is
   * immutable, and one a lambda captured cannot be replaced), and notes how to put it back; false if it cannot be.
   */
  static boolean expireInPlace(io.grpc.Deadline deadline, List<Runnable> restore) {
    if (deadline == EXPIRED_LONG_AGO) return false;
    try {
      java.lang.reflect.Field nanos = io.grpc.Deadline.class.getDeclaredField("deadlineNanos");
      java.lang.reflect.Field expired = io.grpc.Deadline.class.getDeclaredField("expired");
      nanos.setAccessible(true);
      expired.setAccessible(true);
      long wasNanos = nanos.getLong(deadline);
      boolean wasExpired = expired.getBoolean(deadline);
      nanos.setLong(deadline, nanos.getLong(EXPIRED_LONG_AGO));
      expired.setBoolean(deadline, true);
      restore.add(() -> {
        try {
          nanos.setLong(deadline, wasNanos);
          expired.setBoolean(deadline, wasExpired);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      });
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false; // another gRPC's Deadline: left as it is
    }
  }

  /** client(...), on a thread of its own, waited for at most WAIT: an action that waits (a queue that is full) fails the step instead of hanging it. */
  static void boundedly(String todo, String what, Runnable action) {
    java.util.concurrent.CompletableFuture<Void> done = java.util.concurrent.CompletableFuture.runAsync(() -> client(todo, what, action),
        runnable -> new Thread(runnable, todo + ": " + what).start());
    try {
      done.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Error error) throw error;
      throw new AssertionError(todo + ": " + what + " threw " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      // still waiting: what it sent so far is what the caller checks
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static List<String> sent(Recorder<?> recorder) {
    synchronized (recorder.events) {
      return recorder.events.stream().filter(event -> !event.startsWith("onError")).toList();
    }
  }

  /**
   * A stand-in for gRPC's responseObserver, for calling a service method directly: records what the service
   * did with it, in order ("onNext <message>", "onCompleted", "onError CODE"), also what gRPC would drop.
   */
  static class Recorder<T> extends io.grpc.stub.ServerCallStreamObserver<T> {
    /** Added to from any thread; read it through sent(...), or once the calls are over (a list that copies itself on each add would make 10,000 messages slow). */
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean cancelled;
    private volatile Runnable onCancel;
    /** Whether the reader keeps up (isReady); false plays a slow reader, until becomeReady(). */
    volatile boolean ready = true;
    private volatile Runnable onReady;

    /** Set once the service method has returned (returned()): gRPC then takes no handler any more. */
    private volatile boolean frozen;
    /** Run once, inside the next onNext: what happens elsewhere while a message is being sent. */
    volatile Runnable duringOnNext;
    /** The thread inside onNext, and what was seen when a second one came in meanwhile (null: never). */
    private final java.util.concurrent.atomic.AtomicReference<Thread> sending = new java.util.concurrent.atomic.AtomicReference<>();
    volatile String overlap;
    /** When set, the thread every onNext must come from (the one that hands the service its requests); elsewhere notes the first that did not. */
    volatile Thread answersFrom;
    volatile String elsewhere;

    @Override public void onNext(T message) {
      Thread me = Thread.currentThread(), other = sending.compareAndExchange(null, me);
      if (other != null && overlap == null) overlap = "onNext on thread '" + me.getName() + "' while thread '" + other.getName() + "' was still in onNext";
      Thread from = answersFrom;
      if (from != null && me != from && elsewhere == null) elsewhere = "an answer sent on thread '" + me.getName() + "', not in the request's onNext";
      try {
        events.add("onNext " + com.google.protobuf.TextFormat.shortDebugString((com.google.protobuf.MessageOrBuilder) message));
        Runnable during = duringOnNext;
        duringOnNext = null;
        if (during != null) during.run();
      } finally {
        sending.compareAndSet(me, null);
      }
    }

    /** The service method has returned its observer (or, for a server stream, returned): as in gRPC, handlers are fixed now. */
    void returned() {
      frozen = true;
    }

    private void beforeReturn(String handler) {
      // gRPC's own words (io.grpc.stub.ServerCalls): a handler is set while the method runs, never later.
      if (frozen) throw new IllegalStateException("Cannot alter " + handler + " after initialization. May only be called"
          + " during the initial call to the application, before the service returns its StreamObserver");
    }
    @Override public void onError(Throwable t) { events.add("onError " + Status.fromThrowable(t).getCode()); }
    @Override public void onCompleted() { events.add("onCompleted"); }

    /** The client cancels, as gRPC tells a service: the cancel handler runs, then the request stream's onError. */
    void cancel(StreamObserver<?> requests) {
      cancel();
      requests.onError(Status.CANCELLED.withDescription("the client cancelled").asRuntimeException());
    }

    /** The client cancels a server stream: the cancel handler runs. */
    void cancel() {
      cancelled = true;
      if (onCancel != null) onCancel.run();
    }

    /** The slow reader has caught up: isReady() turns true and the on-ready handler, if any, runs. */
    void becomeReady() {
      ready = true;
      if (onReady != null) onReady.run();
    }

    @Override public boolean isCancelled() { return cancelled; }
    @Override public void setOnCancelHandler(Runnable handler) { beforeReturn("onCancelHandler"); onCancel = handler; }
    @Override public void setCompression(String compression) { }
    @Override public boolean isReady() { return ready; }
    @Override public void setOnReadyHandler(Runnable handler) { beforeReturn("onReadyHandler"); onReady = handler; }
    @Override public void disableAutoInboundFlowControl() { disableAutoRequest(); }
    @Override public void request(int count) { requested.addAndGet(count); }
    @Override public void setMessageCompression(boolean enable) { }
    @Override public void setOnCloseHandler(Runnable handler) { beforeReturn("onCloseHandler"); } // runs when a call completes normally: never here
    @Override public void disableAutoRequest() { beforeReturn("auto flow control"); paced = true; }

    /** Whether the service paces its reading (disableAutoRequest), and the requests it has asked for (request(n)) and not been handed yet. */
    private volatile boolean paced;
    private final java.util.concurrent.atomic.AtomicLong requested = new java.util.concurrent.atomic.AtomicLong();

    /**
     * As gRPC hands a service the client's next request: at once when it reads every one (the default), else only once it
     * has asked for one (request(n)), which this takes. False: the service has asked for no more, so the request waits.
     */
    boolean mayHand() {
      return !paced || requested.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0;
    }

    /** What a paced service has asked for and not been handed yet; Long.MAX_VALUE for one that reads every request (gRPC's default). */
    long outstanding() {
      return paced ? requested.get() : Long.MAX_VALUE;
    }

    /** As if the service had been handed all but {@code left} of what it has asked for so far. */
    void handedAllBut(long left) {
      requested.set(left);
    }
  }

  /** The most of what a paced stream asks for before its first request that readsPastItsAsk hands for real; past it, the rest is taken as handed. */
  static final long HANDED_FOR_REAL = 10_000;

  /**
   * Hands a service's request stream, as gRPC does, only what it has asked for (a stream that paces its reading with
   * disableAutoRequest is handed a request only once it asked for one, request(n)): as many as it asked for before its
   * first request, and one more (3 to a stream that reads every one, gRPC's default, or that asked for the most one
   * request(int) asks, 2^31 - 1). Asked for more than HANDED_FOR_REAL up front, it is taken as handed all but one of them
   * (the count gRPC keeps set as if they had come, as withCountsAt sets the service's own), then handed two. Returns
   * [handed, to hand, taken as handed]: a stream that reads past what it asked for up front asks for the next as it reads.
   */
  static <Q> long[] readsPastItsAsk(Recorder<?> call, java.util.function.LongFunction<Q> request, java.util.function.Consumer<Q> hand) {
    long upFront = call.outstanding(), skipped = 0, toHand;
    if (upFront >= Integer.MAX_VALUE) {
      toHand = 3;
    } else if (upFront > HANDED_FOR_REAL) {
      call.handedAllBut(1);
      skipped = upFront - 1;
      toHand = 2;
    } else {
      toHand = upFront + 1;
    }
    long handed = 0;
    while (handed < toHand && call.mayHand()) hand.accept(request.apply(handed++));
    return new long[] {handed, toHand, skipped};
  }

  /** Counts the server calls whose service method has returned; for a server stream that is long before the stream ends. */
  static final class MethodsReturned implements io.grpc.ServerInterceptor {
    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
        io.grpc.ServerCallHandler<Q, A> next) {
      return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        // gRPC calls a method with one request (unary, server streaming) when the client half-closes.
        @Override public void onHalfClose() {
          try {
            super.onHalfClose();
          } finally {
            count.incrementAndGet();
          }
        }
      };
    }

    int count() {
      return count.get();
    }

    /** Waits (bounded) until {@code calls} service methods have returned. */
    void await(int calls, Duration limit) {
      long end = System.nanoTime() + limit.toNanos();
      while (count.get() < calls && System.nanoTime() < end) java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  /** Notes onCompleted on a call after gRPC began telling the service that the client has gone (onCancel). */
  static final class AfterTheClientLeft implements io.grpc.ServerInterceptor {
    volatile String found;

    @Override
    public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
        io.grpc.ServerCallHandler<Q, A> next) {
      String method = call.getMethodDescriptor().getBareMethodName();
      java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
      io.grpc.ServerCall<Q, A> watched = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override public void close(Status status, io.grpc.Metadata trailers) {
          if (gone.get() && found == null) {
            String what = status.isOk() ? "onCompleted" : "onError " + status.getCode();
            found = "the service ended " + method + " (" + what + ") after the client had gone";
            workbook.story.Story.add("server " + method + ": " + what + " after the client had gone  <- nobody is there");
          }
          super.close(status, trailers);
        }
      };
      return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(watched, headers)) {
        @Override public void onCancel() {
          gone.set(true); // before the service hears of it: whatever it does from here on is after the client left
          super.onCancel();
        }
      };
    }
  }

  /**
   * Notes, per call whose method answers with one message (client streaming), when the service sent that message, and
   * forgets it once the call is closed: gRPC holds such a reply until the call completes, so one never completed never
   * reaches the client.
   */
  static final class HeldReplies implements io.grpc.ServerInterceptor {
    private final Map<Object, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Object, String> methods = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
        io.grpc.ServerCallHandler<Q, A> next) {
      if (!call.getMethodDescriptor().getType().serverSendsOneMessage()) return next.startCall(call, headers);
      Object key = new Object();
      methods.put(key, call.getMethodDescriptor().getBareMethodName());
      return next.startCall(new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override public void sendMessage(A message) {
          sentAt.putIfAbsent(key, System.nanoTime());
          super.sendMessage(message);
        }

        @Override public void close(Status status, io.grpc.Metadata trailers) {
          sentAt.remove(key);
          methods.remove(key);
          super.close(status, trailers);
        }
      }, headers);
    }

    /** The method of a call whose one reply was sent more than {@code limit} ago and which is still not closed, or null. */
    String olderThan(Duration limit) {
      long now = System.nanoTime();
      for (Map.Entry<Object, Long> e : sentAt.entrySet()) {
        if (now - e.getValue() > limit.toNanos()) return "its " + methods.getOrDefault(e.getKey(), "call") + " reply";
      }
      return null;
    }
  }

  static final class OneSenderAtATime implements io.grpc.ServerInterceptor {
    private static final Map<String, String> TODO = Map.of("WatchStockLevels", "TODO 1", "BulkUpdateStock", "TODO 3",
        "ReserveStock", "TODO 4");
    private volatile String found;

    @Override
    public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
        io.grpc.ServerCallHandler<Q, A> next) {
      String method = call.getMethodDescriptor().getBareMethodName();
      java.util.concurrent.atomic.AtomicReference<Thread> sending = new java.util.concurrent.atomic.AtomicReference<>();
      return next.startCall(new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        // The first onNext also sends the call's headers: two threads racing there break the call before any message.
        @Override public void sendHeaders(io.grpc.Metadata headers) {
          guarded("the call's headers (sent by the first onNext)", () -> super.sendHeaders(headers));
        }

        @Override public void sendMessage(A message) {
          guarded("a message", () -> super.sendMessage(message));
        }

        private void guarded(String what, Runnable send) {
          Thread me = Thread.currentThread(), other = sending.compareAndExchange(null, me);
          if (other != null) note(method, "onNext on thread '" + me.getName() + "' while thread '" + other.getName() + "' was still in onNext");
          try {
            send.run();
            java.util.concurrent.locks.LockSupport.parkNanos(200_000); // linger: a racing thread arrives meanwhile
          } catch (IllegalStateException e) {
            // gRPC's observer sends the headers once; a second time only happens when two threads raced to the first onNext.
            if (String.valueOf(e.getMessage()).contains("already")) note(method, "sending " + what + " on thread '" + me.getName() + "' failed with '" + e.getMessage()
                + "': another thread had got there first");
            throw e;
          } finally {
            sending.compareAndSet(me, null);
          }
        }

        @Override public void close(Status status, io.grpc.Metadata trailers) {
          Thread other = sending.get();
          if (other != null && other != Thread.currentThread()) {
            note(method, "the call was ended (onCompleted or onError) on thread '" + Thread.currentThread().getName()
                + "' while thread '" + other.getName() + "' was still in onNext");
          }
          super.close(status, trailers);
        }
      }, headers);
    }

    private void note(String method, String what) {
      if (found == null) {
        found = TODO.getOrDefault(method, "TODO") + ": the server's " + method + " called its StreamObserver from two"
            + " threads at once: " + what + ". A StreamObserver is not thread-safe: concurrent calls break the stream"
            + " (the client sees it reset) and reorder the messages. Call onNext from one thread at a time, in order:"
            + " directly in the listener, or in the observer's own onNext, not on a thread pool";
        workbook.story.Story.add("server " + method + ": " + what + "  <- not allowed on a StreamObserver");
      }
    }

    /** Fails with what was found, if the service ever sent from two threads at once. */
    void assertNone() {
      if (found != null) throw new AssertionError(found);
    }
  }

  /**
   * The stock's map, swapped in for one test: a read of one product made by a caller of StockLevels.quantity (not
   * from inside reserve or adjust) waits there, releasing the stock's lock, until {@code expected} such reads have
   * met or WAIT has passed; each then reads the level as it was when the last of them arrived. Every reader of the
   * stock then holds the same number, as on a busy server. A caller that holds the stock's lock itself around its read
   * and its change (one step, as levels.reserve is) reads as it is: no busy server lets another in there.
   */
  static final class ReadsMeet extends java.util.LinkedHashMap<String, StockLevel> {
    private final transient StockLevels owner;
    private final String productId;
    private final int expected;
    private int readers;
    /** The product's level when the last expected reader arrived (read under the stock's lock, as every wait ends). */
    private StockLevel met;
    private volatile boolean open = true;

    private ReadsMeet(StockLevels owner, Map<String, StockLevel> levels, String productId, int expected) {
      super(levels);
      this.owner = owner;
      this.productId = productId;
      this.expected = expected;
    }

    static ReadsMeet install(StockLevels levels, String productId, int expected) throws ReflectiveOperationException {
      java.lang.reflect.Field field = StockLevels.class.getDeclaredField("levels");
      field.setAccessible(true);
      synchronized (levels) {
        @SuppressWarnings("unchecked") Map<String, StockLevel> now = (Map<String, StockLevel>) field.get(levels);
        ReadsMeet meet = new ReadsMeet(levels, now, productId, expected);
        field.set(levels, meet);
        return meet;
      }
    }

    synchronized int readers() {
      return readers;
    }

    /** From now on, reads go straight through. */
    void close() {
      open = false;
    }

    @Override public StockLevel get(Object key) {
      if (open && productId.equals(key) && Thread.holdsLock(owner) && readOnItsOwn() && !lockedOutsideTheStock()) {
        int arrived;
        synchronized (this) { arrived = ++readers; }
        if (arrived > expected) return super.get(key); // after the meeting: as it is
        // The reader that completes the meeting reads for all (the stock's lock is held: nothing changes meanwhile).
        if (arrived == expected) met = super.get(key);
        owner.notifyAll();
        long end = System.nanoTime() + WAIT.toNanos();
        try {
          while (readers() < expected && System.nanoTime() < end) owner.wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        // Every reader gets the stock as it was when the last one arrived: one that decides before taking sees what
        // none has taken yet; one that reads again after its own change sees what the others changed meanwhile.
        StockLevel level = met;
        if (level != null) return level;
      }
      return super.get(key);
    }

    /**
     * Whether the reading thread holds the stock's lock from outside the stock too (synchronized (levels) around its read
     * and its change): then its decision is one step under that lock, as levels.reserve's is, and its read goes through
     * (a wait here would release that lock, which no busy server does).
     */
    private boolean lockedOutsideTheStock() {
      java.lang.management.ThreadInfo[] info = java.lang.management.ManagementFactory.getThreadMXBean()
          .getThreadInfo(new long[] {Thread.currentThread().getId()}, true, false);
      if (info.length == 0 || info[0] == null) return false;
      int lock = System.identityHashCode(owner);
      return java.util.Arrays.stream(info[0].getLockedMonitors()).anyMatch(m -> m.getIdentityHashCode() == lock
          && !m.getLockedStackFrame().getClassName().equals("StockLevels"));
    }

    /** Whether StockLevels.quantity was called from outside the stock (a decision its lock does not cover). */
    private static boolean readOnItsOwn() {
      List<String> frames = java.util.Arrays.stream(Thread.currentThread().getStackTrace())
          .filter(f -> f.getClassName().equals("StockLevels")).map(StackTraceElement::getMethodName).toList();
      return frames.equals(List.of("quantity"));
    }
  }

  /** A stand-in server for step 5: counts what it receives and answers when the client completes. */
  static final class CountingInventory extends InventoryGrpc.InventoryImplBase {
    /** Per call, the milliseconds left of its deadline when it arrived ("none" without one). */
    final BlockingQueue<String> deadlines = new LinkedBlockingQueue<>();
    /** Every delta received, in the order it arrived. */
    final List<Integer> received = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Every adjustment received, "[product] delta", in the order it arrived. */
    final List<String> adjustments = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Every summary it sent, in order. */
    final List<BulkUpdateSummary> summaries = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
      io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
      deadlines.add(deadline == null ? "none" : String.valueOf(deadline.timeRemaining(TimeUnit.MILLISECONDS)));
      return new StreamObserver<>() {
        private int count;
        private int netChange;
        private final Set<String> products = new HashSet<>();

        @Override public void onNext(StockAdjustment a) {
          count++;
          netChange += a.getDelta();
          products.add(a.getProductId());
          received.add(a.getDelta());
          adjustments.add("[" + a.getProductId() + "] " + a.getDelta());
        }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() {
          BulkUpdateSummary summary = BulkUpdateSummary.newBuilder().setAdjustments(count).setProducts(products.size())
              .setNetChange(netChange).build();
          summaries.add(summary);
          responseObserver.onNext(summary);
          responseObserver.onCompleted();
        }
      };
    }
  }

  /** A stand-in server for step 5 that answers an empty summary as soon as a call starts: no call waits on it. */
  static final class AnsweringAtOnce extends InventoryGrpc.InventoryImplBase {
    @Override
    public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
      responseObserver.onNext(BulkUpdateSummary.getDefaultInstance());
      responseObserver.onCompleted();
      return new StreamObserver<>() {
        @Override public void onNext(StockAdjustment a) { }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() { }
      };
    }
  }

  /** A stand-in server for step 5 that reads everything and never answers. */
  static final class SilentInventory extends InventoryGrpc.InventoryImplBase {
    final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
      calls.incrementAndGet();
      return new StreamObserver<>() {
        @Override public void onNext(StockAdjustment a) { }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() { }
      };
    }
  }

  /** A stand-in server for step 5: refuses the first adjustment of "status:CODE" with CODE at once; counts the calls per id. */
  static final class FailingInventory extends InventoryGrpc.InventoryImplBase {
    static final io.grpc.Metadata.Key<String> SCRIPTED = io.grpc.Metadata.Key.of("scripted-by", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    final Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public StreamObserver<StockAdjustment> bulkUpdateStock(StreamObserver<BulkUpdateSummary> responseObserver) {
      return new StreamObserver<>() {
        private boolean refused;

        @Override public void onNext(StockAdjustment a) {
          if (refused) return;
          refused = true;
          calls.merge(a.getProductId(), 1, Integer::sum);
          String id = a.getProductId();
          Status.Code code = Status.Code.valueOf(id.substring(id.indexOf("status:") + "status:".length()));
          // "after-summary status:CODE": a summary first, then the failure (a server that fails while closing the call).
          if (id.startsWith("after-summary ")) {
            responseObserver.onNext(BulkUpdateSummary.newBuilder().setAdjustments(1).setProducts(1).setNetChange(a.getDelta()).build());
          }
          io.grpc.Metadata trailers = new io.grpc.Metadata();
          trailers.put(SCRIPTED, "inventory");
          responseObserver.onError(Status.fromCode(code).withDescription("scripted " + code).asRuntimeException(trailers));
        }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() { }
      };
    }
  }

  /**
   * On the client's side: the call's end (its status) reaches the caller's observer {@code late} after gRPC decided it.
   * Notes each call made, and each end as gRPC decided it (its status and its trailers, the very object the call's own
   * StatusRuntimeException carries), so that a test can tell the call's own failure from one the client made up.
   */
  static final class LateEnd implements io.grpc.ClientInterceptor {
    private final Duration late;
    final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    /** For each call, the nanoseconds left of its deadline when it started (Long.MAX_VALUE: none). */
    final List<Long> leftAtStart = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Each end gRPC decided, in order: its status and its trailers. */
    final BlockingQueue<Map.Entry<Status, io.grpc.Metadata>> ends = new LinkedBlockingQueue<>();

    LateEnd(Duration late) { this.late = late; }

    /**
     * Null if {@code failure} is the call's own, as gRPC ended it (its status, with the very trailers it came with); else
     * what differs. Waits (bounded) for the call's end, which reaches the client late.
     */
    String notTheCallsOwn(Throwable failure) throws InterruptedException {
      if (calls.get() == 0) return "no call was made, so it is no call's failure";
      Map.Entry<Status, io.grpc.Metadata> end = ends.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (end == null) return "the call had not ended " + WAIT.toSeconds() + " s later";
      if (!(failure instanceof io.grpc.StatusRuntimeException own)) return "a " + (failure == null ? "result" : failure.getClass().getSimpleName()) + ", not the call's StatusRuntimeException";
      Status status = own.getStatus();
      if (status.getCode() != end.getKey().getCode() || !java.util.Objects.equals(status.getDescription(), end.getKey().getDescription())) {
        return "'" + LocalGrpc.describe(status) + "', where the call ended '" + LocalGrpc.describe(end.getKey()) + "'";
      }
      return own.getTrailers() == end.getValue() ? null : "a StatusRuntimeException of the same status, made anew: without the call's trailers";
    }

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      calls.incrementAndGet();
      leftAtStart.add(options.getDeadline() == null ? Long.MAX_VALUE : options.getDeadline().timeRemaining(TimeUnit.NANOSECONDS));
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override public void start(Listener<A> listener, io.grpc.Metadata headers) {
          super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override public void onClose(Status status, io.grpc.Metadata trailers) {
              ends.add(new java.util.AbstractMap.SimpleImmutableEntry<>(status, trailers));
              try {
                Thread.sleep(late.toMillis()); // an injected fault: the end of the call arrives late
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }

  /**
   * On the client's side: the answer of each call never reaches the client, and the call then ends OK. A grpc-java
   * server never ends a client stream that way (it fails it, INTERNAL "Completed without a response"); another
   * server, or a proxy, could.
   */
  static final class AnswerLost implements io.grpc.ClientInterceptor {
    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override public void start(Listener<A> listener, io.grpc.Metadata headers) {
          super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override public void onMessage(A message) { } // lost on the way
          }, headers);
        }
      };
    }
  }

  /**
   * On the client's side: a call goes through to the server, which gets every adjustment and answers; then the way back
   * fails: the summary is lost, and the call ends {@code end} (a connection reset, say), or, when {@code end} is null,
   * its end never reaches the client. Counts the calls made.
   */
  static final class FailsOnTheWay implements io.grpc.ClientInterceptor {
    private final Status end;
    final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

    FailsOnTheWay(Status end) { this.end = end; }

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      calls.incrementAndGet();
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override public void start(Listener<A> listener, io.grpc.Metadata headers) {
          super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override public void onMessage(A message) { } // lost on the way back
            @Override public void onClose(Status status, io.grpc.Metadata trailers) {
              if (end != null) super.onClose(end, new io.grpc.Metadata()); // else: never reaches the client
            }
          }, headers);
        }
      };
    }
  }

  /** A stand-in server for the given StockClient.watch: notes each watch's deadline, sends one level each, hears the cancel. */
  static final class WatchingInventory extends InventoryGrpc.InventoryImplBase {
    final BlockingQueue<String> deadlines = new LinkedBlockingQueue<>();
    final java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);

    @Override
    public void watchStockLevels(WatchStockLevelsRequest request, StreamObserver<StockLevel> responseObserver) {
      io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
      deadlines.add(deadline == null ? "none" : deadline.timeRemaining(TimeUnit.MILLISECONDS) + " ms left");
      ((io.grpc.stub.ServerCallStreamObserver<StockLevel>) responseObserver).setOnCancelHandler(cancelled::countDown);
      for (String id : request.getProductIdsList()) responseObserver.onNext(StockLevel.newBuilder().setProductId(id).setQuantity(7).build());
    }
  }

  /**
   * On the client's side: each of the first two calls, once it has sent its first message, waits (bounded) until the
   * other has sent its first too. Both calls are then in progress, each with more to send, at the same moment, every
   * time, whichever starts first.
   */
  static final class FirstMessagesMeet implements io.grpc.ClientInterceptor {
    private final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.CountDownLatch[] firstSent = {new java.util.concurrent.CountDownLatch(1),
        new java.util.concurrent.CountDownLatch(1)};

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      int n = calls.getAndIncrement();
      java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override public void sendMessage(Q message) {
          boolean first = sent.compareAndSet(false, true);
          super.sendMessage(message);
          if (first && n < 2) {
            firstSent[n].countDown();
            try {
              firstSent[1 - n].await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }
      };
    }
  }

  /** On the client's side: for each call, the ns left of its deadline when it started (MIN_VALUE: none), and when. */
  static final class DeadlineAtStart implements io.grpc.ClientInterceptor {
    final BlockingQueue<long[]> calls = new LinkedBlockingQueue<>();

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      io.grpc.Deadline deadline = options.getDeadline();
      long left = deadline == null ? Long.MIN_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
      calls.add(new long[] {left, System.nanoTime()}); // read after the deadline: never more time than there was
      return next.newCall(method, options);
    }
  }

  /** On the client's side: notes a request StreamObserver called from a second thread while a first is still sending. */
  static final class OneClientSender implements io.grpc.ClientInterceptor {
    volatile String found;
    /** The thread that called bulkUpdate, when set: each message and the half-close come from it, or from the call's onReady. */
    volatile Thread caller;
    /** The first message or half-close that came from elsewhere (null: none). */
    volatile String elsewhere;

    @Override
    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options,
        io.grpc.Channel next) {
      java.util.concurrent.atomic.AtomicReference<Thread> sending = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.Set<Thread> inOnReady = java.util.concurrent.ConcurrentHashMap.newKeySet(); // threads in gRPC's onReady now
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override public void start(Listener<A> listener, io.grpc.Metadata headers) {
          super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override public void onReady() {
              inOnReady.add(Thread.currentThread());
              try {
                super.onReady();
              } finally {
                inOnReady.remove(Thread.currentThread());
              }
            }
          }, headers);
        }

        private void from(String what) {
          Thread me = Thread.currentThread(), expected = caller;
          if (expected != null && me != expected && !inOnReady.contains(me) && elsewhere == null) {
            elsewhere = what + " on thread '" + me.getName() + "', neither bulkUpdate's caller ('" + expected.getName()
                + "') nor in gRPC's on-ready handler";
          }
        }

        @Override public void halfClose() {
          from("the half-close");
          super.halfClose();
        }

        @Override public void sendMessage(Q message) {
          from("an adjustment sent");
          Thread me = Thread.currentThread(), other = sending.compareAndExchange(null, me);
          if (other != null && found == null) found = "onNext on thread '" + me.getName() + "' while thread '" + other.getName() + "' was still in it";
          try {
            super.sendMessage(message);
            java.util.concurrent.locks.LockSupport.parkNanos(100_000); // linger: a racing thread arrives meanwhile
          } finally {
            sending.compareAndSet(me, null);
          }
        }
      };
    }
  }
}
