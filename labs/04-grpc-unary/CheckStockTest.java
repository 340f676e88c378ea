///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES StockServer.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
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
    Server s = StockServer.start(0, CallStory.narrate(service));
    extraServers.add(s);
    return s;
  }

  /** A client on a connected channel, so that short deadlines measure calls, not the connection's set-up. */
  StockClient clientOf(Server s, Duration deadline) throws InterruptedException {
    ManagedChannel c = LocalGrpc.channel(s.getPort());
    extraChannels.add(c);
    long end = System.nanoTime() + TEST_DEADLINE.toNanos();
    while (c.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < end) Thread.sleep(10);
    return new StockClient(c, deadline);
  }

  /** Runs a client call in the background and waits at most {@code limit}: a call without a deadline cannot hang the test. */
  static <T> T within(Duration limit, String whenStuck, Supplier<T> call) throws Exception {
    CompletableFuture<T> future = CompletableFuture.supplyAsync(call);
    try {
      return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(whenStuck);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
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

  @Test
  @DisplayName("a call to an inventory that is down fails at once with UNAVAILABLE")
  void downIsUnavailable() throws InterruptedException {
    Server gone = serve(new ScriptedInventory(Duration.ZERO));
    StockClient client = clientOf(gone, Duration.ofSeconds(5));
    LocalGrpc.stop(gone);
    long t0 = System.nanoTime();
    Status status = statusOf(() -> client.fetch("grinder"));
    assertThat(status.getCode()).as("nobody listens on the port any more").isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("a refused connection needs no deadline").isLessThan(Duration.ofSeconds(3));
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
    @DisplayName("a blank product id fails with INVALID_ARGUMENT")
    void blankIsInvalid() {
      for (String blank : new String[] {"", "   "}) {
        Status status = statusOf(() -> checkStock(blank));
        assertThat(status.getCode()).as("TODO 2: CheckStock(\"" + blank + "\") ended with " + meaning(status)
            + "; a request that can never succeed is INVALID_ARGUMENT (String.isBlank())").isEqualTo(Status.Code.INVALID_ARGUMENT);
      }
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
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: a deadline on every call")
  class Step3 {
    @Test
    @DisplayName("a slow server trips the client's deadline: DEADLINE_EXCEEDED, soon after it")
    void slowServerTripsDeadline() throws Exception {
      StockClient client = clientOf(serve(new StockService(StockService.STOCK, Duration.ofSeconds(10))), Duration.ofMillis(200));
      long t0 = System.nanoTime();
      Status status = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(status.getCode()).as("TODO 3: the call's status with a 200 ms deadline on a 10 s server").isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(ms).as("TODO 3: the call took %d ms with a 200 ms deadline: use the Duration the client was given", ms).isLessThan(2_000);
    }

    @Test
    @DisplayName("every call gets its own deadline, counted from when it starts")
    void deadlinePerCall() throws Exception {
      StockClient client = clientOf(serve(new ScriptedInventory(Duration.ZERO)), Duration.ofSeconds(2));
      Status first = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
      assertThat(first.getCode()).as("TODO 3: the first call, with a 2 s deadline, to a server that answers at once,"
          + " ended with %s: is the deadline in the right unit (withDeadlineAfter(deadline) takes the Duration as it is)?",
          LocalGrpc.describe(first)).isEqualTo(Status.Code.OK);
      Thread.sleep(2_100); // on purpose: more than one deadline's length passes between two calls
      Status second = within(Duration.ofSeconds(3), NO_DEADLINE, () -> statusOf(() -> client.fetch("grinder")));
      assertThat(second.getCode()).as("TODO 3: a second call, 2.1 s later, with a 2 s deadline, to a server that answers"
          + " at once, failed: a stub given withDeadlineAfter once carries one fixed point in time, which later calls have"
          + " passed. Call withDeadlineAfter inside fetch, for each call").isEqualTo(Status.Code.OK);
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
    @DisplayName("a server slower than usual but within the deadline still answers")
    void withinDeadlineAnswers() throws Exception {
      StockClient client = clientOf(serve(new ScriptedInventory(Duration.ofMillis(150))), Duration.ofSeconds(3));
      Status status = within(Duration.ofSeconds(4), "TODO 3: a call to a server that answers in 150 ms took more than 4 s",
          () -> statusOf(() -> client.fetch("grinder")));
      assertThat(status.getCode()).as("TODO 3: a 150 ms answer with a 3 s deadline ended with %s: use the deadline"
          + " given to the constructor, not one of your own", status.getCode()).isEqualTo(Status.Code.OK);
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: turn status codes into decisions")
  class Step4 {
    StockClient client(Duration deadline) throws InterruptedException {
      return clientOf(serve(new ScriptedInventory(Duration.ZERO)), deadline);
    }

    @Test
    @DisplayName("an answer is InStock, and NOT_FOUND is NoSuchProduct")
    void inStockAndNoSuchProduct() throws InterruptedException {
      StockClient client = client(TEST_DEADLINE);
      assertThat(client.check("grinder")).as("TODO 4: check(grinder) when the inventory answers 7 units")
          .isEqualTo(new StockClient.InStock("grinder", 7));
      assertThat(client.check("unicorn")).as("TODO 4: check(unicorn) when the inventory says NOT_FOUND")
          .isEqualTo(new StockClient.NoSuchProduct("unicorn"));
    }

    @Test
    @DisplayName("an inventory that is down is TryLater(UNAVAILABLE)")
    void downIsTryLater() throws InterruptedException {
      Server gone = serve(new ScriptedInventory(Duration.ZERO));
      StockClient client = clientOf(gone, TEST_DEADLINE);
      LocalGrpc.stop(gone);
      assertThat(client.check("grinder")).as("TODO 4: check(...) when nobody listens: worth trying again later, not"
          + " 'no such product'").isEqualTo(new StockClient.TryLater(Status.Code.UNAVAILABLE));
    }

    @Test
    @DisplayName("a deadline that passed is TryLater(DEADLINE_EXCEEDED)")
    void deadlineIsTryLater() throws Exception {
      StockClient client = clientOf(serve(new StockService(StockService.STOCK, Duration.ofSeconds(10))), Duration.ofMillis(200));
      assertThat(within(Duration.ofSeconds(3), NO_DEADLINE + " (step 4 needs step 3)", () -> thrownBy(() -> client.check("grinder"))))
          .as("TODO 4: what check(...) gave on a server slower than the 200 ms deadline: DEADLINE_EXCEEDED means 'no answer"
              + " in time', worth trying later like UNAVAILABLE, so it is an Answer, not an exception")
          .isEqualTo("nothing, it returned " + new StockClient.TryLater(Status.Code.DEADLINE_EXCEEDED));
    }

    @Test
    @DisplayName("INVALID_ARGUMENT is a bug on our side: an IllegalArgumentException, not an Answer")
    void invalidIsOurBug() throws InterruptedException {
      StockClient client = client(TEST_DEADLINE);
      assertThat(thrownBy(() -> client.check(""))).as("TODO 4: what check(\"\") threw when the inventory said"
          + " INVALID_ARGUMENT: asking again cannot help, so it must not look like an answer; keep the server's"
          + " description in the message").startsWith("IllegalArgumentException: ").contains(ScriptedInventory.BLANK);
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

  /** Calls the service directly with a stand-in responseObserver that records what the service did. */
  static final class Recorder implements StreamObserver<StockLevel> {
    private final List<String> events = new ArrayList<>();
    private boolean ended;

    /** What checkStock did, in order: "onNext", "onCompleted", "onError CODE", "threw X: message". */
    static List<String> call(String productId) {
      Recorder recorder = new Recorder();
      try {
        new StockService(StockService.STOCK, Duration.ZERO)
            .checkStock(CheckStockRequest.newBuilder().setProductId(productId).build(), recorder);
      } catch (RuntimeException e) {
        recorder.events.add("threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      return recorder.events;
    }

    @Override public void onNext(StockLevel level) { record("onNext"); }
    @Override public void onError(Throwable t) { record("onError " + Status.fromThrowable(t).getCode()); ended = true; }
    @Override public void onCompleted() { record("onCompleted"); ended = true; }

    /** Like gRPC's own observer, refuses anything after the call has ended. */
    private void record(String event) {
      events.add(event);
      if (ended) throw new IllegalStateException("call already closed, yet " + event);
    }
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

  /** A stand-in inventory for the client's steps: 7 units of anything, after a delay, except a few scripted failures. */
  static final class ScriptedInventory extends InventoryGrpc.InventoryImplBase {
    static final String BLANK = "product_id is blank";
    static final Map<String, Status> FAILURES = Map.of(
        "unicorn", Status.NOT_FOUND.withDescription("no product 'unicorn'"),
        "", Status.INVALID_ARGUMENT.withDescription(BLANK),
        "broken", Status.INTERNAL.withDescription("the stock table is corrupt"));
    private final Duration delay;

    ScriptedInventory(Duration delay) { this.delay = delay; }

    @Override
    public void checkStock(CheckStockRequest request, StreamObserver<StockLevel> responseObserver) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (request.getProductId().equals("crash")) throw new IllegalStateException("the stock table is gone");
      Status failure = FAILURES.get(request.getProductId());
      if (failure != null) {
        responseObserver.onError(failure.asRuntimeException());
        return;
      }
      responseObserver.onNext(StockLevel.newBuilder().setProductId(request.getProductId()).setQuantity(7).build());
      responseObserver.onCompleted();
    }
  }
}
