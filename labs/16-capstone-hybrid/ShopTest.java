///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Shop.java ../../shared/src/workbook/browser/*.java ../../shared/src/workbook/test/*.java
//SOURCES ../../shared/src/workbook/faults/*.java ../../shared/src/workbook/bytecode/ClassCode.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import workbook.browser.Browser;
import workbook.db.Db;
import workbook.faults.CommitFails;
import workbook.faults.CommitsOnClose;
import workbook.faults.ExecutionFails;
import workbook.faults.Lender;
import workbook.faults.StatementFails;
import workbook.grpc.CallStory;
import workbook.grpc.LocalGrpc;
import workbook.grpc.inventory.InventoryGrpc;
import workbook.grpc.inventory.StockLevel;
import workbook.grpc.inventory.WatchStockLevelsRequest;
import workbook.grpc.orders.OrdersGrpc;
import workbook.grpc.orders.PlaceOrderReply;
import workbook.grpc.orders.PlaceOrderRequest;
import workbook.kafka.Broker;
import workbook.kafka.Clients;
import workbook.kafka.Poll;
import workbook.kafka.Topics;
import workbook.net.Ports;

@DisplayName("Lab 16: Capstone, a hybrid system")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class ShopTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ShopTest.class, args); }

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  /** Closed after each test, the last opened first. */
  final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach void closeEverything() {
    for (AutoCloseable c : toClose) {
      try {
        c.close();
      } catch (Exception e) { // one failure must not leave the rest running
        System.err.println("While cleaning up after the test: " + e);
      }
    }
  }

  <T extends AutoCloseable> T later(T resource) {
    toClose.add(0, resource);
    return resource;
  }

  @Test
  @DisplayName("the gateway serves the page and the product list over REST")
  void servesThePage() throws Exception {
    ManagedChannel nowhere = channel(Ports.free());
    Gateway gateway = later(new Gateway(0, nowhere, nowhere, Gateway.DEADLINE, Duration.ofSeconds(1)));

    assertThat(get(gateway.url() + "/").body()).as("the page")
        .contains("<h1>Coffee shop</h1>", "new EventSource('/api/stock')");
    assertThat(get(gateway.url() + "/api/products").body()).as("GET /api/products")
        .contains("\"id\":\"espresso-cup\"", "\"id\":\"hand-grinder\"", "\"id\":\"beans-1kg\"");
  }

  @Test
  @DisplayName("inventory streams the current stock levels over gRPC, then every change")
  void inventoryStreams() throws Exception {
    Inventory inventory = new Inventory(later(Db.fresh("inventory").execute(Inventory.SCHEMA)).dataSource());
    ManagedChannel channel = channel(serve(inventory).getPort());
    Iterator<StockLevel> levels = InventoryGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(10))
        .watchStockLevels(WatchStockLevelsRequest.newBuilder().addProductIds("beans-1kg").build());

    assertThat(levels.next().getQuantity()).as("beans-1kg in stock at the start").isEqualTo(30);
    inventory.restock("beans-1kg", 5);
    assertThat(levels.next().getQuantity()).as("beans-1kg after a delivery of 5").isEqualTo(35);
  }

  @Test
  @DisplayName("the outbox relay publishes pending rows to Kafka, oldest first, and marks them sent")
  void relayPublishes() throws Exception {
    Db db = later(Db.fresh("orders").execute(OrderService.SCHEMA));
    String topic = Topics.fresh("orders", 1);
    try (Connection c = db.dataSource().getConnection()) {
      for (String id : List.of("o-1", "o-2")) OrderService.insertOutbox(c, topic, id, "{\"orderId\":\"" + id + "\"}");
    }
    KafkaProducer<String, String> producer = Clients.producer("outbox-relay");
    later(() -> producer.close(Duration.ofSeconds(5)));
    OutboxRelay relay = new OutboxRelay(db.dataSource(), producer);

    assertThat(relay.relayOnce()).as("rows published by one pass").isEqualTo(2);
    assertThat(relay.pending()).as("rows still pending").isEmpty();
    assertThat(keysOn(topic, 2)).as("keys on the topic, in order").containsExactly("o-1", "o-2");
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: the gateway calls the order service over gRPC, with a deadline")
  class Step1 {
    @Test
    @DisplayName("POST /api/orders reaches the order service and answers 202 with the order's id")
    void placesAnOrder() throws Exception {
      FakeOrders orders = new FakeOrders();
      Answer answer = post(gatewayTo(orders).url(), "espresso-cup", 2);

      assertThat(answer.status()).as("TODO 1: the status of POST /api/orders (202 Accepted: stored, the rest follows"
          + " by event); body %s", answer.body()).isEqualTo(202);
      assertThat(answer.body()).as("TODO 1: the body: the order id the order service answered")
          .contains("\"orderId\":\"o-fake-1\"");
      assertThat(answer.contentType()).as("TODO 1: the Content-Type of the 202 (body %s): the page reads it as JSON,"
          + " and a JSON body says so (application/json). ctx.json(new Accepted(...)) sets it; a body written by hand"
          + " with ctx.result(...) goes out as text/plain", answer.body()).startsWith("application/json");
      assertThat(workbook.kafka.Json.read(answer.body(), Gateway.Accepted.class)).as("TODO 1: the 202's body, read"
          + " as an Accepted").isEqualTo(new Gateway.Accepted("o-fake-1"));
      assertThat(orders.received).extracting(r -> r.getProductId() + " x" + r.getQuantity())
          .as("TODO 1: what the order service received over gRPC").containsExactly("espresso-cup x2");
    }

    @Test
    @DisplayName("the order service gets the form's quantity as it is, 0 and below too: it decides what is valid")
    void formQuantityUnchanged() throws Exception {
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders);
      List<Integer> quantities = List.of(0, -1, Integer.MIN_VALUE, 1, 7, Integer.MAX_VALUE);
      for (int q : quantities) post(gateway.url(), "beans-1kg", q);
      assertThat(orders.received).extracting(PlaceOrderRequest::getQuantity).as("TODO 1: the quantities the order"
          + " service received for forms of %s: each as the form sent it. A gateway that changes a quantity (0 to 1)"
          + " places an order nobody asked for, where the order service would answer INVALID_ARGUMENT, a 400",
          quantities).containsExactlyElementsOf(quantities);
    }

    @Test
    @DisplayName("the order service gets the form's product as it is, one it does not sell too: it decides what exists")
    void formProductUnchanged() throws Exception {
      FakeOrders orders = new FakeOrders(); // answers every call: here the order service sells everything
      Gateway gateway = gatewayTo(orders);
      // and ids of any length: one past the orders table's 40 characters, and one of 100,000 (a tenth of what the
      // gateway's HTTP server takes in a body): a length limit of the gateway's own, wherever it is set, answers for the
      // order service (which says NOT_FOUND), so the longest id is far past any limit a gateway would pick
      List<String> products = List.of("teapot", "beans-1kg", "", "Espresso-Cup", "espresso-cup ", "x".repeat(41),
          "beans-".repeat(100_000 / 6));
      java.util.function.Function<String, String> shown = p -> p.length() <= 40 ? "\"" + p + "\""
          : p.substring(0, 12) + "... (" + p.length() + " characters)";
      List<String> answers = new ArrayList<>();
      for (String p : products) answers.add(post(gateway.url(), p, 1).status() + "");
      assertThat(orders.received.stream().map(r -> shown.apply(r.getProductId())).toList()).as("TODO 1: the product ids"
          + " the order service received for forms of %s (answered %s): each as the form sent it, one call each, whatever"
          + " its length. The order service decides what it sells and answers NOT_FOUND for the rest; a gateway that checks"
          + " the catalog itself (or trims, or changes case, or refuses an id longer than a limit of its own, the orders"
          + " table's 40 characters or any other) answers for the order service without asking it",
          products.stream().map(shown).toList(), answers).containsExactlyElementsOf(products.stream().map(shown).toList());
      assertThat(orders.received).extracting(PlaceOrderRequest::getProductId).as("TODO 1: the product ids the order"
          + " service received, each as the form sent it (answered %s)", answers).containsExactlyElementsOf(products);
    }

    @Test
    @DisplayName("every call's deadline is the whole budget counted from that call, whatever the budget (under a second, over the demo's 2 s): never an earlier call's, never cut, never stretched")
    void deadlineCountsFromEachCall() throws Exception {
      // The budget the gateway is given, whatever it is: the one of the other deadline tests, one under a second, one
      // over the demo's DEADLINE (2 s), and the ends of the range: none at all, a millisecond and a day. A floor of its own
      // ("at least a second", "at least 100 ms"), a cap ("never more than DEADLINE", "never more than 10 s") or a zero read
      // as "no limit" shows on one side; the calls are seen on their way out, so nothing here waits on the budget (the
      // 0 and 1 ms calls fail at once).
      List<String> wrong = new ArrayList<>();
      for (Duration budget : List.of(Duration.ofMillis(1500), Duration.ofMillis(250), Duration.ofMillis(5000),
          Duration.ZERO, Duration.ofMillis(1), Duration.ofDays(1))) {
        FakeOrders orders = new FakeOrders();
        List<long[]> calls = new CopyOnWriteArrayList<>(); // {nanoTime at the call, its deadline as a nanoTime, or none}
        Gateway gateway = gatewayTo(orders, budget, new io.grpc.ClientInterceptor() {
          @Override public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method,
              io.grpc.CallOptions options, io.grpc.Channel next) {
            Deadline d = options.getDeadline();
            long left = d == null ? 0 : d.timeRemaining(TimeUnit.NANOSECONDS);
            long now = System.nanoTime(); // read after the deadline's own clock: now + left is never before it ends
            calls.add(d == null ? new long[] {now} : new long[] {now, now + left});
            return next.newCall(method, options);
          }
        });
        // nanoTime as the gateway began each POST, on its own thread, before placeOrder ran: any deadline set while
        // this request is served ends no earlier than that + budget, however slow the way from the browser was
        List<Long> began = onEachOrder(gateway);
        int posts = budget.toMillis() == 1500 ? 4 : 2;
        for (int i = 1; i <= posts; i++) {
          int before = calls.size();
          int beganBefore = began.size();
          Answer answer = post(gateway.url(), "espresso-cup", 1);
          String which = "budget " + budget.toMillis() + " ms, POST " + i + ": ";
          if (calls.size() != before + 1 || began.size() != beganBefore + 1) {
            wrong.add(which + (calls.size() - before) + " calls (answered " + answer.status() + ")");
            continue;
          }
          long[] call = calls.get(before);
          long start = began.get(beganBefore);
          if (call.length == 1) {
            wrong.add(which + "a call with no deadline");
          } else if (call[1] < start + budget.toNanos()) {
            wrong.add(which + "deadline " + (start + budget.toNanos() - call[1]) / 1_000 + " µs before the"
                + " budget counted from the moment the gateway began this request");
          } else if (call[1] > call[0] + budget.toNanos()) {
            wrong.add(which + "deadline " + (call[1] - call[0] - budget.toNanos()) / 1_000_000 + " ms after the"
                + " budget counted from the call");
          }
        }
      }
      // Exact, with no tolerance: a deadline made by withDeadlineAfter(budget) while this POST is served ends between
      // "the gateway began the request + budget" and "call + budget", whatever the machine's speed; a margin cut from
      // the budget shows as soon as the gateway takes less than the margin between those two moments (microseconds).
      assertThat(wrong).as("TODO 1: POSTs one after the other to gateways given budgets of 1500, 250, 5000 ms, none (0),"
          + " 1 ms and a day: each call's deadline must end the whole budget after a moment of that request"
          + " (withDeadlineAfter(budget) on each call), whatever the budget. One kept from an earlier call (renewed only"
          + " once it ran out), a budget cut by a margin of your own (even a millisecond kept back for the gateway's"
          + " answer) or capped (at the demo's DEADLINE, at 10 s: the gateway's owner chose the budget), ends before that;"
          + " one longer than the budget (a floor of your own, \"at least a second\", \"at least 100 ms\") ends"
          + " after, and a call with no deadline (a budget of 0 read as \"no limit\": the gateway's owner gave it none to"
          + " wait) never ends").isEmpty();
    }

    @Test
    @DisplayName("the call's deadline is the gateway's budget for one request, no more, no less")
    void callHasTheBudgetAsDeadline() throws Exception {
      Duration budget = Duration.ofMillis(1500); // not DEADLINE: the gateway was given this one
      FakeOrders orders = new FakeOrders();
      post(gatewayTo(orders, budget).url(), "espresso-cup", 1);

      assertThat(orders.received).as("TODO 1: calls that reached the order service").hasSize(1);
      assertThat(orders.deadlineLeft).as("TODO 1: the time the call had left when the order service got it."
          + " No deadline means a slow order service hangs the page: use withDeadlineAfter(budget)").isPresent();
      assertThat(orders.deadlineLeft.get()).as("TODO 1: milliseconds the call had left, but this gateway's budget is"
          + " %d ms: a deadline of your own (a number, or DEADLINE) instead of the budget the gateway was given,"
          + " or a unit mixed up?", budget.toMillis()).isLessThanOrEqualTo(budget.toMillis());
      assertThat(orders.deadlineLeft.get()).as("TODO 1: milliseconds the call had left, of a budget of %d ms",
          budget.toMillis()).isGreaterThan(budget.toMillis() / 3);
    }

    @Test
    @DisplayName("the deadline is the budget to the millisecond, not rounded to whole seconds")
    void deadlineToTheMillisecond() throws Exception {
      Duration budget = Duration.ofMillis(1990);
      FakeOrders orders = new FakeOrders();
      Answer answer = post(gatewayTo(orders, budget).url(), "espresso-cup", 1);

      assertThat(answer.status()).as("TODO 1: POST /api/orders with a budget of %d ms; body %s", budget.toMillis(),
          answer.body()).isEqualTo(202);
      assertThat(orders.deadlineLeft).as("TODO 1: the call's deadline: use withDeadlineAfter(budget)").isPresent();
      // Almost a second of room for the call to get there on a loaded machine; a budget cut to whole seconds
      // leaves less than 1000 ms, one rounded to them more than the budget.
      assertThat(orders.deadlineLeft.get()).as("TODO 1: milliseconds the call had left, of a budget of %d ms: the"
          + " deadline is the whole budget (withDeadlineAfter(budget), a Duration), not the budget in whole seconds"
          + " (toSeconds() drops the 990 ms, and a budget under a second becomes none at all)", budget.toMillis())
          .isLessThanOrEqualTo(budget.toMillis()).isGreaterThan(1000);
    }

    @Test
    @DisplayName("every call gets its own deadline: an order placed after the first budget ran out still goes through")
    void deadlinePerCall() throws Exception {
      // The test waits out this budget (the lesson: a deadline fixed once has run out by the next order), so it is
      // short: 1 s, still leaving a loaded machine room for each call.
      Duration budget = Duration.ofMillis(1000);
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders, budget);
      long built = System.nanoTime(); // after the constructor: a deadline fixed there ends before built + budget
      Answer first = post(gateway.url(), "espresso-cup", 1);
      assertThat(first.status()).as("TODO 1: the first order answered %d %s. If its deadline had passed before the call"
          + " started, it was fixed earlier than this request (on the stub, in the constructor): set it on each call",
          first.status(), first.body()).isEqualTo(202);
      Poll.until(() -> System.nanoTime() - built > budget.toNanos() + 300_000_000L, Duration.ofSeconds(5),
          () -> "the gateway's first budget to run out"); // waits, with a bound, for the instant a fixed deadline would have

      Answer second = post(gateway.url(), "beans-1kg", 1);
      assertThat(second.status()).as("TODO 1: an order placed %d ms after the gateway was built (budget %d ms) answered"
          + " %s; calls that reached the order service: %d. A deadline set once (withDeadlineAfter on the stub, in the"
          + " constructor) is one instant, which every later call has already passed: set it on each call",
          Duration.ofNanos(System.nanoTime() - built).toMillis(), budget.toMillis(), second.status() + " " + second.body(),
          orders.received.size()).isEqualTo(202);
      assertThat(orders.deadlineLeft).as("TODO 1: the second call's deadline: none at all? use withDeadlineAfter(budget)")
          .isPresent();
      assertThat(orders.deadlineLeft.get()).as("TODO 1: milliseconds the second call had left, of a budget of %d ms:"
          + " each call's deadline counts from that call", budget.toMillis()).isGreaterThan(budget.toMillis() / 3);
    }

    @Test
    @DisplayName("one POST is one PlaceOrder call, whatever the call ends with: the gateway never calls again on its own")
    void oneCallPerPost() throws Exception {
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders);
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : Status.Code.values()) {
        orders.failWith = code == Status.Code.OK ? null : code.toStatus().withDescription("the service says " + code);
        int before = orders.received.size();
        Answer answer = post(gateway.url(), "espresso-cup", 1);
        int calls = orders.received.size() - before;
        if (calls != 1) wrong.add(code + ": " + calls + " calls (answered " + answer.status() + ")");
      }
      assertThat(wrong).as("TODO 1: POSTs that did not become exactly one PlaceOrder call, by the code the call ended"
          + " with. A call made again gets a deadline of its own, so the browser waits longer than the budget (and"
          + " the order may be placed twice): call once, and let a StatusRuntimeException out of placeOrder").isEmpty();
    }

    @Test
    @DisplayName("two browsers ordering at once: both calls go out at once, neither waits for the other's")
    void ordersOverlap() throws Exception {
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders);
      // first: what the gateway holds for every browser, whatever its size. The browsers below (one more than the cores)
      // fit a Semaphore of two permits per core, or a pool of as many threads; the next browser waits for others' calls
      assertThat(queuesHeld(gateway)).as("TODO 1: what the gateway (one for every browser) holds, or the Gateway class"
          + " keeps, that makes a browser wait for other browsers' calls, or refuses one, past its last permit or thread,"
          + " however many it has (listed where it is kept: a bulkhead of threads, a Semaphore, a lock). Behind a slow"
          + " order service the browser past the last permit waits two budgets, not its own one: call the stub from"
          + " each request as it comes, with nothing around the call; the order service decides what it can take")
          .isEmpty();
      // Each call waits inside the order service until the other is inside too (5 s at most): calls that go out
      // as their requests come meet at once; a gateway that lets one through at a time never has two inside.
      orders.meet = new java.util.concurrent.CountDownLatch(2);
      var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 1), workbook.test.Background.OWN_THREAD);
      var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "beans-1kg", 2), workbook.test.Background.OWN_THREAD);
      List<String> answers = List.of(first.get(30, TimeUnit.SECONDS), second.get(30, TimeUnit.SECONDS));
      assertThat(answers).as("TODO 1: what two POSTs sent at the same time answered").allMatch(a -> a.startsWith("202"));
      assertThat(orders.met.get()).as("TODO 1: calls of two POSTs sent at the same time that were inside the order"
          + " service together (answers %s). A gateway that lets one order through at a time (a synchronized"
          + " placeOrder, a lock around the call) makes each browser wait for every other's call: behind a slow"
          + " order service the second browser waits two budgets, not its own one. The stub is safe to share: call"
          + " it from each request as it comes", answers).isEqualTo(2);
      assertThat(orders.received).extracting(r -> r.getProductId() + " x" + r.getQuantity())
          .as("TODO 1: what the order service received for two forms sent at the same time: each as its form said")
          .containsExactlyInAnyOrder("espresso-cup x1", "beans-1kg x2");
      // and two browsers ordering the same product at once: the order service decides what it has in stock, so the
      // gateway holds neither back (a lock per product makes the second wait for the first's call, two budgets)
      orders.received.clear();
      orders.met.set(0);
      orders.meet = new java.util.concurrent.CountDownLatch(2);
      var same = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 1), workbook.test.Background.OWN_THREAD);
      var sameAgain = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 2), workbook.test.Background.OWN_THREAD);
      List<String> sameAnswers = List.of(same.get(30, TimeUnit.SECONDS), sameAgain.get(30, TimeUnit.SECONDS));
      assertThat(orders.met.get()).as("TODO 1: calls of two POSTs for the same product (espresso-cup) sent at the same"
          + " time that were inside the order service together (answers %s). A gateway that lets one order of a product"
          + " through at a time (a lock per product, to keep the last one in stock from going twice) makes the second"
          + " browser wait for the first's call, two budgets behind a slow order service; the order service decides"
          + " what is in stock: call it from each request as it comes", sameAnswers).isEqualTo(2);
      assertThat(orders.received).extracting(r -> r.getProductId() + " x" + r.getQuantity())
          .as("TODO 1: what the order service received for two forms for the same product sent at the same time")
          .containsExactlyInAnyOrder("espresso-cup x1", "espresso-cup x2");
      // and two browsers sending the very same form at once (two customers, one cup each): two orders, two calls. A gateway
      // that joins a form equal to one still on its way to that call (a double-click guard) answers both with one order id
      orders.received.clear();
      orders.met.set(0);
      orders.meet = new java.util.concurrent.CountDownLatch(2);
      var twin = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 1), workbook.test.Background.OWN_THREAD);
      var twinAgain = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 1), workbook.test.Background.OWN_THREAD);
      List<String> twinAnswers = List.of(twin.get(30, TimeUnit.SECONDS), twinAgain.get(30, TimeUnit.SECONDS));
      assertThat(orders.met.get()).as("TODO 1: calls of two POSTs of the same form (1 x espresso-cup) sent at the same"
          + " time that were inside the order service together (answers %s). Two browsers are two customers: each POST is"
          + " one PlaceOrder call of its own. A gateway that joins a form equal to one still on its way to that call (a"
          + " double-click guard, a map of calls in flight) answers two customers with one order: one of them paid for a"
          + " cup nobody ordered. Telling a retry from a second order takes an idempotency key the browser sends, checked"
          + " by the order service", twinAnswers).isEqualTo(2);
      assertThat(orders.received).extracting(r -> r.getProductId() + " x" + r.getQuantity())
          .as("TODO 1: what the order service received for two POSTs of the same form sent at the same time (answers %s)",
              twinAnswers).containsExactly("espresso-cup x1", "espresso-cup x1");
      // Two requests can also meet between two lines of placeOrder, where no test can hold them: what one request leaves
      // in the gateway's fields (a request builder kept for the next order, a deadline, a form), another request at the
      // same time reads or writes over. So one more POST, another form, alone: every field must read as it did before.
      orders.meet = null;
      java.util.Map<String, String> before = fieldsOf(gateway, java.util.Set.of());
      String third = postQuietly(gateway, "hand-grinder", 3);
      assertThat(changes(before, fieldsOf(gateway, java.util.Set.of()))).as("TODO 1: the gateway's fields that a POST of 3 x"
          + " hand-grinder (answered %s) changed, as field: before -> after. Whatever one request keeps in a field of the"
          + " gateway (a PlaceOrderRequest.Builder reused for the next order, a deadline, a form), two browsers ordering"
          + " at once share: one sets its product, the other its own, and the first call goes out with the second's."
          + " Build each request in placeOrder, from its own form (PlaceOrderRequest.newBuilder()...build()), and keep"
          + " it in local variables", third).isEmpty();
      // And as many browsers as come, one more than the machine has cores (two on one core), each with a form of its own:
      // a gateway that lets one call per core through (a Semaphore, a pool of availableProcessors() threads) has two
      // inside at once on any machine of two cores or more, and makes the next browser wait for the others' calls.
      int browsers = Math.min(Runtime.getRuntime().availableProcessors() + 1, 32);
      orders.received.clear();
      orders.met.set(0);
      orders.meet = new java.util.concurrent.CountDownLatch(browsers);
      List<String> forms = new ArrayList<>();
      List<java.util.concurrent.CompletableFuture<String>> posts = new ArrayList<>();
      for (int i = 0; i < browsers; i++) {
        String product = List.of("espresso-cup", "beans-1kg", "hand-grinder").get(i % 3);
        int quantity = i + 1;
        forms.add(product + " x" + quantity);
        posts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, product, quantity),
            workbook.test.Background.OWN_THREAD));
      }
      List<String> manyAnswers = new ArrayList<>();
      for (var post : posts) manyAnswers.add(post.get(30, TimeUnit.SECONDS));
      assertThat(orders.met.get()).as("TODO 1: calls of %d POSTs sent at the same time (one more than this machine's"
          + " %d cores) that were inside the order service together (answers %s). A gateway that lets one call per core"
          + " through (a Semaphore or a thread pool of availableProcessors()) makes the next browser wait for others'"
          + " calls: behind a slow order service it waits two budgets, not its own one. Call the stub from each request"
          + " as it comes: the order service decides what it can take", browsers,
          Runtime.getRuntime().availableProcessors(), manyAnswers).isEqualTo(browsers);
      assertThat(orders.received).extracting(r -> r.getProductId() + " x" + r.getQuantity())
          .as("TODO 1: what the order service received for %d forms sent at the same time: each as its form said",
              browsers).containsExactlyInAnyOrderElementsOf(forms);
    }

    @Test
    @DisplayName("no browser is held back or refused by a count the gateway keeps, whatever its value, nor by a pool the JVM keeps")
    void noCountNorSharedPool() throws Exception {
      FakeOrders orders = new FakeOrders();
      Calls calls = new Calls();
      Gateway gateway = gatewayTo(orders, Duration.ofSeconds(15), calls);
      // A bulkhead needs no Semaphore: a count of calls in flight (an AtomicInteger) that refuses the browser past its
      // limit is one too, however high the limit (the test's browsers fit two per core). So every count the gateway keeps
      // is set to values a count reaches, none and a billion, and a POST must still become its call.
      // A count needs no Atomic either: an int behind synchronized, or the size of a set of the requests in flight, is one
      // too. Those are found by what a call does to them: while one call is inside, they read otherwise than before it.
      List<Counter> counts = new ArrayList<>(countsHeld(gateway));
      counts.addAll(countsInFlight(gateway, orders));
      List<String> wrong = new ArrayList<>();
      for (long value : new long[] {0, 1L << 30}) {
        List<Runnable> undo = new ArrayList<>();
        int before = orders.received.size();
        String answered;
        try {
          for (Counter c : counts) undo.add(c.setTo().apply(value));
          // a browser held back past a limit waits for ever: 5 s, where a call to this order service takes milliseconds
          Answer answer = post(gateway.url(), "espresso-cup", 1, Duration.ofSeconds(5));
          answered = answer.status() == 202 ? null : answer.status() + " " + answer.body();
        } catch (java.net.http.HttpTimeoutException heldBack) {
          answered = "no answer within 5 s (held back)";
        } finally {
          undo.forEach(Runnable::run);
        }
        if (answered != null || orders.received.size() != before + 1) {
          wrong.add("every count at " + value + ": answered " + (answered == null ? "202" : answered) + ", "
              + (orders.received.size() - before) + " call(s)");
        }
      }
      assertThat(wrong).as("TODO 1: POSTs refused with the gateway's counts (%s) set to values a count of calls reaches."
          + " A count of calls in flight (an AtomicInteger, an int behind synchronized, the size of a set of the requests"
          + " in flight) that refuses (or holds back) the browser past a limit is a bulkhead, whatever its limit: the gateway answers a customer the order service could have served. Call the stub from each"
          + " request as it comes; the order service decides what it can take",
          counts.stream().map(Counter::where).toList()).isEmpty();
      // Nor on a pool of a fixed size that the JVM keeps, which no field of the gateway shows: the common pool, of cores - 1
      // workers, which CompletableFuture's ...Async methods given no executor use (on a machine of one or two cores a new
      // thread per task instead, which cannot be told from a correct one's: so there the gateway's code is read)
      assertThat(calls.pools).as("TODO 1: where the gateway made its call: on a thread of %s. A call in gRPC's blocking"
          + " stub holds its thread until the answer comes, so past the pool's last worker the next browser waits for"
          + " others' calls, two budgets behind a slow order service. Call the stub in placeOrder, on the request's own"
          + " thread", calls.pools).isEmpty();
      assertThat(calls.onAsyncTask.get() ? defaultExecutorCalls() : List.of()).as("TODO 1: where the gateway hands its"
          + " call to CompletableFuture's default executor (an ...Async method given no executor): ForkJoinPool.commonPool()"
          + " and its cores - 1 workers (this machine has %d cores: %s), which a call waiting in gRPC's blocking stub"
          + " holds, so past its last worker the next browser waits for others' calls. Call the stub in placeOrder, on the"
          + " request's own thread", Runtime.getRuntime().availableProcessors(),
          java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() > 1 ? "the common pool is used"
              : "a thread per task here, the common pool on a machine of three cores or more").isEmpty();
    }

    /** For each of the gateway's calls: the JVM's pool of a fixed size whose thread made it, and whether it ran on a CompletableFuture task. */
    static final class Calls implements io.grpc.ClientInterceptor {
      final List<String> pools = new CopyOnWriteArrayList<>();
      final java.util.concurrent.atomic.AtomicBoolean onAsyncTask = new java.util.concurrent.atomic.AtomicBoolean();

      @Override public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method,
          io.grpc.CallOptions options, io.grpc.Channel next) {
        String pool = workbook.test.Pools.sharedPoolOf(Thread.currentThread()); // a blocking stub calls on the thread that waits
        if (pool != null) pools.add(pool);
        if (java.util.Arrays.stream(Thread.currentThread().getStackTrace())
            .anyMatch(f -> f.getClassName().startsWith("java.util.concurrent.CompletableFuture$Async"))) onAsyncTask.set(true);
        return next.newCall(method, options);
      }
    }

    /** Where the gateway's classes (gatewayClasses) call a CompletableFuture ...Async method given no executor. */
    List<String> defaultExecutorCalls() throws java.io.IOException {
      List<String> found = new ArrayList<>();
      for (Class<?> type : gatewayClasses()) {
        for (workbook.bytecode.ClassCode.Call c : workbook.bytecode.ClassCode.calls(type)) {
          if ((c.owner().equals("java/util/concurrent/CompletableFuture") || c.owner().equals("java/util/concurrent/CompletionStage"))
              && c.name().endsWith("Async") && !c.descriptor().contains("Ljava/util/concurrent/Executor;")) {
            found.add(type.getName() + "." + c.in() + " calls CompletableFuture." + c.name() + " with no executor");
          }
        }
      }
      return found.stream().distinct().toList();
    }

    /** A count the gateway keeps, where it is kept, and how to set it: setTo(value) sets it and returns what undoes that. */
    record Counter(String where, java.util.function.LongFunction<Runnable> setTo) {}

    /**
     * The counts of calls in flight that the gateway keeps in a field, not in an Atomic: an int or a long (not final), or
     * a collection or map held under an interface (counted by its size), of the gateway, of the lab's own objects it
     * holds, or static in the Gateway classes, whose reading while one call is inside the order service differs from
     * the one before it. A collection is set to a count by a stand-in that answers that size and does the rest as the
     * collection itself.
     */
    List<Counter> countsInFlight(Gateway gateway, FakeOrders orders) throws Exception {
      List<Object[]> spots = new ArrayList<>(); // {where, owner (null when static), field}
      java.util.ArrayDeque<Object[]> next = new java.util.ArrayDeque<>();
      next.add(new Object[] {gateway, "the gateway"});
      for (Class<?> type : gatewayClasses()) {
        for (java.lang.reflect.Field f : type.getDeclaredFields()) {
          if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) spots.add(new Object[] {type.getSimpleName() + "."
              + f.getName() + " (static)", null, f});
        }
      }
      java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      while (!next.isEmpty() && seen.size() < 10_000) {
        Object[] item = next.poll();
        Object held = item[0];
        if (held == null || held instanceof StockFeed || !seen.add(held) || !held.getClass().getPackageName().isEmpty()
            || held.getClass().getName().startsWith("ShopTest")) continue;
        for (Class<?> c = held.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          for (java.lang.reflect.Field f : c.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
            String where = item[1] + " -> " + c.getSimpleName() + "." + f.getName();
            spots.add(new Object[] {where, held, f});
            if (f.getType().isPrimitive()) continue;
            try {
              f.setAccessible(true);
              next.add(new Object[] {f.get(held), where});
            } catch (ReflectiveOperationException | RuntimeException e) {
              // a field that cannot be opened: not one of the lab's own
            }
          }
        }
      }
      spots.removeIf(spot -> {
        java.lang.reflect.Field f = (java.lang.reflect.Field) spot[2];
        boolean count = (f.getType() == int.class || f.getType() == long.class) && !java.lang.reflect.Modifier.isFinal(f.getModifiers())
            || f.getType().isInterface() && (java.util.Collection.class.isAssignableFrom(f.getType())
                || Map.class.isAssignableFrom(f.getType()));
        if (!count) return true;
        try {
          f.setAccessible(true);
          return false;
        } catch (RuntimeException e) {
          return true;
        }
      });
      java.util.function.Function<Object[], Object> read = spot -> {
        try {
          Object value = ((java.lang.reflect.Field) spot[2]).get(spot[1]);
          return value instanceof java.util.Collection<?> items ? (Object) items.size()
              : value instanceof Map<?, ?> map ? (Object) map.size() : value;
        } catch (ReflectiveOperationException | RuntimeException e) {
          return null;
        }
      };
      List<Object> before = spots.stream().map(read).toList();
      // one call held inside the order service (until the test lets it go, 5 s at most), and the fields read then
      java.util.concurrent.CountDownLatch meet = new java.util.concurrent.CountDownLatch(2);
      orders.meet = meet;
      int calls = orders.received.size();
      var held = java.util.concurrent.CompletableFuture.supplyAsync(() -> postQuietly(gateway, "espresso-cup", 1),
          workbook.test.Background.OWN_THREAD);
      List<Object> during;
      try {
        Poll.until(() -> orders.received.size() > calls || held.isDone(), Duration.ofSeconds(10),
            () -> "TODO 1: a POST to reach the order service");
        during = spots.stream().map(read).toList();
      } finally {
        meet.countDown();
      }
      held.get(30, TimeUnit.SECONDS);
      orders.meet = null;
      List<Counter> counts = new ArrayList<>();
      for (int i = 0; i < spots.size(); i++) {
        if (java.util.Objects.equals(before.get(i), during.get(i))) continue;
        String where = (String) spots.get(i)[0];
        Object owner = spots.get(i)[1];
        java.lang.reflect.Field f = (java.lang.reflect.Field) spots.get(i)[2];
        counts.add(new Counter(where, value -> {
          try {
            Object old = f.get(owner);
            Object now = f.getType() == int.class ? (Object) (int) value : f.getType() == long.class ? (Object) value
                : Proxy.newProxyInstance(f.getType().getClassLoader() == null ? ShopTest.class.getClassLoader()
                    : f.getType().getClassLoader(), new Class<?>[] {f.getType()}, (proxy, method, args) -> {
                      if (method.getName().equals("size") && method.getParameterCount() == 0) return (int) Math.min(value, Integer.MAX_VALUE);
                      if (method.getName().equals("isEmpty") && method.getParameterCount() == 0) return value == 0;
                      try {
                        return method.invoke(old, args);
                      } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                      }
                    });
            f.set(owner, now);
            return () -> {
              try {
                f.set(owner, old);
              } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
              }
            };
          } catch (IllegalAccessException e) {
            return () -> {}; // a field that cannot be set (a static final): left as it is
          }
        }));
      }
      return counts;
    }

    /**
     * Every count the gateway keeps: an AtomicInteger, AtomicLong or LongAdder that it holds, or that a static field of
     * the Gateway classes holds, followed through the lab's own objects, arrays, collections and maps (as queuesHeld
     * does), the StockFeed and the rest of the world left out.
     */
    List<Counter> countsHeld(Gateway gateway) throws java.io.IOException {
      java.util.ArrayDeque<Object[]> next = new java.util.ArrayDeque<>();
      next.add(new Object[] {gateway, "the gateway"});
      for (Class<?> type : gatewayClasses()) {
        for (java.lang.reflect.Field f : type.getDeclaredFields()) {
          if (!java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
          try {
            f.setAccessible(true);
            next.add(new Object[] {f.get(null), type.getSimpleName() + "." + f.getName() + " (static)"});
          } catch (ReflectiveOperationException | RuntimeException e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
      java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      List<Counter> counts = new ArrayList<>();
      while (!next.isEmpty() && seen.size() < 10_000) {
        Object[] item = next.poll();
        Object held = item[0];
        String where = (String) item[1];
        if (held == null || held instanceof StockFeed || !seen.add(held)) continue;
        if (held instanceof java.util.concurrent.atomic.AtomicInteger n) {
          counts.add(new Counter(where, v -> { int old = n.get(); n.set((int) v); return () -> n.set(old); }));
        } else if (held instanceof java.util.concurrent.atomic.AtomicLong n) {
          counts.add(new Counter(where, v -> { long old = n.get(); n.set(v); return () -> n.set(old); }));
        } else if (held instanceof java.util.concurrent.atomic.LongAdder n) {
          counts.add(new Counter(where, v -> {
            long old = n.sum();
            n.reset();
            n.add(v);
            return () -> { n.reset(); n.add(old); };
          }));
        } else if (held instanceof Object[] array) {
          for (Object o : java.util.Arrays.asList(array).subList(0, Math.min(array.length, 1_000))) next.add(new Object[] {o, where + "[]"});
        } else if (held instanceof Map<?, ?> map) {
          for (Map.Entry<?, ?> e : List.copyOf(map.entrySet()).subList(0, Math.min(map.size(), 1_000))) {
            next.add(new Object[] {e.getKey(), where + "{}"});
            next.add(new Object[] {e.getValue(), where + "{}"});
          }
        } else if (held instanceof java.util.Collection<?> collection) {
          for (Object o : List.copyOf(collection).subList(0, Math.min(collection.size(), 1_000))) next.add(new Object[] {o, where + "[]"});
        } else if (held.getClass().getPackageName().isEmpty() && !held.getClass().getName().startsWith("ShopTest")) {
          for (Class<?> c = held.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
              if (f.getType().isPrimitive() || java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
              try {
                f.setAccessible(true);
                next.add(new Object[] {f.get(held), where + " -> " + c.getSimpleName() + "." + f.getName()});
              } catch (ReflectiveOperationException | RuntimeException e) {
                // a field that cannot be opened: not one of the lab's own
              }
            }
          }
        }
      }
      return counts;
    }

    /**
     * Gateway (nested classes too), and every class of the lab's own that its code names, followed through the classes
     * those name in turn: a helper class of the learner's next to it (a Bulkhead) is theirs too. The lab's given classes
     * (the page, the catalog, the stock feed, the services behind the gateway) and the test's own are left out.
     */
    List<Class<?>> gatewayClasses() throws java.io.IOException {
      Map<String, Class<?>> lab = new java.util.LinkedHashMap<>();
      for (Class<?> type : workbook.test.LabClasses.beside(ShopTest.class, true)) lab.put(type.getName(), type);
      java.util.Set<String> given = java.util.Set.of("ShopTest", "Shop", "Page", "Catalog", "StockFeed", "OrderService",
          "OutboxRelay", "IdempotentConsumer", "Inventory", "Notification", "Analytics");
      List<Class<?>> found = new ArrayList<>();
      java.util.ArrayDeque<String> next = new java.util.ArrayDeque<>();
      lab.keySet().stream().filter(name -> name.equals("Gateway") || name.startsWith("Gateway$")).forEach(next::add);
      java.util.Set<String> seen = new java.util.HashSet<>();
      while (!next.isEmpty()) {
        String name = next.poll();
        if (!seen.add(name) || !lab.containsKey(name) || given.contains(name.split("\\$")[0])) continue;
        found.add(lab.get(name));
        next.addAll(workbook.bytecode.ClassCode.classesNamed(lab.get(name))); // its constant pool's classes
      }
      return found;
    }

    /**
     * What makes a browser wait for other browsers' calls, or refuses it past a number of them, among what {@code gateway}
     * holds and what the static fields of Gateway and of the classes of the lab's own its code uses hold, followed through the lab's own objects
     * (lambdas too), arrays, collections and maps, but not into the StockFeed (the pages' streams, given; its heartbeat is
     * one thread by design): a lock, a semaphore (however many permits), a barrier, a queue a caller waits on, or a pool
     * of a fixed number of threads. Each with where it is kept.
     */
    List<String> queuesHeld(Gateway gateway) throws java.io.IOException {
      java.util.ArrayDeque<Object[]> next = new java.util.ArrayDeque<>();
      next.add(new Object[] {gateway, "the gateway"});
      for (Class<?> type : gatewayClasses()) {
        for (java.lang.reflect.Field f : type.getDeclaredFields()) {
          if (!java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
          try {
            f.setAccessible(true);
            next.add(new Object[] {f.get(null), type.getSimpleName() + "." + f.getName() + " (static)"});
          } catch (ReflectiveOperationException | RuntimeException e) {
            // a field that cannot be opened: not one of the lab's own
          }
        }
      }
      java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      List<String> queues = new ArrayList<>();
      while (!next.isEmpty() && seen.size() < 10_000) {
        Object[] item = next.poll();
        Object held = item[0];
        String where = (String) item[1];
        if (held == null || held instanceof StockFeed || !seen.add(held)) continue;
        String what = held instanceof java.util.concurrent.Semaphore ? "a Semaphore"
            : held instanceof java.util.concurrent.locks.Lock || held instanceof java.util.concurrent.locks.ReadWriteLock
                || held instanceof java.util.concurrent.locks.StampedLock ? "a lock (" + held.getClass().getSimpleName() + ")"
            : held instanceof java.util.concurrent.locks.AbstractQueuedSynchronizer ? "a synchronizer of your own"
            : held instanceof java.util.concurrent.BlockingQueue<?> ? "a " + held.getClass().getSimpleName() + " (a queue callers wait on)"
            : held instanceof java.util.concurrent.Phaser || held instanceof java.util.concurrent.CyclicBarrier
                ? "a barrier (" + held.getClass().getSimpleName() + ")"
            : held instanceof java.util.concurrent.ThreadPoolExecutor pool && !(pool.getMaximumPoolSize() == Integer.MAX_VALUE
                && pool.getQueue() instanceof java.util.concurrent.SynchronousQueue)
                ? "a pool of " + pool.getMaximumPoolSize() + " thread(s) at most (" + pool.getQueue().getClass().getSimpleName() + ")"
            : held instanceof java.util.concurrent.ForkJoinPool pool ? "a ForkJoinPool of " + pool.getParallelism() + " workers"
            : held.getClass().getName().startsWith("java.util.concurrent.Executors$")
                && held instanceof java.util.concurrent.ExecutorService ? "a pool Executors wraps (one thread, or a fixed number)"
            : null;
        if (what != null) {
          queues.add(where + ": " + what);
          continue;
        }
        try {
          if (held instanceof Object[] array) {
            for (Object o : java.util.Arrays.asList(array).subList(0, Math.min(array.length, 1_000))) next.add(new Object[] {o, where + "[]"});
            continue;
          }
          if (held instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : List.copyOf(map.entrySet()).subList(0, Math.min(map.size(), 1_000))) {
              next.add(new Object[] {e.getKey(), where + "{}"});
              next.add(new Object[] {e.getValue(), where + "{}"});
            }
            continue;
          }
          if (held instanceof java.util.Collection<?> collection) {
            for (Object o : List.copyOf(collection).subList(0, Math.min(collection.size(), 1_000))) next.add(new Object[] {o, where + "[]"});
            continue;
          }
        } catch (RuntimeException e) {
          continue; // a container that cannot be read: nothing of the lab's own in it
        }
        // Only the lab's own classes (and the lambdas they make) are opened; the test's own are not the lab's.
        if (!held.getClass().getPackageName().isEmpty() || held.getClass().getName().startsWith("ShopTest")) continue;
        for (Class<?> c = held.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          for (java.lang.reflect.Field f : c.getDeclaredFields()) {
            if (f.getType().isPrimitive() || java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
            try {
              f.setAccessible(true);
              next.add(new Object[] {f.get(held), where + " -> " + c.getSimpleName() + "." + f.getName()});
            } catch (ReflectiveOperationException | RuntimeException e) {
              // a field that cannot be opened: not one of the lab's own
            }
          }
        }
      }
      return queues;
    }

    @Test
    @DisplayName("a slow order service costs the browser the budget, not the whole wait, and the failure reaches the handler")
    void slowServiceIsCutOff() throws Exception {
      // The wait here IS the lesson: the browser waits the whole budget, then the deadline cuts the call off. So the
      // budget is short, 500 ms, against an order service that takes 6 s (far beyond the budget and the room below).
      Duration budget = Duration.ofMillis(500);
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders, budget);
      orders.delay = Duration.ofSeconds(6);
      Answer answer = post(gateway.url(), "espresso-cup", 1);

      assertThat(orders.received).as("TODO 1: calls that reached the order service").hasSize(1);
      assertThat(answer.took().toMillis()).as("TODO 1: milliseconds the browser waited for an order service that takes"
          + " 6 s; a deadline of %d ms (the gateway's budget) should have ended the call", budget.toMillis())
          .isLessThan(budget.toMillis() + 3000); // far below the 6 s, with room for a loaded machine
      boolean handled = answer.status() == 504 || answer.status() == 501 && answer.body().contains("TODO 2");
      assertThat(handled).as("TODO 1: a call cut off by its deadline answered %d %s. The blocking stub throws"
          + " StatusRuntimeException: let it out of placeOrder, and the gateway's exception handler (failed) answers"
          + " (a 504 with the service's status as JSON, once step 2 maps the code; until then 501 naming TODO 2)",
          answer.status(), answer.body()).isTrue();
    }

    @Test
    @DisplayName("an order service that is down: the one call fails at once, UNAVAILABLE, instead of waiting out the budget for it to come back")
    void downFailsAtOnce() throws Exception {
      FakeOrders orders = new FakeOrders();
      List<Status.Code> ended = new CopyOnWriteArrayList<>();
      io.grpc.ClientInterceptor noting = new io.grpc.ClientInterceptor() {
        @Override
        public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method,
            io.grpc.CallOptions options, io.grpc.Channel next) {
          return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override public void start(Listener<A> listener, io.grpc.Metadata headers) {
              super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                @Override public void onClose(Status status, io.grpc.Metadata trailers) {
                  ended.add(status.getCode());
                  super.onClose(status, trailers);
                }
              }, headers);
            }
          };
        }
      };
      // A budget far longer than a refused connection takes, even on a busy machine.
      Gateway gateway = gatewayTo(orders, Duration.ofSeconds(10), noting);
      orders.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

      Answer answer = post(gateway.url(), "espresso-cup", 1);
      assertThat(ended).as("TODO 1: how the gateway's calls to the order service ended while the service was down (the"
          + " POST was answered %d): one call, UNAVAILABLE at once, as gRPC fails a call whose server cannot be"
          + " reached. A call that waits for the service to be ready (withWaitForReady) holds the browser for the whole"
          + " budget and ends DEADLINE_EXCEEDED: a 504 that blames a slow service for one that is down, where a 503 says"
          + " 'try again'", answer.status()).containsExactly(Status.Code.UNAVAILABLE);
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: a gRPC status becomes the right HTTP status")
  class Step2 {
    @Test
    @DisplayName("the request's faults are 4xx: INVALID_ARGUMENT is 400, NOT_FOUND is 404")
    void clientErrors() {
      assertThat(httpStatus(Status.Code.INVALID_ARGUMENT)).as("TODO 2: INVALID_ARGUMENT (e.g. quantity 0): the browser must"
          + " change its request").isEqualTo(400);
      assertThat(httpStatus(Status.Code.NOT_FOUND)).as("TODO 2: NOT_FOUND (no such product)").isEqualTo(404);
    }

    @Test
    @DisplayName("DEADLINE_EXCEEDED is 504 Gateway Timeout, UNAVAILABLE is 503")
    void serverErrors() {
      assertThat(httpStatus(Status.Code.DEADLINE_EXCEEDED)).as("TODO 2: DEADLINE_EXCEEDED: the service behind the gateway"
          + " was too slow, a 504 Gateway Timeout (408 Request Timeout would say the browser was slow to send)").isEqualTo(504);
      assertThat(httpStatus(Status.Code.UNAVAILABLE)).as("TODO 2: UNAVAILABLE: 503 tells the browser to try again later")
          .isEqualTo(503);
      assertThat(httpStatus(Status.Code.INTERNAL)).as("TODO 2: INTERNAL, a failure inside the service: a 5xx")
          .isBetween(500, 599);
    }

    @Test
    @DisplayName("every other code is a 5xx, or the 4xx google/rpc/code.proto gives it; never a 2xx or another 4xx, and 503 or 504 only for a code that says try again")
    void everyCode() {
      // google/rpc/code.proto's HTTP mapping, for the codes the README leaves to "a 5xx for any other code"
      Map<Status.Code, Integer> codeProto = Map.of(Status.Code.CANCELLED, 499, Status.Code.ALREADY_EXISTS, 409,
          Status.Code.PERMISSION_DENIED, 403, Status.Code.UNAUTHENTICATED, 401, Status.Code.RESOURCE_EXHAUSTED, 429,
          Status.Code.FAILED_PRECONDITION, 400, Status.Code.ABORTED, 409, Status.Code.OUT_OF_RANGE, 400);
      Map<Status.Code, Integer> named = Map.of(Status.Code.INVALID_ARGUMENT, 400, Status.Code.NOT_FOUND, 404,
          Status.Code.DEADLINE_EXCEEDED, 504, Status.Code.UNAVAILABLE, 503);
      // 503 says "temporary: the same request may work later" (RFC 9110 15.6.4), and a browser may send its order again;
      // 504 says the server behind was too slow (15.6.5). Only codes that mean "try again" may take 503 besides UNAVAILABLE.
      java.util.Set<Status.Code> tryAgain = java.util.Set.of(Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED, Status.Code.CANCELLED);
      // The 5xx a failure behind the gateway may take: 500 (RFC 9110 15.6.1), 501 (15.6.2) and 502 (15.6.3: a gateway's
      // upstream failed). The others name a situation of their own that no gRPC code is: 505 the HTTP version, 506 a
      // negotiation loop (RFC 2295), 507 the server's storage (RFC 4918), 508 a loop (RFC 5842), 510 an extension (RFC
      // 2774), 511 a captive portal's login between the browser and the network (RFC 6585 6), or none at all.
      // 501 says the server does not support what the request asks, for any resource (RFC 9110 15.6.2), and caches may
      // keep it by default (15.1): google/rpc/code.proto gives it to UNIMPLEMENTED alone, never to INTERNAL or UNKNOWN.
      java.util.Set<Integer> behindTheGateway = java.util.Set.of(500, 502);
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : Status.Code.values()) {
        if (code == Status.Code.OK) continue; // a call that failed never ends OK
        int http = httpStatus(code);
        boolean right = named.containsKey(code) ? http == named.get(code)
            : behindTheGateway.contains(http) || http == 501 && code == Status.Code.UNIMPLEMENTED
                || http == 503 && tryAgain.contains(code)
                || Integer.valueOf(http).equals(codeProto.get(code));
        if (!right) wrong.add(code + " -> " + http);
      }
      assertThat(wrong).as("TODO 2: gRPC codes answered with the wrong HTTP status. The README names four; any other"
          + " is a failure behind the gateway, a 5xx, or else the status google/rpc/code.proto gives it (e.g."
          + " FAILED_PRECONDITION 400, not 412, which is HTTP's own If-Match; RESOURCE_EXHAUSTED 429): a 4xx tells"
          + " the browser its request was wrong, and it will not try again. But not 503 or 504 for a code that is"
          + " neither UNAVAILABLE nor DEADLINE_EXCEEDED: 503 says the failure is temporary and the same request may"
          + " be sent again (RFC 9110 15.6.4), which for INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED is not so, and"
          + " the browser places its order a second time; 504 says the service was too slow (500 or 501, as"
          + " google/rpc/code.proto gives them). And a 5xx whose meaning fits a failure behind the gateway (500, 502; 501"
          + " for UNIMPLEMENTED alone: 501 Not Implemented says the server cannot do this request at all, for any"
          + " resource, RFC 9110 15.6.2, and a cache may keep it), never one that names another situation: 505 the HTTP version, 506 a negotiation, 507 storage, 508 a loop,"
          + " 510 an extension, 511 a captive portal's network login (RFC 6585 6, never this request's credentials:"
          + " UNAUTHENTICATED is 401)").isEmpty();
    }

    @Test
    @DisplayName("through the gateway: every failed call reaches the handler, its status mapped and its JSON body the page reads")
    void everyFailureThroughTheGateway() throws Exception {
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders);
      List<String> wrong = new ArrayList<>();
      for (Status.Code code : Status.Code.values()) {
        if (code == Status.Code.OK) continue;
        orders.failWith = code.toStatus().withDescription("the service says " + code);
        Answer answer = post(gateway.url(), "espresso-cup", 1);
        int expected = httpStatus(code);
        boolean json = answer.contentType().startsWith("application/json")
            && answer.body().contains("\"status\":\"" + code + "\"")
            && answer.body().contains("\"message\":\"the service says " + code + "\"");
        if (answer.status() != expected || !json) {
          wrong.add(code + ": " + answer.status() + " " + answer.contentType() + " " + answer.body());
        }
      }
      assertThat(wrong).as("TODO 2: failed calls the gateway answered otherwise than its handler (failed) does: the"
          + " status httpStatus gives the code, and a Problem as JSON with the code and the service's message. Let"
          + " every StatusRuntimeException out of placeOrder; one answered by hand is plain text the page cannot read")
          .isEmpty();
      // The handler is the one place a failure is answered: it also writes the gateway's log line for it
      List<String> logged = workbook.story.Story.entries().stream().map(workbook.story.Story.Entry::line)
          .filter(line -> line != null && line.contains("the order service answered ")).toList();
      List<Status.Code> notLogged = java.util.Arrays.stream(Status.Code.values()).filter(code -> code != Status.Code.OK
          && logged.stream().noneMatch(line -> line.contains("answered " + code + ": the service says " + code))).toList();
      assertThat(notLogged).as("TODO 2: codes of failed calls the gateway's handler (failed) never saw: it logs each"
          + " one it answers (\"gateway the order service answered CODE: ...\"), and it saw %d of %d. A"
          + " StatusRuntimeException caught in placeOrder and answered there, even with the same status and body, is"
          + " a second place that answers failures, which the log (and every later change to the handler) misses:"
          + " let it out of placeOrder", Status.Code.values().length - 1 - notLogged.size(), Status.Code.values().length - 1)
          .isEmpty();
    }

    @Test
    @DisplayName("through the gateway: an unknown product is a 404 carrying the service's message")
    void notFoundEndToEnd() throws Exception {
      FakeOrders orders = new FakeOrders();
      orders.failWith = Status.NOT_FOUND.withDescription("no product 'teapot'");
      Answer answer = post(gatewayTo(orders).url(), "teapot", 1);

      assertThat(answer.status()).as("TODO 2: POST /api/orders for an unknown product; body %s", answer.body()).isEqualTo(404);
      assertThat(answer.contentType()).as("TODO 2: the Content-Type of the 404 (body %s). The page reads errors as JSON:"
          + " let the StatusRuntimeException reach the gateway's handler (failed), which answers a Problem as JSON",
          answer.body()).startsWith("application/json");
      assertThat(answer.body()).as("TODO 2: the body tells the page what failed and why, as JSON")
          .contains("\"status\":\"NOT_FOUND\"", "\"message\":\"no product 'teapot'\"");
    }

    @Test
    @DisplayName("through the gateway: an order service that is down is a 503")
    void downEndToEnd() throws Exception {
      FakeOrders orders = new FakeOrders();
      Gateway gateway = gatewayTo(orders);
      orders.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

      Answer answer = post(gateway.url(), "espresso-cup", 1);
      assertThat(answer.status()).as("TODO 2: POST /api/orders while the order service is down; body %s", answer.body())
          .isEqualTo(503);
      assertThat(answer.contentType()).as("TODO 2: the Content-Type of the 503 (body %s): errors are JSON too",
          answer.body()).startsWith("application/json");
    }

    private int httpStatus(Status.Code code) {
      try {
        return Gateway.httpStatus(code);
      } catch (UnsupportedOperationException todo) {
        return fail(todo.getMessage());
      }
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: the order and its event in one transaction (the outbox)")
  class Step3 {
    Db db = later(Db.fresh("orders").execute(OrderService.SCHEMA));
    // A database that commits a transaction left open at close (as Oracle's driver does): only a rollback undoes it.
    OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(
        channel(serve(new OrderService(new CommitsOnClose(db.dataSource()), "orders-topic")).getPort()));

    @Test
    @org.junit.jupiter.api.Order(1) // no server, no broker: milliseconds
    @DisplayName("every store gives its connection back closed, its transaction ended by commit() or rollback(), whether"
        + " the order was stored or a part of it failed")
    void connectionComesBackClosed() throws Exception {
      // each way a store can end, on a database that lends its connections as a pool does and sees how they come back
      Map<String, java.util.function.UnaryOperator<DataSource>> ends = new java.util.LinkedHashMap<>();
      ends.put("stored", real -> real);
      ends.put("the order insert failed (an SQLException)",
          real -> armed(new StatementFails(real, "INSERT INTO orders", "the order insert", false)));
      ends.put("the outbox insert failed (an SQLException)",
          real -> armed(new StatementFails(real, "INSERT INTO outbox", "the outbox insert", false)));
      ends.put("the outbox insert failed (a RuntimeException)",
          real -> armed(new StatementFails(real, "INSERT INTO outbox", "the outbox insert", true)));
      ends.put("the commit failed", CommitFails::every);
      List<String> wrong = new ArrayList<>();
      int n = 0;
      for (Map.Entry<String, java.util.function.UnaryOperator<DataSource>> end : ends.entrySet()) {
        Lender lender = new Lender(end.getValue().apply(db.dataSource()));
        String orderId = "o-lent-" + ++n;
        Throwable failure = catchThrowable(() -> new OrderService(lender, "orders-topic").store(orderId,
            PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build()));
        if (failure instanceof UnsupportedOperationException todo) throw todo;
        lender.problems().forEach(problem -> wrong.add(end.getKey() + ": " + problem));
      }
      assertThat(wrong).as("TODO 3: how store gave back its connection, by the way the call ended. Each call takes its"
          + " own connection and closes it on every path, the failed ones too (try (Connection c = db.getConnection())):"
          + " one never closed is one a pool never gets back, and after as many failed orders as it holds no order gets"
          + " a connection. A failed transaction ends with c.rollback(), whatever was thrown (SQLException or"
          + " RuntimeException): a rollback to a savepoint undoes the inserts but leaves the transaction open, and so"
          + " does a setAutoCommit(true) that fails (it commits, and a commit may fail), and a pool hands it to its next"
          + " user as it is").isEmpty();
    }

    @Test
    @DisplayName("PlaceOrder stores the order and a pending order.confirmed outbox row keyed by the order id")
    void storesBoth() throws Exception {
      PlaceOrderReply reply = place("espresso-cup", 2);

      assertThat(rows("SELECT id || ' ' || product_id || ' x' || quantity FROM orders")).as("TODO 3: rows in orders")
          .containsExactly(reply.getOrderId() + " espresso-cup x2");
      assertThat(rows("SELECT topic || ' ' || message_key FROM outbox WHERE sent_at IS NULL"))
          .as("TODO 3: pending outbox rows (topic and key: the order id, so one order's events stay in order)")
          .containsExactly("orders-topic " + reply.getOrderId());
      assertThat(rows("SELECT payload FROM outbox")).singleElement().as("TODO 3: the outbox row's payload")
          .asString().contains("\"eventType\":\"order.confirmed\"", "\"orderId\":\"" + reply.getOrderId() + "\"",
              "\"productId\":\"espresso-cup\"", "\"quantity\":2", "\"eventId\":\"");
      PlaceOrderReply second = place("espresso-cup", 2);
      List<OrderService.OrderConfirmed> events = rows("SELECT payload FROM outbox ORDER BY id").stream()
          .map(OrderService.OrderConfirmed::fromJson).toList();
      List<String> orderIds = List.of(reply.getOrderId(), second.getOrderId());
      assertThat(events).extracting(OrderService.OrderConfirmed::eventId).as("TODO 3: the eventIds of the outbox rows"
          + " of orders %s: each event's own new id (OrderConfirmed.of makes one), never the order's id. A consumer"
          + " remembers event ids to skip a second copy of one event; an order's id as the event's makes every later"
          + " event of that order look like a copy", orderIds)
          .doesNotContainNull().doesNotHaveDuplicates().doesNotContainAnyElementsOf(orderIds).noneMatch(String::isBlank);
      // Events of one order: the order o-twice stored again and again (as order services on databases of their own would:
      // this orders table keeps no key), until two stores in a row fell within one millisecond of the clock. Each event's
      // id is its own, made for it; one computed from the order (a name-based UUID of its id, a hash), or from the order
      // and the time (its millisecond), is the same for two events of that order.
      Db own = later(Db.fresh("orders").execute(OrderService.SCHEMA).execute("ALTER TABLE orders DROP PRIMARY KEY"));
      OrderService storing = new OrderService(own.dataSource(), "orders-topic");
      PlaceOrderRequest oneCup = PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build();
      int stored = 0;
      boolean oneMillisecond = false;
      while (stored < 2 || !oneMillisecond && stored < 400) {
        long before = System.currentTimeMillis();
        storing.store("o-twice", oneCup);
        storing.store("o-twice", oneCup);
        oneMillisecond = oneMillisecond || System.currentTimeMillis() == before;
        stored += 2;
      }
      List<String> twice = new ArrayList<>();
      try (Connection c = own.dataSource().getConnection();
          ResultSet r = c.createStatement().executeQuery("SELECT payload FROM outbox")) {
        while (r.next()) twice.add(OrderService.OrderConfirmed.fromJson(r.getString(1)).eventId());
      }
      assertThat(twice).as("TODO 3: the eventIds of %d events of one order, o-twice (stored %d times, %s): %d ids, each"
          + " the event's own, made fresh (OrderConfirmed.of makes one). An id computed from the order (a name-based UUID"
          + " of its id, a hash of it) is the order's id in another spelling: every event of that order has it; one made"
          + " of the order and the time is the same for two events of it made in one tick of the clock (a millisecond)."
          + " A consumer that remembers event ids skips the later ones as copies", stored, stored,
          oneMillisecond ? "two of them within one millisecond" : "none two within one millisecond", stored)
          .hasSize(stored).doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("when the outbox row cannot be written, the order is not stored either, and the caller hears UNAVAILABLE")
    void outboxFailureRollsBack() throws Exception {
      db.execute("ALTER TABLE outbox ADD CONSTRAINT test_refuses_grinders CHECK (payload NOT LIKE '%hand-grinder%')");
      Throwable failure = catchThrowable(() -> place("hand-grinder", 1));

      assertThat(Status.fromThrowable(failure).getCode()).as("TODO 3: the status of PlaceOrder when its outbox row"
          + " cannot be written (%s)", Status.fromThrowable(failure)).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(rows("SELECT product_id FROM orders")).as("TODO 3: orders stored. An order whose event cannot be written"
          + " would never reach inventory or notification: it must roll back with the outbox row (one transaction,"
          + " committed after both inserts, and rolled back with c.rollback() when one fails: this database, as"
          + " Oracle's, commits what a closed connection left open)").isEmpty();
    }

    @Test
    @DisplayName("when the outbox insert fails with an unchecked exception (a driver's bug), the order is not stored either")
    void uncheckedFailureRollsBack() throws Exception {
      // A driver that throws a RuntimeException, not an SQLException, on the outbox insert; closing commits, as Oracle's
      OrdersGrpc.OrdersBlockingStub failing = OrdersGrpc.newBlockingStub(channel(serve(new OrderService(
          armed(new StatementFails(new CommitsOnClose(db.dataSource()), "INSERT INTO outbox",
          "the outbox insert (a driver's bug)", true)), "orders-topic")).getPort()));
      Throwable failure = catchThrowable(() -> failing.withDeadlineAfter(Duration.ofSeconds(20))
          .placeOrder(PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build()));

      assertThat(Status.fromThrowable(failure).getCode()).as("TODO 3: the status of PlaceOrder when its outbox insert"
          + " threw a RuntimeException (%s): a failure, not an order taken, and not UNAVAILABLE either, which tells the"
          + " caller to try again later: a driver's bug is no outage. Roll back and let the exception out as it is"
          + " (wrapped in an SQLException, placeOrder takes it for the database's outage)", Status.fromThrowable(failure))
          .isNotIn(Status.Code.OK, Status.Code.UNIMPLEMENTED, Status.Code.UNAVAILABLE);
      assertThat(rows("SELECT product_id FROM orders")).as("TODO 3: orders stored although the outbox insert failed with"
          + " a RuntimeException: roll back on any failure, SQLException or RuntimeException (catch both), not only"
          + " on an SQLException; this database, as Oracle's, commits what a closed connection left open").isEmpty();
    }

    @Test
    @DisplayName("when an Error is thrown between the inserts (a driver's class that cannot load), the order is not stored"
        + " either")
    void errorBetweenTheInsertsRollsBack() throws Exception {
      // A driver whose outbox insert throws an Error, neither an SQLException nor a RuntimeException, after the order's
      // insert went through; closing commits, as Oracle's driver does
      DataSource failing = new workbook.faults.DelegatingDataSource(new CommitsOnClose(db.dataSource())) {
        @Override protected Connection connection(Connection c) {
          return (Connection) Proxy.newProxyInstance(ShopTest.class.getClassLoader(), new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().startsWith("prepare") && args != null && args[0] instanceof String sql
                    && sql.strip().toUpperCase(java.util.Locale.ROOT).startsWith("INSERT INTO OUTBOX")) {
                  throw new NoClassDefFoundError("simulated: a class of the driver's outbox insert could not load");
                }
                return invoke(c, method, args);
              });
        }
      };
      Throwable failure = catchThrowable(() -> new OrderService(failing, "orders-topic").store("o-error",
          PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build()));
      if (failure instanceof UnsupportedOperationException todo) throw todo;

      assertThat(failure).as("TODO 3: what store threw when its outbox insert threw an Error: the failure, let out as it"
          + " is (returning normally says the order and its event are stored)").isNotNull();
      assertThat(rows("SELECT id FROM orders WHERE id = 'o-error'")).as("TODO 3: orders stored although the outbox insert"
          + " threw an Error (%s) after the order's insert: roll back on anything thrown before the commit (catch"
          + " Throwable, roll back, throw it on), not only an SQLException or a RuntimeException; this database, as"
          + " Oracle's, commits what a closed connection left open, and the order stays without its event", failure)
          .isEmpty();
    }

    @Test
    @DisplayName("when the order row cannot be written, no outbox row is left behind")
    void orderFailureRollsBack() throws Exception {
      db.execute("ALTER TABLE orders ADD CONSTRAINT test_refuses_beans CHECK (product_id <> 'beans-1kg')");
      Throwable failure = catchThrowable(() -> place("beans-1kg", 1));

      assertThat(Status.fromThrowable(failure).getCode()).as("TODO 3: the status of PlaceOrder when its order row"
          + " cannot be written (%s)", Status.fromThrowable(failure)).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(rows("SELECT payload FROM outbox")).as("TODO 3: outbox rows. An event for an order that was never"
          + " stored tells everyone a lie: the outbox row must roll back with the order (c.rollback() when one"
          + " fails: this database, as Oracle's, commits what a closed connection left open)").isEmpty();
    }

    @Test
    @DisplayName("when the commit itself fails, after both inserts, nothing is stored and the caller hears UNAVAILABLE")
    void commitFailureStoresNothing() throws Exception {
      OrdersGrpc.OrdersBlockingStub failing = OrdersGrpc.newBlockingStub(
          channel(serve(new OrderService(CommitFails.every(db.dataSource()), "orders-topic")).getPort()));
      Throwable failure = catchThrowable(() -> failing.withDeadlineAfter(Duration.ofSeconds(20))
          .placeOrder(PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build()));

      assertThat(Status.fromThrowable(failure).getCode()).as("TODO 3: the status of PlaceOrder when the database"
          + " refused the commit (%s)", Status.fromThrowable(failure)).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(rows("SELECT id FROM orders UNION ALL SELECT message_key FROM outbox")).as("TODO 3: rows stored"
          + " although the commit failed: each insert committed on its own (auto-commit on, or setAutoCommit(true)"
          + " before the commit), so the caller hears 'failed' about an order that is stored and will be published")
          .isEmpty();
    }

    @Test
    @DisplayName("whichever commit fails, the first or a later one, the order and its outbox row are both stored or neither, and the call answers UNAVAILABLE, not tried again")
    void bothOrNeitherWhicheverCommitFails() throws Exception {
      List<String> wrong = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        try (Db own = Db.fresh("orders").execute(OrderService.SCHEMA)) {
          CommitFails commits = CommitFails.nth(own.dataSource(), n);
          OrdersGrpc.OrdersBlockingStub failing = OrdersGrpc.newBlockingStub(
              channel(serve(new OrderService(commits, "orders-topic")).getPort()));
          Throwable failure = catchThrowable(() -> failing.withDeadlineAfter(Duration.ofSeconds(20))
              .placeOrder(PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build()));
          List<String> orders = ShopTest.rows(own, "SELECT id FROM orders");
          List<String> outbox = ShopTest.rows(own, "SELECT message_key FROM outbox");
          String answer = failure == null ? "OK" : String.valueOf(Status.fromThrowable(failure).getCode());
          // Once the failing commit was tried, the call is over: its failure goes out (nothing tried again)
          boolean failed = commits.commits() >= n;
          boolean right = failure == null && !failed ? orders.size() == 1 && outbox.equals(orders)
              : answer.equals("UNAVAILABLE") && orders.isEmpty() && outbox.isEmpty();
          if (!right) {
            wrong.add("commit " + n + " failing: answered " + answer + ", orders " + orders + ", outbox " + outbox
                + (failure == null && failed ? " (after commit " + n + " failed, " + (commits.commits() - n) + " more commit(s))" : ""));
          }
        }
      }
      assertThat(wrong).as("TODO 3: runs in which one commit (the 1st, 2nd or 3rd the order service makes) failed and"
          + " the order and its outbox row were not both stored (and the call answered OK) or both not stored (and the"
          + " call answered UNAVAILABLE). Two connections, each committed on its own, are two transactions: when the"
          + " second commit fails, the first is already stored. Both inserts on one connection, one commit. And once a"
          + " commit failed, the call answers UNAVAILABLE: a store tried again after it (answered OK) forgets that a"
          + " commit that failed may have been stored (its answer lost on the way), and the retry then stores the order"
          + " twice, or is refused as a duplicate of an order that is stored. Roll back and let the exception out: the"
          + " caller decides").isEmpty();
    }

    @Test
    @DisplayName("two orders at once, one whose outbox row cannot be written: the other is stored whole, the failed one"
        + " not at all")
    void twoOrdersAtOnceEachItsOwnTransaction() throws Exception {
      // given: the outbox refuses grinders; the good order's outbox insert waits (5 s at most) until the grinder's
      // call has ended, so the grinder's inserts and rollback happen while the good order's transaction is open
      db.execute("ALTER TABLE outbox ADD CONSTRAINT test_refuses_grinders CHECK (payload NOT LIKE '%hand-grinder%')");
      java.util.concurrent.CountDownLatch goodInside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch grinderEnded = new java.util.concurrent.CountDownLatch(1);
      OrdersGrpc.OrdersBlockingStub overlapping = OrdersGrpc.newBlockingStub(channel(serve(new OrderService(
          firstOutboxInsertWaits(new CommitsOnClose(db.dataSource()), goodInside, grinderEnded), "orders-topic")).getPort()));
      // when
      var good = java.util.concurrent.CompletableFuture.supplyAsync(() -> answerOf(() -> overlapping
          .withDeadlineAfter(Duration.ofSeconds(20)).placeOrder(PlaceOrderRequest.newBuilder()
              .setProductId("espresso-cup").setQuantity(1).build())), workbook.test.Background.OWN_THREAD);
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (goodInside.getCount() > 0 && !good.isDone() && System.nanoTime() < until) Thread.sleep(5);
      if (goodInside.getCount() > 0) grinderEnded.countDown();
      assertThat(goodInside.getCount()).as("TODO 3: the espresso-cup order never reached its outbox insert (answered %s)",
          good.getNow("nothing within 10 s")).isZero();
      var grinder = java.util.concurrent.CompletableFuture.supplyAsync(() -> answerOf(() -> overlapping
          .withDeadlineAfter(Duration.ofSeconds(20)).placeOrder(PlaceOrderRequest.newBuilder()
              .setProductId("hand-grinder").setQuantity(1).build())), workbook.test.Background.OWN_THREAD);
      String grinderAnswer;
      try {
        grinderAnswer = grinder.get(5, TimeUnit.SECONDS); // one at a time (a lock) ends it only after the good one
      } catch (java.util.concurrent.TimeoutException oneAtATime) {
        grinderAnswer = null;
      }
      grinderEnded.countDown();
      String goodAnswer = good.get(30, TimeUnit.SECONDS);
      if (grinderAnswer == null) grinderAnswer = grinder.get(30, TimeUnit.SECONDS);
      // then
      String answers = "espresso-cup answered " + goodAnswer + ", hand-grinder " + grinderAnswer;
      assertThat(List.of(goodAnswer.startsWith("OK "), grinderAnswer)).as("TODO 3: what two PlaceOrder calls at once"
          + " answered (%s): the espresso-cup stored, the hand-grinder, whose outbox row the database refuses,"
          + " UNAVAILABLE", answers).containsExactly(true, "UNAVAILABLE");
      String goodId = goodAnswer.substring(3);
      assertThat(List.of(rows("SELECT id || ' ' || product_id FROM orders"), rows("SELECT message_key FROM outbox")))
          .as("TODO 3: orders, then outbox keys, after two PlaceOrder calls at once (%s): the espresso-cup order and its"
              + " outbox row, nothing of the grinder. Each call is its own transaction on its own connection"
              + " (db.getConnection() in store, closed at its end): one connection kept for every call makes one"
              + " transaction of both, so the grinder's rollback undoes the espresso-cup's order row, or its commit"
              + " takes the grinder's", answers)
          .containsExactly(List.of(goodId + " espresso-cup"), List.of(goodId));
    }

    /** OK and the order id, or the call's status code. */
    String answerOf(java.util.function.Supplier<PlaceOrderReply> call) {
      try {
        return "OK " + call.get().getOrderId();
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode().name();
      }
    }

    @Test
    @DisplayName("the relay marks an outbox row sent only once the broker took it (that row, not its key's later ones), and no later row overtakes it")
    void relayWaitsForTheBroker() throws Exception {
      String topic = Topics.create(Broker.bootstrapServers(), Topics.unique("orders"), 1,
          Map.of("max.message.bytes", "1024")); // a real refusal: the broker answers MESSAGE_TOO_LARGE
      try (Connection c = db.dataSource().getConnection()) {
        OrderService.insertOutbox(c, topic, "o-1", "{\"orderId\":\"o-1\"}");
        OrderService.insertOutbox(c, topic, "o-2", "{\"orderId\":\"o-2\",\"note\":\"" + "x".repeat(4000) + "\"}");
        OrderService.insertOutbox(c, topic, "o-3", "{\"orderId\":\"o-3\"}");
        // a later event of order o-1 (its cancellation, say): a row of its own, under the same key
        OrderService.insertOutbox(c, topic, "o-1", "{\"orderId\":\"o-1\",\"eventType\":\"order.cancelled\"}");
        // the database's clock set back a second before each row (as NTP does): "oldest first" is the order the rows were
        // written in, their ids, never their created_at
        c.createStatement().executeUpdate("UPDATE outbox SET created_at = DATEADD(SECOND, -id, created_at)");
      }
      KafkaProducer<String, String> producer = Clients.producer("outbox-relay");
      later(() -> producer.close(Duration.ofSeconds(5)));
      OutboxRelay relay = new OutboxRelay(db.dataSource(), producer);

      relay.relayOnce();
      assertThat(relay.pending()).extracting(r -> r.key() + (r.payload().contains("cancelled") ? " (its second event)" : ""))
          .as("TODO 3: outbox rows still pending after a pass in which the broker refused o-2's record (rows: o-1, o-2,"
          + " o-3, then o-1's second event). The outbox promises 'stored means published': the relay (OutboxRelay) may"
          + " mark a row sent only after the broker acknowledged that row (send(...).get()), by the row's own id (a key"
          + " names an order, whose later events are rows of their own, not published yet), and must stop at the first"
          + " refusal so that o-3 does not overtake o-2; oldest first is by id, the order the rows were written (ORDER BY id): the clock's created_at, set back here before each row, puts later rows first").containsExactly("o-2", "o-3", "o-1 (its second event)");
      assertThat(Topics.readAll(topic)).extracting(r -> r.key()).as("TODO 3: keys on the topic after that pass")
          .containsExactly("o-1");
    }

    @Test
    @DisplayName("the relay marks sent only the rows it published, by their own ids: a row committed during a pass, under a lower id, stays pending and goes out next")
    void relayMarksOnlyWhatItPublished() throws Exception {
      String topic = Topics.fresh("orders", 1);
      javax.sql.DataSource plain = db.dataSource();
      // An order's transaction that took its outbox row's id first, and commits late: while a pass of the relay runs.
      Connection late = later(plain.getConnection());
      late.setAutoCommit(false);
      OrderService.insertOutbox(late, topic, "o-1", "{\"orderId\":\"o-1\"}");
      try (Connection c = plain.getConnection()) {
        OrderService.insertOutbox(c, topic, "o-2", "{\"orderId\":\"o-2\"}"); // a higher id, committed at once
      }
      // The relay's first connection reads the pending rows (o-2: o-1 is not committed yet); before it opens the next
      // one (to mark o-2 sent), o-1's transaction commits. No race: the commit happens at that moment, every run.
      java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
      javax.sql.DataSource during = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
          getClass().getClassLoader(), new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
            if (method.getName().equals("getConnection") && opened.incrementAndGet() == 2) late.commit();
            try {
              return method.invoke(plain, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
      KafkaProducer<String, String> producer = Clients.producer("outbox-relay");
      later(() -> producer.close(Duration.ofSeconds(5)));
      OutboxRelay relay = new OutboxRelay(during, producer);

      relay.relayOnce();
      assertThat(relay.pending()).extracting(r -> r.key()).as("TODO 3: outbox rows still pending after a pass that read"
          + " o-2's row and published it, while o-1's row (a lower id, its transaction still open when the pass read the"
          + " outbox) was committed during the pass: the relay marks sent the rows the broker took, each by its own id"
          + " (WHERE id = ?). Marked by a range (every pending row up to the last id published), o-1 is marked sent"
          + " without ever being published, and 'stored means published' no longer holds").containsExactly("o-1");
      relay.relayOnce();
      assertThat(Topics.readAll(topic)).extracting(r -> r.key()).as("TODO 3: keys on the topic after the next pass")
          .containsExactly("o-2", "o-1");
    }

    @Test
    @org.junit.jupiter.api.Order(2) // no server, no broker: milliseconds
    @DisplayName("the relay marks a row sent only on the broker's acknowledgement: whatever way its answer fails (refused,"
        + " no answer in time, the wait interrupted), the row stays pending and goes out first on the next pass")
    void relayMarksSentOnlyOnAnAcknowledgement() throws Exception {
      // given: for each way the broker's answer can fail, a producer whose first send's answer fails that way and whose
      // later sends are acknowledged at once (nothing reaches a broker); o-1's row and then o-2's pending
      Map<String, Throwable> kinds = new java.util.LinkedHashMap<>();
      kinds.put("refused (record too large)", new java.util.concurrent.ExecutionException(
          new org.apache.kafka.common.errors.RecordTooLargeException("simulated")));
      kinds.put("the producer's own delivery timeout", new java.util.concurrent.ExecutionException(
          new org.apache.kafka.common.errors.TimeoutException("simulated: expiring 1 record(s)")));
      kinds.put("no answer within the wait", new java.util.concurrent.TimeoutException("simulated"));
      kinds.put("the wait interrupted", new InterruptedException("simulated"));
      List<String> wrong = new ArrayList<>();
      for (Map.Entry<String, Throwable> kind : kinds.entrySet()) {
        try (Connection c = db.dataSource().getConnection()) {
          c.createStatement().executeUpdate("DELETE FROM outbox");
          OrderService.insertOutbox(c, "orders", "o-1", "{\"orderId\":\"o-1\"}");
          OrderService.insertOutbox(c, "orders", "o-2", "{\"orderId\":\"o-2\"}");
        }
        List<String> sent = new CopyOnWriteArrayList<>();
        OutboxRelay relay = later(new OutboxRelay(db.dataSource(), failingFirst(kind.getValue(), sent)));
        // when
        relay.relayOnce();
        Thread.interrupted(); // (cleared: the database calls below must not find it set)
        List<String> pending = relay.pending().stream().map(OutboxRelay.Row::key).toList();
        if (!pending.equals(List.of("o-1", "o-2")) || sent.size() != 1) {
          wrong.add(kind.getKey() + ": sent " + sent + ", pending " + pending);
        }
        relay.relayOnce(); // then: the next pass publishes both, o-1 first
        Thread.interrupted();
        if (!relay.pending().isEmpty() || !sent.equals(List.of("o-1", "o-1", "o-2"))) {
          wrong.add(kind.getKey() + ", then a pass the broker acknowledges: sent " + sent + ", pending "
              + relay.pending().stream().map(OutboxRelay.Row::key).toList());
        }
      }
      assertThat(wrong).as("TODO 3: passes of the relay (OutboxRelay) in which the broker's answer to o-1's record failed,"
          + " of each kind in turn (o-2's row after it). Only an acknowledgement says the broker has a record: a"
          + " refusal, no answer within the wait (the record may never have been stored: 'it most likely has it' is a"
          + " guess that loses the event when wrong) or an interrupted wait leaves the row pending, and the pass stops"
          + " there (no later row overtakes it); the next pass sends it again (the consumers skip a second copy). Expected"
          + " after the failed pass: sent [o-1], pending [o-1, o-2]; after the next: sent [o-1, o-1, o-2], pending []")
          .isEmpty();
    }

    @Test
    @org.junit.jupiter.api.Order(3) // no server, no broker: a few passes of milliseconds
    @DisplayName("a pass that fails, whatever it throws, ends only that pass: the running relay publishes the row on a"
        + " later one (an SQLException, or a RuntimeException from the producer)")
    void relayOutlivesAFailedPass() throws Exception {
      // given: o-1's, o-2's and o-3's rows pending, and a producer whose first send throws at once, as KafkaProducer.send
      // does for a record it cannot serialize, and whose later sends are acknowledged at once (nothing reaches a broker)
      try (Connection c = db.dataSource().getConnection()) {
        c.createStatement().executeUpdate("DELETE FROM outbox");
        OrderService.insertOutbox(c, "orders", "o-1", "{\"orderId\":\"o-1\"}");
        OrderService.insertOutbox(c, "orders", "o-2", "{\"orderId\":\"o-2\"}");
        OrderService.insertOutbox(c, "orders", "o-3", "{\"orderId\":\"o-3\"}");
      }
      List<String> sent = new CopyOnWriteArrayList<>();
      // o-3 sent: o-1 and o-2 were published and marked before it, in the pass that sends it
      java.util.concurrent.CountDownLatch o3Sent = new java.util.concurrent.CountDownLatch(1);
      @SuppressWarnings("unchecked")
      org.apache.kafka.clients.producer.Producer<String, String> throwingFirst =
          (org.apache.kafka.clients.producer.Producer<String, String>) java.lang.reflect.Proxy.newProxyInstance(
          org.apache.kafka.clients.producer.Producer.class.getClassLoader(),
          new Class<?>[] {org.apache.kafka.clients.producer.Producer.class}, (proxy, method, args) -> switch (method.getName()) {
            case "send" -> {
              @SuppressWarnings("unchecked")
              org.apache.kafka.clients.producer.ProducerRecord<String, String> record =
                  (org.apache.kafka.clients.producer.ProducerRecord<String, String>) args[0];
              sent.add(record.key());
              if (sent.size() == 1) {
                throw new org.apache.kafka.common.errors.SerializationException("simulated: the record was refused at once");
              }
              if ("o-3".equals(record.key())) o3Sent.countDown();
              yield java.util.concurrent.CompletableFuture.completedFuture(new org.apache.kafka.clients.producer.RecordMetadata(
                  new org.apache.kafka.common.TopicPartition(record.topic(), 0), sent.size() - 1, 0, 0L, 0, 0));
            }
            case "close", "flush" -> null;
            case "toString" -> "a producer whose first send throws";
            default -> throw new UnsupportedOperationException(method.getName());
          });
      // when: the relay runs on its own timer, as in the demo
      OutboxRelay relay = later(new OutboxRelay(db.dataSource(), throwingFirst)).start(Duration.ofMillis(10));
      boolean published = o3Sent.await(5, TimeUnit.SECONDS); // passes 10 ms apart: seconds are many
      relay.close();
      // then
      assertThat(published).as("TODO 3: the outbox relay, running on its timer, after its first pass failed with a"
          + " RuntimeException from the producer (sent so far %s): a pass that fails, whatever it throws, must end only"
          + " that pass. A ScheduledExecutorService runs no more passes once one threw (scheduleWithFixedDelay), so a"
          + " pass that lets a RuntimeException out (catching only SQLException) stops the relay for good, and every"
          + " order from then on is stored but its event never published", sent).isTrue();
      assertThat(relay.pending()).extracting(OutboxRelay.Row::key).as("TODO 3: outbox rows left pending after the"
          + " relay published them on a later pass (sent %s)", sent).doesNotContain("o-1", "o-2");
      assertThat(sent).as("TODO 3: the records the relay sent: o-1 (refused at once), then o-1 again, o-2 and o-3")
          .startsWith("o-1", "o-1", "o-2", "o-3");
    }

    @Test
    @DisplayName("an event's id is one never used before: not by another order service on the same database, nor by this one"
        + " once restarted")
    void eventIdsNeverRepeat() throws Exception {
      // Order services on one database, as a restart or a second replica makes them: this test's own, and two loaded
      // afresh (their classes and static fields new, as in a process started again), started at one instant: their
      // clocks, the wall clock and System.nanoTime, read alike (two processes' nanoTime may: its origin is each JVM's
      // own). Each of two instances of each stores the same two orders (an order's later events, made by whichever
      // instance; this orders table keeps no key). Consumers remember every event id they applied, for good: an id
      // used again is a copy to them.
      Db one = later(Db.fresh("orders").execute(OrderService.SCHEMA).execute("ALTER TABLE orders DROP PRIMARY KEY"));
      PlaceOrderRequest cup = PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build();
      List<String> stores = new ArrayList<>();
      for (int process = 1; process <= 3; process++) {
        Class<?> type = process == 1 ? OrderService.class
            : Class.forName("OrderService", true, processStartedAgain(true, true));
        java.lang.reflect.Constructor<?> make = type.getDeclaredConstructor(DataSource.class, String.class);
        java.lang.reflect.Method store = type.getDeclaredMethod("store", String.class, PlaceOrderRequest.class);
        make.setAccessible(true);
        store.setAccessible(true);
        for (int instance = 1; instance <= 2; instance++) {
          Object service = make.newInstance(one.dataSource(), "orders-topic");
          for (int order = 1; order <= 2; order++) {
            String orderId = "o-" + order;
            try {
              store.invoke(service, orderId, cup);
            } catch (java.lang.reflect.InvocationTargetException e) {
              if (e.getCause() instanceof UnsupportedOperationException todo) throw todo;
              throw e;
            }
            stores.add(orderId + " (process " + process + ", instance " + instance + ")");
          }
        }
      }
      List<String> ids = ShopTest.rows(one, "SELECT payload FROM outbox ORDER BY id").stream()
          .map(payload -> OrderService.OrderConfirmed.fromJson(payload).eventId()).toList();
      assertThat(ids).as("TODO 3: the eventIds of the events of %d orders %s, stored by order services on one database:"
          + " this test's own, and two started again (their classes loaded anew, as a new process has them) at one"
          + " instant of the clock, two instances of each. Each event's id is its own, never used before by any order"
          + " service, started when it may be (OrderConfirmed.of makes a random UUID). A number counted by the service"
          + " (an AtomicLong or an int, static or not, alone or after the order's id) starts again at 1 in every process"
          + " and every instance; a Random seeded with the time (currentTimeMillis, nanoTime) draws the same numbers in"
          + " two processes started at one instant, and an id of the time (nanoTime) is the same in both: the consumers,"
          + " which remember every event id they applied, skip the new events as copies of old ones, and those orders"
          + " never leave the stock",
          stores.size(), stores).hasSize(stores.size()).doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("two events of one order made at one instant of the clock have ids of their own")
    void eventIdsApartAtOneInstant() throws Exception {
      // The clock the order service reads is stopped (its code loaded anew, its wall clock FrozenClock's): a clock that
      // ticks once a millisecond, or once in 15 on some machines, makes any two events of one tick events of one
      // instant. The order o-twice stored twice (this orders table keeps no key) at that instant: two events, two ids.
      Db own = later(Db.fresh("orders").execute(OrderService.SCHEMA).execute("ALTER TABLE orders DROP PRIMARY KEY"));
      Class<?> type = Class.forName("OrderService", true, processStartedAgain(true));
      java.lang.reflect.Constructor<?> make = type.getDeclaredConstructor(DataSource.class, String.class);
      java.lang.reflect.Method store = type.getDeclaredMethod("store", String.class, PlaceOrderRequest.class);
      make.setAccessible(true);
      store.setAccessible(true);
      Object service = make.newInstance(own.dataSource(), "orders-topic");
      PlaceOrderRequest cup = PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build();
      for (int i = 0; i < 2; i++) {
        try {
          store.invoke(service, "o-twice", cup);
        } catch (java.lang.reflect.InvocationTargetException e) {
          if (e.getCause() instanceof UnsupportedOperationException todo) throw todo;
          throw e;
        }
      }
      List<String> ids = ShopTest.rows(own, "SELECT payload FROM outbox ORDER BY id").stream()
          .map(payload -> OrderService.OrderConfirmed.fromJson(payload).eventId()).toList();
      assertThat(ids).as("TODO 3: the eventIds of two events of the order o-twice, stored one after the other while the"
          + " clock read %s: each the event's own, made fresh (OrderConfirmed.of makes a random UUID). One made of the order"
          + " and the time (however fine: Instant.now(), nanoseconds) is the same for two events of that order made within"
          + " one tick of the clock, and a clock's tick is a millisecond or more on many machines: a consumer skips the"
          + " second as a copy", FrozenClock.AT).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last of its step: 300,000 stores on statements that only listen, seconds
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a few seconds, many more on a loaded machine
    @DisplayName("an event's id is drawn from a space large enough never to repeat: 300,000 events of 300,000 orders, an"
        + " id made twice at most once")
    void eventIdsFromALargeSpace() throws Exception {
      // A consumer remembers every event id it applied, for good (processed_events): an id made again is a copy to it,
      // and the new event is skipped. Random ids repeat far sooner than one expects (the birthday bound): among 300,000
      // events (a few weeks of a busy shop) a 32-bit id (8 hex digits, as the order's own id) repeats some 10 times (once
      // or never in 3,000 such samples), a 48-bit one about once in 6,000 samples, twice almost never; a UUID's 122
      // random bits never.
      // The stores run on a connection whose transaction calls (setAutoCommit, commit, rollback, close) and the two
      // inserts of the given insertOrder and insertOutbox only listen (no 400,000 rows); any other call the store makes
      // reaches the real database as it is.
      int events = 300_000;
      Db own = later(Db.fresh("orders").execute(OrderService.SCHEMA));
      Connection real = own.dataSource().getConnection();
      later(real);
      java.util.Set<String> ids = new java.util.HashSet<>(2 * events);
      int[] repeats = {0};
      String[] sample = new String[2];
      java.lang.reflect.InvocationHandler orderInsert = (proxy, method, args) -> switch (method.getName()) {
        case "executeUpdate" -> 1;
        case "executeLargeUpdate" -> 1L;
        case "execute" -> false;
        default -> defaultOf(method.getReturnType());
      };
      String[] payload = new String[1];
      java.lang.reflect.InvocationHandler outboxInsert = (proxy, method, args) -> {
        switch (method.getName()) {
          case "setString", "setObject", "setNString" -> {
            if (args[0] instanceof Integer at && at == 3) payload[0] = String.valueOf(args[1]);
          }
          case "executeUpdate", "executeLargeUpdate", "execute" -> {
            String id = OrderService.OrderConfirmed.fromJson(payload[0]).eventId();
            if (!ids.add(id)) repeats[0]++;
            if (sample[0] == null) sample[0] = id;
            else if (sample[1] == null) sample[1] = id;
            return method.getName().equals("execute") ? false : method.getName().equals("executeUpdate") ? (Object) 1
                : (Object) 1L;
          }
          default -> { }
        }
        return defaultOf(method.getReturnType());
      };
      boolean[] autoCommit = {true};
      java.lang.reflect.InvocationHandler connection = (proxy, method, args) -> {
        switch (method.getName()) { // the transaction's own calls are answered here: nothing reached the database
          case "close", "commit", "rollback" -> {
            return null; // the one real connection stays open for the next store
          }
          case "isClosed" -> {
            return false;
          }
          case "setAutoCommit" -> {
            autoCommit[0] = (Boolean) args[0];
            return null;
          }
          case "getAutoCommit" -> {
            return autoCommit[0];
          }
          default -> { }
        }
        if (method.getName().equals("prepareStatement") && args.length == 1 && args[0] instanceof String sql) {
          if (sql.startsWith("INSERT INTO orders ")) return listening(orderInsert);
          if (sql.startsWith("INSERT INTO outbox ")) return listening(outboxInsert);
        }
        try {
          return method.invoke(real, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
          throw e.getCause();
        }
      };
      DataSource db = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
          (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) {
              return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, connection);
            }
            try {
              return method.invoke(own.dataSource(), args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
      OrderService service = new OrderService(db, "orders-topic");
      PlaceOrderRequest cup = PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build();
      for (int i = 1; i <= events; i++) service.store("o-" + i, cup);
      assertThat(ids.size() + repeats[0]).as("TODO 3: outbox rows written by %d stores", events).isEqualTo(events);
      assertThat(repeats[0]).as("TODO 3: event ids made a second time among the %d events of %d orders (e.g. %s, %s):"
          + " each event's id is its own, never used before, and a random one only if drawn from a space large enough"
          + " that a busy shop never draws one twice (OrderConfirmed.of makes a random UUID, 122 bits: keep it). A short"
          + " random id, 8 hex digits like the order's own (32 bits), repeats some 10 times among as many events (the"
          + " birthday bound: after some 77,000), and each repeat is a new order's event that the consumers, which remember"
          + " every id they applied, skip as a copy: its stock never leaves the shelf", events, events, sample[0],
          sample[1]).isLessThanOrEqualTo(1);
    }

    /** A PreparedStatement that answers with {@code handler} (it reaches no database). */
    java.sql.PreparedStatement listening(java.lang.reflect.InvocationHandler handler) {
      return (java.sql.PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {java.sql.PreparedStatement.class}, handler);
    }

    Object defaultOf(Class<?> type) {
      if (type == boolean.class) return false;
      if (type == int.class) return 0;
      if (type == long.class) return 0L;
      if (type == double.class) return 0d;
      if (type == float.class) return 0f;
      if (type == short.class) return (short) 0;
      if (type == byte.class) return (byte) 0;
      return null;
    }

    /**
     * A class loader that defines the lab's own classes (the default package) anew from their class files, as a process
     * started again has them (static fields new), and takes every other class from the test's own loader.
     */
    ClassLoader processStartedAgain() {
      return processStartedAgain(false, false);
    }

    ClassLoader processStartedAgain(boolean frozenClock) {
      return processStartedAgain(frozenClock, false);
    }

    /**
     * The same; with {@code frozenClock}, the lab's code reads the wall clock of FrozenClock, stopped at one instant, and
     * with {@code nanoTimeToo} its System.nanoTime as well (processes started at one instant, whose nanoTime reads alike).
     */
    ClassLoader processStartedAgain(boolean frozenClock, boolean nanoTimeToo) {
      ClassLoader parent = ShopTest.class.getClassLoader();
      return new ClassLoader("a process started again", parent) {
        @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
          synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null && !name.contains(".") && !name.startsWith("ShopTest")) {
              try (InputStream in = parent.getResourceAsStream(name + ".class")) {
                if (in != null) {
                  byte[] code = frozenClock ? FrozenClock.into(in.readAllBytes(), nanoTimeToo) : in.readAllBytes();
                  loaded = defineClass(name, code, 0, code.length);
                }
              } catch (java.io.IOException e) {
                throw new ClassNotFoundException(name, e);
              }
            }
            return loaded != null ? loaded : super.loadClass(name, resolve);
          }
        }
      };
    }

    /** A producer whose first send's answer is {@code failure} (thrown by get), and whose later sends are acknowledged at once. */
    @SuppressWarnings("unchecked")
    private org.apache.kafka.clients.producer.Producer<String, String> failingFirst(Throwable failure, List<String> sent) {
      return (org.apache.kafka.clients.producer.Producer<String, String>) java.lang.reflect.Proxy.newProxyInstance(
          org.apache.kafka.clients.producer.Producer.class.getClassLoader(),
          new Class<?>[] {org.apache.kafka.clients.producer.Producer.class}, (proxy, method, args) -> switch (method.getName()) {
            case "send" -> {
              org.apache.kafka.clients.producer.ProducerRecord<String, String> record =
                  (org.apache.kafka.clients.producer.ProducerRecord<String, String>) args[0];
              sent.add(record.key());
              org.apache.kafka.clients.producer.RecordMetadata stored = new org.apache.kafka.clients.producer.RecordMetadata(
                  new org.apache.kafka.common.TopicPartition(record.topic(), 0), sent.size() - 1, 0, 0L, 0, 0);
              if (sent.size() > 1) yield java.util.concurrent.CompletableFuture.completedFuture(stored);
              yield new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>() {
                @Override public org.apache.kafka.clients.producer.RecordMetadata get()
                    throws InterruptedException, java.util.concurrent.ExecutionException {
                  return fail();
                }
                @Override public org.apache.kafka.clients.producer.RecordMetadata get(long timeout, TimeUnit unit)
                    throws InterruptedException, java.util.concurrent.ExecutionException,
                    java.util.concurrent.TimeoutException {
                  if (failure instanceof java.util.concurrent.TimeoutException t) throw t;
                  return fail();
                }
                private org.apache.kafka.clients.producer.RecordMetadata fail()
                    throws InterruptedException, java.util.concurrent.ExecutionException {
                  if (failure instanceof InterruptedException i) throw i;
                  if (failure instanceof java.util.concurrent.ExecutionException e) throw e;
                  // a wait with no bound, for an answer that is no answer in time: it would never end
                  throw new AssertionError("TODO 3: the relay waited for the broker's acknowledgement without a bound");
                }
              };
            }
            case "close", "flush" -> null;
            case "toString" -> "a producer whose first answer fails";
            default -> throw new UnsupportedOperationException(method.getName());
          });
    }

    PlaceOrderReply place(String productId, int quantity) {
      return orders.withDeadlineAfter(Duration.ofSeconds(20)) // generous: a loaded machine is slow
          .placeOrder(PlaceOrderRequest.newBuilder().setProductId(productId).setQuantity(quantity).build());
    }

    List<String> rows(String sql) throws SQLException {
      return ShopTest.rows(db, sql);
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: consumers that apply each event once")
  class Step4 {
    @Test
    @org.junit.jupiter.api.Order(1) // no broker: milliseconds
    @DisplayName("every applyOnce gives its connection back closed, its transaction ended by commit() or rollback():"
        + " applied, a second copy skipped, or failed")
    void connectionComesBackClosed() throws Exception {
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      OrderService.OrderConfirmed seen = event("o-seen");
      new IdempotentConsumer("notification", db.dataSource(), notification, "unused", "unused").applyOnce(seen);
      // each way applyOnce can end, on a database that lends its connections as a pool does and sees how they come back
      record End(String what, java.util.function.UnaryOperator<DataSource> database, IdempotentConsumer.Reaction reaction,
          OrderService.OrderConfirmed event) {}
      List<End> ends = List.of(
          new End("applied", real -> real, notification, event("o-1")),
          new End("a second copy, skipped", real -> real, notification, seen),
          new End("the reaction failed (an SQLException)", real -> real, new FailingAfter(notification, 1), event("o-2")),
          new End("the reaction failed (a RuntimeException)", real -> real, new FailingAfter(notification, 1, true),
              event("o-3")),
          new End("recording the id failed (a lock timeout)", real -> ExecutionFails.first(real, RECORD_ID, 1,
              () -> new SQLException("simulated: timeout trying to lock table PROCESSED_EVENTS", "HYT00")), notification,
              event("o-4")),
          new End("the commit failed", CommitFails::every, notification, event("o-5")));
      List<String> wrong = new ArrayList<>();
      for (End end : ends) {
        Lender lender = new Lender(end.database().apply(db.dataSource()));
        Throwable failure = catchThrowable(() -> new IdempotentConsumer("notification", lender, end.reaction(), "unused",
            "unused").applyOnce(end.event()));
        if (failure instanceof UnsupportedOperationException todo) throw todo;
        lender.problems().forEach(problem -> wrong.add(end.what() + ": " + problem));
      }
      assertThat(wrong).as("TODO 4: how applyOnce gave back its connection, by the way it ended. Take it in"
          + " try (Connection c = db.getConnection()), so that it is closed on every path, the failures too (one never"
          + " closed is one a pool never gets back), and end every transaction with commit() or rollback(), the skip of"
          + " a second copy too (c.rollback() before return false): a transaction left open at close is committed by"
          + " some databases (Oracle's driver), with whatever ran in it, and a pool hands it to its next user as it is")
          .isEmpty();
    }

    @Test
    @DisplayName("an event is applied once; the same event again changes nothing")
    void appliesOnce() throws Exception {
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      // A database that commits a transaction left open at close (as Oracle's driver does): a second copy whose work is
      // only closed, not rolled back, is committed
      IdempotentConsumer reader = new IdempotentConsumer("notification", new CommitsOnClose(db.dataSource()), notification,
          "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1");

      assertThat(reader.applyOnce(event)).as("TODO 4: applyOnce of a new event returns true").isTrue();
      assertThat(reader.applyOnce(event)).as("TODO 4: applyOnce of the same event again returns false").isFalse();
      assertThat(notification.emailedOrders()).as("TODO 4: emails queued after o-1's event came twice: the customer"
          + " must get one. A second copy changes nothing: when recordOnce returns false, c.rollback() before returning"
          + " false (this database, as Oracle's, commits what a closed connection left open, a reaction run before the"
          + " id was recorded too)").containsExactly("o-1");
      assertThat(rows(db, "SELECT event_id FROM processed_events")).as("TODO 4: ids in processed_events")
          .containsExactly(event.eventId());
      // A reaction whose own table takes one row per order (shipments, keyed by the order id): a second copy must never
      // reach it. recordOnce first, and only an event not seen before runs the reaction.
      Db shipped = later(Db.fresh("shipping").execute("CREATE TABLE shipments (order_id VARCHAR(40) PRIMARY KEY);\n"
          + IdempotentConsumer.SCHEMA));
      IdempotentConsumer.Reaction ship = (c, e) -> {
        try (java.sql.PreparedStatement s = c.prepareStatement("INSERT INTO shipments (order_id) VALUES (?)")) {
          s.setString(1, e.orderId());
          s.executeUpdate();
        }
      };
      IdempotentConsumer shipping = new IdempotentConsumer("shipping", shipped.dataSource(), ship, "unused", "unused");
      assertThat(shipping.applyOnce(event)).as("TODO 4: applyOnce of o-1's event, new to shipping").isTrue();
      List<Boolean> second = new ArrayList<>();
      Throwable failed = catchThrowable(() -> second.add(shipping.applyOnce(event)));
      assertThat(failed == null ? "returned " + second.get(0) : "threw " + failed).as("TODO 4: applyOnce of a second"
          + " copy of o-1's event, for a reaction whose own table takes one row per order (shipments, keyed by the order"
          + " id): a skip, false. recordOnce first, in the transaction, and the reaction only if it returned true: run"
          + " before the id is recorded (and rolled back after), the copy's reaction fails on its own table's duplicate"
          + " key, which is a failure, not a copy (the key is the reaction's, not processed_events'), and the event comes"
          + " again from Kafka, for ever").isEqualTo("returned false");
    }

    @Test
    @DisplayName("two copies of one event applied at the same time: one applies it, the other changes nothing")
    void twoCopiesAtOnce() throws Exception {
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      java.util.concurrent.CountDownLatch firstInside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch secondInside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      AtomicInteger entered = new AtomicInteger();
      // The first copy stays inside its transaction until the test lets it go.
      IdempotentConsumer.Reaction holding = (c, e) -> {
        notification.apply(c, e);
        if (entered.incrementAndGet() == 1) {
          firstInside.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        } else {
          secondInside.countDown();
        }
      };
      // Two instances of the service on one database (two replicas, or the old and the new owner of a partition
      // during a rebalance): a lock inside one object does not stop the other, only the primary key does.
      List<IdempotentConsumer> replicas = List.of(
          new IdempotentConsumer("notification", db.dataSource(), holding, "unused", "unused"),
          new IdempotentConsumer("notification", db.dataSource(), holding, "unused", "unused"));
      AtomicInteger copies = new AtomicInteger();
      OrderService.OrderConfirmed event = event("o-1");
      List<String> outcomes = new CopyOnWriteArrayList<>();
      Runnable apply = () -> {
        try {
          outcomes.add(replicas.get(copies.getAndIncrement() % 2).applyOnce(event) ? "applied" : "skipped");
        } catch (UnsupportedOperationException todo) {
          outcomes.add("TODO: " + todo.getMessage());
        } catch (Exception e) {
          outcomes.add("failed"); // e.g. a lock timeout: the offset stays, Kafka delivers it again
        }
      };
      Thread first = new Thread(apply, "copy-1");
      first.start();
      // until the first copy is inside its reaction, or has ended without getting there (unfinished code: at once)
      long insideBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!firstInside.await(20, TimeUnit.MILLISECONDS) && first.isAlive() && System.nanoTime() < insideBy) {
        // waiting, with a bound
      }
      if (firstInside.getCount() > 0) {
        release.countDown();
        first.join(10_000);
        fail("TODO 4: the first copy never reached the reaction: " + outcomes);
      }
      Thread second = new Thread(apply, "copy-2");
      second.start();
      // The second copy either waits for the first's primary key (as it should), or gets into the reaction too, or
      // ends. Once it spins on the key the first holds (H2 retries the insert until the first transaction ends), what
      // it does next no longer depends on how long the first stays inside: the first is released then, or once the
      // second entered the reaction or ended, instead of after a fixed 1.5 s, which stays only as the bound.
      // A second copy that waits in a lock of this JVM instead (synchronized on the class, a static lock: one that every
      // instance in this process shares) is seen there the same way, and ends the wait as well.
      long holdUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
      int seenWaiting = 0; // two looks in a row, 5 ms apart: a key check that does not wait takes microseconds
      int seenLocked = 0;
      String lockedAt = null;
      while (secondInside.getCount() > 0 && second.isAlive() && seenWaiting < 2 && seenLocked < 2
          && System.nanoTime() < holdUntil) {
        Thread.sleep(5);
        seenWaiting = waitsForAKey(second) ? seenWaiting + 1 : 0;
        String at = waitsInThisJvm(second);
        seenLocked = at != null ? seenLocked + 1 : 0;
        if (at != null) lockedAt = at;
      }
      boolean heldByTheJvm = seenLocked >= 2;
      boolean overlapped = secondInside.getCount() == 0;
      release.countDown();
      first.join(20_000);
      second.join(20_000);
      if (outcomes.contains("failed")) apply.run(); // the redelivery of the copy that failed

      assertThat(notification.emailedOrders()).as("TODO 4: emails queued when two copies of o-1's event were applied at"
          + " the same time (outcomes %s; the second %s the reaction while the first was still in it). Looking the id"
          + " up first finds nothing in both (and a synchronized applyOnce locks one replica, not the other): let"
          + " recordOnce's insert, whose primary key waits for the other transaction, decide, and apply only if it returned true", outcomes,
          overlapped ? "entered" : "did not enter").containsExactly("o-1");
      assertThat(outcomes).as("TODO 4: what applyOnce answered for the two copies (and a redelivery of one that failed)")
          .contains("applied").doesNotHaveDuplicates();
      assertThat(heldByTheJvm ? "waited in " + lockedAt : "reached the database").as("TODO 4: where the second copy of"
          + " o-1's event (given to another instance of the service) waited while the first was inside its transaction"
          + " (outcomes %s). A lock that every instance in this process shares (synchronized on the class, a static lock)"
          + " takes the copies one at a time here, but two instances of a service are two processes, which share no lock"
          + " of the JVM: there a look-up first finds nothing in both, and both apply. Let recordOnce's insert, whose"
          + " primary key waits for the other transaction, decide (apply only if it returned true): no lock of your own",
          outcomes).isEqualTo("reached the database");
    }

    /**
     * Where a thread waits, as "Class.method (state)", if it waits (blocked or parked) inside IdempotentConsumer but not
     * in the database's code: a lock of this JVM. Null if it waits in H2 (for a key, a lock of the database) or runs.
     */
    String waitsInThisJvm(Thread thread) {
      Thread.State state = thread.getState();
      if (state != Thread.State.BLOCKED && state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) return null;
      StackTraceElement[] frames = thread.getStackTrace();
      boolean inConsumer = false;
      for (StackTraceElement frame : frames) {
        if (frame.getClassName().startsWith("org.h2.") || frame.getClassName().startsWith("workbook.")) return null;
        if (frame.getClassName().startsWith("IdempotentConsumer")) inConsumer = true;
      }
      return inConsumer && frames.length > 0 ? frames[0].getClassName() + "." + frames[0].getMethodName() + " (" + state
          + ")" : null;
    }

    /** Whether a thread is in H2's check of a unique key (where an insert spins while another transaction holds the
     *  key) or in its wait for another transaction's lock. */
    boolean waitsForAKey(Thread thread) {
      for (StackTraceElement frame : thread.getStackTrace()) {
        String at = frame.getClassName() + "." + frame.getMethodName();
        if (at.equals("org.h2.mvstore.db.MVSecondaryIndex.checkUnique")
            || at.equals("org.h2.mvstore.tx.Transaction.waitForThisToEnd")) return true;
      }
      return false;
    }

    @Test
    @DisplayName("a failure inside the reaction leaves the event unrecorded, so the retry applies it")
    void failureRollsBack() throws Exception {
      // The reaction fails the way a database does (an SQLException) and the way its own code does (a
      // RuntimeException: a bug, a check that refuses): either way the transaction must be rolled back.
      for (boolean unchecked : new boolean[] {false, true}) {
        String kind = unchecked ? "a RuntimeException (the reaction's own code failed)" : "an SQLException";
        Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
        Notification notification = new Notification(db.dataSource());
        // A database that commits a transaction left open at close (as Oracle's driver does): only a rollback undoes it.
        IdempotentConsumer reader = new IdempotentConsumer("notification", new CommitsOnClose(db.dataSource()),
            new FailingAfter(notification, 1, unchecked), "unused", "unused");
        OrderService.OrderConfirmed event = event("o-1");

        Throwable failure = catchThrowable(() -> reader.applyOnce(event));
        if (failure instanceof UnsupportedOperationException todo) throw todo;
        assertThat(failure).as("TODO 4: applyOnce must let the reaction's failure (%s) out (the consumer then commits"
            + " no offset)", kind).isNotNull();
        assertThat(rows(db, "SELECT event_id FROM processed_events")).as("TODO 4: processed_events after an attempt"
            + " whose reaction failed with %s: the email rolled back, so the event must not count as processed (same"
            + " transaction, and c.rollback() whatever the reaction threw, SQLException or RuntimeException: this"
            + " database, as Oracle's, commits what a closed connection left open)", kind).isEmpty();
        assertThat(reader.applyOnce(event)).as("TODO 4: applyOnce of the retry, after %s", kind).isTrue();
        assertThat(notification.emailedOrders()).as("TODO 4: emails after the failure (%s) and the retry", kind)
            .containsExactly("o-1");
      }
    }

    @Test
    @DisplayName("processed_events remembers events, not orders: a second event of the same order is applied")
    void dedupByEventId() throws Exception {
      Db db = later(Db.fresh("analytics").execute(Analytics.SCHEMA));
      Analytics analytics = new Analytics(db.dataSource());
      IdempotentConsumer reader = new IdempotentConsumer("analytics", db.dataSource(), analytics, "unused", "unused");
      OrderService.OrderConfirmed first = event("o-1");
      OrderService.OrderConfirmed second = new OrderService.OrderConfirmed(java.util.UUID.randomUUID().toString(),
          "order.confirmed", "o-1", "espresso-cup", 2); // the same order, a new event (its own id): 2 more cups

      assertThat(reader.applyOnce(first)).as("TODO 4: applyOnce of o-1's first event").isTrue();
      assertThat(reader.applyOnce(second)).as("TODO 4: applyOnce of a second, different event of order o-1 (event id %s,"
          + " not %s) returned false: processed_events must hold event.eventId(). The order id (or the record's key)"
          + " names an order, which can have many events; only a redelivery repeats an event's id",
          second.eventId(), first.eventId()).isTrue();
      assertThat(analytics.unitsSold("espresso-cup")).as("TODO 4: units counted from both events").isEqualTo(3);
    }

    @Test
    @DisplayName("a failure that lasts longer than any retry never ends in a skip: the event waits until it can be applied")
    void longFailureNeverSkips() throws Exception {
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      IdempotentConsumer reader = new IdempotentConsumer("notification", new CommitsOnClose(db.dataSource()),
          new FailingAfter(notification, 5), "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1");

      List<String> attempts = new ArrayList<>();
      for (int attempt = 1; attempt <= 10 && !attempts.contains("applied"); attempt++) {
        try {
          attempts.add(reader.applyOnce(event) ? "applied" : "skipped");
        } catch (UnsupportedOperationException todo) {
          throw todo;
        } catch (Exception e) {
          attempts.add("failed");
        }
      }
      assertThat(attempts).as("TODO 4: what applyOnce answered, call after call, while the reaction failed 5 times in a"
          + " row. 'skipped' (false) means the consumer commits the offset of an event that was never applied: it is"
          + " lost. However many retries you allow, an outage that outlasts them must end in an exception (the"
          + " offset stays, the event comes again), never in a skip. (A skip after a failure also happens when the id"
          + " was recorded in a transaction apart from the effect: the retry finds it)")
          .doesNotContain("skipped").endsWith("applied");
      assertThat(notification.emailedOrders()).as("TODO 4: emails once the failure was over").containsExactly("o-1");
    }

    @Test
    @DisplayName("a failure recording the event's id (a lock timeout) is a failure, not a second copy: the event is applied once it passes")
    void idRecordFailureIsNoDuplicate() throws Exception {
      // A lock timeout, and every integrity violation that is not a duplicate key (a NOT NULL, a foreign key, a check,
      // an unspecified one): the table refused the id for another reason, so nobody knows whether it was seen before.
      List<java.util.function.Supplier<SQLException>> kinds = List.of(
          () -> new SQLException("simulated: timeout trying to lock table PROCESSED_EVENTS", "HYT00"),
          () -> new java.sql.SQLIntegrityConstraintViolationException("simulated: NULL not allowed for EVENT_ID", "23502"),
          () -> new java.sql.SQLIntegrityConstraintViolationException("simulated: referential integrity", "23503"),
          () -> new java.sql.SQLIntegrityConstraintViolationException("simulated: check constraint violated", "23513"),
          () -> new java.sql.SQLIntegrityConstraintViolationException("simulated: integrity constraint violated", "23000"));
      for (java.util.function.Supplier<SQLException> kind : kinds) idRecordFailureIsNoDuplicate(kind);
    }

    void idRecordFailureIsNoDuplicate(java.util.function.Supplier<SQLException> kind) throws Exception {
      SQLException sample = kind.get();
      String what = sample.getClass().getSimpleName() + " with SQLState " + sample.getSQLState();
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      IdempotentConsumer reader = new IdempotentConsumer("notification", ExecutionFails.first(db.dataSource(), RECORD_ID, 2, kind),
          notification, "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1");

      List<String> attempts = new ArrayList<>();
      for (int attempt = 1; attempt <= 5 && !attempts.contains("applied"); attempt++) {
        try {
          attempts.add(reader.applyOnce(event) ? "applied" : "skipped");
        } catch (UnsupportedOperationException todo) {
          throw todo;
        } catch (Exception e) {
          attempts.add("failed");
        }
      }
      assertThat(attempts).as("TODO 4: what applyOnce answered, call after call, while recording the event's id failed"
          + " twice with %s. Only a duplicate key (SQLState 23505, DUPLICATE_KEY) means 'seen before'; any other"
          + " failure, another integrity violation too, must come out as an exception (the offset stays, the event"
          + " comes again). 'skipped' commits the offset of an event that was never applied", what)
          .containsExactly("failed", "failed", "applied");
      assertThat(notification.emailedOrders()).as("TODO 4: emails once the failures (%s) were over", what)
          .containsExactly("o-1");
    }

    @Test
    @DisplayName("a duplicate key from the reaction's own tables is a failure, not a second copy: the event is applied once it passes")
    void reactionsDuplicateIsNoCopy() throws Exception {
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      AtomicInteger failures = new AtomicInteger(1);
      // Its first attempt does its work, then its own table refuses a row (two replicas inserting a product's first
      // sales row at once, say): a duplicate key, SQLState 23505, but not in processed_events.
      IdempotentConsumer.Reaction clashing = (c, e) -> {
        notification.apply(c, e);
        if (failures.getAndDecrement() > 0) {
          throw new java.sql.SQLIntegrityConstraintViolationException("simulated: Unique index or primary key"
              + " violation: PUBLIC.SALES(PRODUCT_ID)", IdempotentConsumer.DUPLICATE_KEY, 23505);
        }
      };
      IdempotentConsumer reader = new IdempotentConsumer("notification", new CommitsOnClose(db.dataSource()), clashing,
          "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1");

      List<String> attempts = new ArrayList<>();
      for (int attempt = 1; attempt <= 3 && !attempts.contains("applied"); attempt++) {
        try {
          attempts.add(reader.applyOnce(event) ? "applied" : "skipped");
        } catch (UnsupportedOperationException todo) {
          throw todo;
        } catch (Exception e) {
          attempts.add("failed");
        }
      }
      assertThat(attempts).as("TODO 4: what applyOnce answered, call after call, when the reaction's own table refused"
          + " a row with a duplicate key (SQLState 23505) once. Only recordOnce's insert into processed_events says"
          + " 'seen before'; a duplicate key from the reaction is its failure: roll back and let it out (the event"
          + " comes again). A catch of 23505 around the whole transaction skips the event, and the loop commits its"
          + " offset unapplied").containsExactly("failed", "applied");
      assertThat(notification.emailedOrders()).as("TODO 4: emails once the reaction's failure was over")
          .containsExactly("o-1");
    }

    @Test
    @DisplayName("a duplicate key is known by its SQLState alone, as every database reports it: the second copy changes nothing")
    void duplicateKnownBySqlState() throws Exception {
      // PostgreSQL's driver reports a duplicate as a plain SQLException with SQLState 23505, vendor code 0, and words
      // of its own; H2's says "Unique index or primary key violation", vendor code 23505.
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      IdempotentConsumer reader = new IdempotentConsumer("notification", ExecutionFails.nth(db.dataSource(), RECORD_ID, 2,
          () -> new SQLException("ERROR: duplicate key value violates unique constraint \"processed_events_pkey\"",
              IdempotentConsumer.DUPLICATE_KEY, 0)), notification, "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1");

      assertThat(reader.applyOnce(event)).as("TODO 4: applyOnce of a new event").isTrue();
      String second;
      try {
        second = String.valueOf(reader.applyOnce(event));
      } catch (UnsupportedOperationException todo) {
        throw todo;
      } catch (Exception e) {
        second = "threw " + e;
      }
      assertThat(second).as("TODO 4: what applyOnce answered for a second copy whose id the database refused with"
          + " SQLState 23505 in PostgreSQL's words (vendor code 0, a plain SQLException): false, seen before. Only the"
          + " SQLState says 'duplicate key' the same way in every database (recordOnce compares it with DUPLICATE_KEY);"
          + " a vendor code, an exception class or the message's words belong to one driver, and turn every"
          + " redelivery into a failure that comes again forever").isEqualTo("false");
      assertThat(notification.emailedOrders()).as("TODO 4: emails after o-1's event came twice").containsExactly("o-1");
    }

    @Test
    @DisplayName("applyOnce leaves telling the outside world to the loop, after the commit: a watcher never hears of an uncommitted change")
    void toldOnlyAfterCommit() throws Exception {
      Db db = later(Db.fresh("inventory").execute(Inventory.SCHEMA));
      Inventory inventory = new Inventory(db.dataSource());
      List<String> told = new CopyOnWriteArrayList<>();
      // Inventory's reaction; its afterCommit notes the stock level that other connections (a watcher's) read then.
      IdempotentConsumer.Reaction watched = new IdempotentConsumer.Reaction() {
        @Override public void apply(Connection c, OrderService.OrderConfirmed e) throws SQLException { inventory.apply(c, e); }
        @Override public void afterCommit(OrderService.OrderConfirmed e) { told.add("told " + inventory.stock(e.productId())); }
      };
      IdempotentConsumer reader = new IdempotentConsumer("inventory", db.dataSource(), watched, "unused", "unused");
      OrderService.OrderConfirmed event = event("o-1"); // 1 x espresso-cup, of 12

      assertThat(reader.applyOnce(event)).as("TODO 4: applyOnce of a new event").isTrue();
      if (reader.applyOnce(event)) fail("TODO 4: applyOnce of the same event again returned true");
      assertThat(told).as("TODO 4: what applyOnce told the service's watchers (afterCommit) while applying o-1's event"
          + " twice: nothing. The loop (pollOnce) calls afterCommit once applyOnce returned true, after the commit;"
          + " called inside applyOnce it pushes a level read before the commit (12, not 11), and twice").isEmpty();
      assertThat(inventory.stock("espresso-cup")).as("TODO 4: espresso cups after o-1's event").isEqualTo(11);
    }

    @Test
    @DisplayName("a reaction that fails is retried from Kafka until it succeeds, and applied once")
    void failureIsRedelivered() throws Exception {
      requireApplyOnce();
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      String topic = Topics.fresh("orders", 1);
      String group = Topics.unique("notification");
      later(new IdempotentConsumer("notification", db.dataSource(), new FailingAfter(notification, 1), topic,
          group).restartAfter(Duration.ofMillis(10)).start()); // the pause is not the lesson
      publish(topic, event("o-1"), event("o-2"));

      // The wait ends as soon as the group has committed past both events with an email missing: a group commits an
      // offset only once the effects before it are committed, so lag 0 read before the emails means both were applied.
      // (The lag, an admin client's question, is asked every 200 ms only.)
      int[] asked = {0};
      List<String> committedPast = new CopyOnWriteArrayList<>();
      Poll.until(() -> {
        if (++asked[0] % 10 == 0 && Topics.lag(group, topic) == 0 && notification.emailedOrders().size() < 2) {
          committedPast.add("lag 0, emails queued " + notification.emailedOrders());
        }
        return !committedPast.isEmpty() || notification.emailedOrders().size() >= 2;
      }, Duration.ofSeconds(20), () -> "TODO 4: emails queued: " + notification.emailedOrders() + ", expected o-1 and o-2."
          + " The first attempt failed; a consumer that commits its offset before the database transaction never sees it"
          + " again");
      assertThat(committedPast).as("TODO 4: the group committed past both events while an email was missing (its first"
          + " attempt failed): that event is never delivered again. pollOnce (given) commits the offsets only after every"
          + " record of the poll was applied; commit before applying, and a failed effect is skipped for good").isEmpty();
      assertThat(notification.emailedOrders()).as("TODO 4: emails queued, each order once").containsExactly("o-1", "o-2");
    }

    @Test
    @org.junit.jupiter.api.Order(2) // one topic, one consumer: a second or two, before the tests that wait on a whole shop
    @DisplayName("a poll of second copies only is committed too: once they are read, the group's lag is 0")
    void copiesOnlyPollIsCommitted() throws Exception {
      requireApplyOnce();
      Db db = later(Db.fresh("notification").execute(Notification.SCHEMA));
      Notification notification = new Notification(db.dataSource());
      String topic = Topics.fresh("orders", 1);
      String group = Topics.unique("notification");
      IdempotentConsumer reader = new IdempotentConsumer("notification", db.dataSource(), notification, topic, group);
      // o-1's event applied already (as before a relay sent it again): what Kafka holds now is its second copy, twice
      OrderService.OrderConfirmed event = event("o-1");
      reader.applyOnce(event);
      publish(topic, event, event);
      java.util.Map<String, Object> config = Clients.consumerConfig(group, "notification");
      config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      int read = 0;
      try (org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer = Clients.consumer(config)) {
        Clients.subscribe(consumer, topic);
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (read < 2 && System.nanoTime() < until) read += reader.pollOnce(consumer);
      }
      assertThat(read).as("TODO 4: records pollOnce read from a topic holding two copies of o-1's event").isEqualTo(2);
      assertThat(notification.emailedOrders()).as("TODO 4: emails after two more copies of o-1's event, applied before")
          .containsExactly("o-1");
      assertThat(Topics.lag(group, topic)).as("TODO 4: the group's lag once pollOnce read both copies of an event applied"
          + " before: a poll is committed once every record of it is done, applied or skipped as a copy. A poll of copies"
          + " only that is not committed (\"nothing changed, nothing to commit\") stays behind the group's offset: the lag"
          + " never reaches 0, and every restart, every rebalance reads those copies again").isZero();
    }

    @Test
    @DisplayName("inventory stopped, orders placed, inventory restarted: nothing lost, nothing applied twice")
    void stoppedConsumerLosesNothing() throws Exception {
      // given: the whole shop, with inventory's consumer stopped
      Shop shop = later(new Shop(0, Duration.ofMillis(250)));
      shop.inventoryReader.stop();
      // when: three orders, one of whose events the relay publishes twice; then inventory starts again
      for (int i = 0; i < 3; i++) placeThrough(shop, "espresso-cup");
      Poll.until(() -> shop.notification.emailedOrders().size() == 3, Duration.ofSeconds(15),
          () -> "TODO 4: while inventory was stopped, notification (which kept running) queued emails for "
              + shop.notification.emailedOrders() + ", expected 3 orders");
      assertThat(shop.inventory.stock("espresso-cup")).as("stock while inventory is stopped: its events wait in Kafka")
          .isEqualTo(12);
      sendFirstEventAgain(shop);
      shop.inventoryReader.start();
      // then: every consumer applied every order once
      awaitCaughtUp(shop);
      assertThat(shop.inventory.stock("espresso-cup")).as("TODO 4: espresso-cup after 3 orders (12 - 3), one of whose"
          + " events Kafka delivered twice: record each eventId and skip one already recorded").isEqualTo(9);
      assertThat(shop.notification.emailedOrders()).as("TODO 4: emails, one per order").hasSize(3).doesNotHaveDuplicates();
      assertThat(shop.analytics.unitsSold("espresso-cup")).as("TODO 4: units counted by analytics").isEqualTo(3);
    }

    @Test
    @DisplayName("under generated faults (the process dying just before and just after a database commit, a failed"
        + " commit, an event delivered twice), each restart reading on from the committed offset: every event applied"
        + " once, none lost, lag 0")
    void eachEventOnceUnderFaults() throws Exception {
      requireApplyOnce();
      workbook.faults.Schedules.check("lab 16's consumer under crashes", 2, ShopTest::faultSchedule,
          schedule -> consumeUnderFaults(schedule));
    }

    void consumeUnderFaults(List<Fault> schedule) throws Exception {
      try (Db db = Db.fresh("notification").execute(Notification.SCHEMA)) {
        workbook.faults.FaultyDatabase faulty = new workbook.faults.FaultyDatabase(db.dataSource());
        schedule.forEach(f -> faulty.at(f.atCommit(), f.kind()));
        Notification notification = new Notification(db.dataSource());
        String topic = Topics.fresh("orders", 1);
        String group = Topics.unique("notification");
        List<OrderService.OrderConfirmed> events = new ArrayList<>();
        for (int i = 1; i <= 6; i++) events.add(event("o-" + i));
        // e-2 and e-5 are delivered twice (a relay that died after the broker's ack sends its row again)
        publish(topic, events.get(0), events.get(1), events.get(1), events.get(2), events.get(3), events.get(4),
            events.get(4), events.get(5));
        // what the loop tells the outside world (afterCommit): at most once per event, and only for one it applied then
        List<String> told = new CopyOnWriteArrayList<>();
        IdempotentConsumer.Reaction telling = new IdempotentConsumer.Reaction() {
          @Override public void apply(Connection c, OrderService.OrderConfirmed e) throws SQLException { notification.apply(c, e); }
          @Override public void afterCommit(OrderService.OrderConfirmed e) { told.add(e.orderId()); }
        };
        IdempotentConsumer reader = new IdempotentConsumer("notification", faulty, telling, topic, group);
        int restarts = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        boolean done = false;
        while (!done && System.nanoTime() < deadline) {
          java.util.Map<String, Object> config = Clients.consumerConfig(group, "notification-" + (restarts + 1));
          config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
          try (org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer = Clients.consumer(config)) {
            Clients.subscribe(consumer, topic);
            while (System.nanoTime() < deadline) {
              if (reader.pollOnce(consumer) == 0 && Topics.lag(group, topic) == 0) {
                done = true;
                break;
              }
            }
          } catch (workbook.faults.Crash | SQLException e) {
            restarts++; // the process is gone; the next one reads on from the group's committed offset
          }
        }
        assertThat(notification.emailedOrders()).as("TODO 4: emails after 6 orders' events (2 of them delivered twice)"
            + " were read through %d restart(s), the process dying just before and just after a database commit and a"
            + " commit failing: each order once. A missing one was committed before it was applied (or skipped after a"
            + " failure); a second one was applied again (its id recorded apart from the effect, or not at all)",
            restarts).containsExactlyInAnyOrder("o-1", "o-2", "o-3", "o-4", "o-5", "o-6");
        assertThat(Topics.lag(group, topic)).as("TODO 4: the group's lag at the end").isZero();
        assertThat(told).as("TODO 4: the orders whose events the loop told the outside world of (afterCommit), read"
            + " through %d restart(s), 2 of the 6 events delivered twice: each at most once (one whose process died"
            + " just after its commit is told never: nobody was there to tell). afterCommit follows an applyOnce that"
            + " returned true: a second copy skipped committed nothing, and told again, a mailer in afterCommit sends its"
            + " email twice", restarts).doesNotHaveDuplicates();
        // checked last: a consumer that lost events made fewer commits, and its TODO is told above
        assertThat(faulty.faultsPending()).as("faults of the schedule not met (commits made: %d)", faulty.commits())
            .isZero();
      }
    }

    /** Fails at once, naming TODO 4, while applyOnce is not written yet (instead of waiting for Kafka). */
    void requireApplyOnce() throws Exception {
      try (Db probe = Db.fresh("probe").execute(Notification.SCHEMA)) {
        new IdempotentConsumer("probe", probe.dataSource(), new Notification(probe.dataSource()), "unused", "unused")
            .applyOnce(event("o-0"));
      }
    }

    /** As a relay that crashed after the broker's ack and before marking the row does on restart. */
    void sendFirstEventAgain(Shop shop) throws Exception {
      shop.orders.execute("UPDATE outbox SET sent_at = NULL WHERE id = (SELECT MIN(id) FROM outbox)");
      Poll.until(() -> Topics.endOffsets(shop.topic).values().stream().mapToLong(Long::longValue).sum() == 4,
          Duration.ofSeconds(15), () -> "the relay to publish the first order's event a second time");
    }

    void awaitCaughtUp(Shop shop) {
      Poll.until(() -> Topics.lag(shop.inventoryReader.group(), shop.topic) == 0
          && Topics.lag(shop.notificationReader.group(), shop.topic) == 0
          && Topics.lag(shop.analyticsReader.group(), shop.topic) == 0, Duration.ofSeconds(30),
          () -> "TODO 4: every consumer to read and commit all 4 events; inventory has taken "
              + (12 - shop.inventory.stock("espresso-cup")) + " cups so far");
    }
  }

  @Nested
  @Tag("step5")
  @DisplayName("Step 5: live stock on the page (gRPC stream to Server-Sent Events)")
  class Step5 {
    Db stock = later(Db.fresh("inventory").execute(Inventory.SCHEMA));
    Inventory inventory = new Inventory(stock.dataSource());

    @Test
    @DisplayName("GET /api/stock sends the current levels, stays open, and sends each change")
    void streams() throws Exception {
      EventStream stream = later(new EventStream(gatewayTo(inventory).url() + "/api/stock"));

      List<String> snapshot = stream.take(3, Duration.ofSeconds(10), "a stream ends when the handler returns,"
          + " unless it calls client.keepAlive()");
      assertThat(stream.contentType).as("TODO 5: the Content-Type of GET /api/stock: EventSource accepts only"
          + " text/event-stream").startsWith("text/event-stream");
      assertThat(snapshot).as("TODO 5: the first events of the stream: the current level of every product")
          .containsExactlyInAnyOrder("stock {\"productId\":\"beans-1kg\",\"quantity\":30}",
              "stock {\"productId\":\"espresso-cup\",\"quantity\":12}",
              "stock {\"productId\":\"hand-grinder\",\"quantity\":5}");
      inventory.restock("beans-1kg", 5);
      List<String> next = stream.take(1, Duration.ofSeconds(10), "a stream that ends after the snapshot is a snapshot:"
          + " call client.keepAlive()");
      assertThat(next).as("TODO 5: the next event after a delivery of 5 beans")
          .containsExactly("stock {\"productId\":\"beans-1kg\",\"quantity\":35}");
    }

    @Test
    @DisplayName("an open page holds no server thread: the handler returns, and keepAlive keeps its stream open")
    void openPageHoldsNoThread() throws Exception {
      EventStream stream = later(new EventStream(gatewayTo(inventory).url() + "/api/stock"));
      stream.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
      // The handler has returned by the time its snapshot is out, or a moment later: wait for that, with a bound.
      java.util.function.Supplier<List<String>> inside = () -> Thread.getAllStackTraces().entrySet().stream()
          .filter(t -> java.util.Arrays.stream(t.getValue()).anyMatch(f -> f.getClassName().equals("StockFeed")
              && (f.getMethodName().equals("stream") || f.getMethodName().equals("connect"))))
          .map(t -> t.getKey().getName()).toList();
      Poll.until(() -> inside.get().isEmpty(), Duration.ofSeconds(5), () -> "TODO 5: a page's stream is open, and"
          + " server threads " + inside.get() + " are still inside StockFeed.stream, waiting: the handler must"
          + " return, and client.keepAlive() keeps the stream open. A handler that waits until its page leaves holds"
          + " one of the gateway's request threads per open tab; with enough tabs open, none is left to answer a POST");
      inventory.restock("beans-1kg", 5);
      assertThat(stream.take(1, Duration.ofSeconds(10), "the stream must stay open after the handler returned:"
          + " client.keepAlive()")).as("TODO 5: the next event after a delivery of 5 beans")
          .containsExactly("stock {\"productId\":\"beans-1kg\",\"quantity\":35}");
    }

    @Test
    @DisplayName("an order's stock change reaches the page after inventory's transaction committed, never before")
    void pushedAfterCommit() throws Exception {
      EventStream stream = later(new EventStream(gatewayTo(inventory).url() + "/api/stock"));
      stream.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
      OrderService.OrderConfirmed event = event("o-1"); // 1 x espresso-cup
      // as IdempotentConsumer does: the reaction in a transaction; once failing (rolled back), then committed
      try (Connection c = stock.dataSource().getConnection()) {
        c.setAutoCommit(false);
        inventory.apply(c, event);
        c.rollback();
        inventory.apply(c, event);
        c.commit();
      }
      inventory.afterCommit(event);

      assertThat(stream.take(1, Duration.ofSeconds(10), "inventory tells its watchers in afterCommit"))
          .as("TODO 5: the next event after one order of 1 espresso cup (12 in stock) was rolled back once, then"
              + " committed. A level pushed from inside the transaction is read before the commit (the old 12), and"
              + " a rolled-back change would be pushed too: tell the watchers after the commit")
          .containsExactly("stock {\"productId\":\"espresso-cup\",\"quantity\":11}");
    }

    @Test
    @DisplayName("three pages open: when the middle one goes away, its own call ends, and the others keep their streams")
    void pagesLeaveOnTheirOwn() throws Exception {
      Gateway gateway = gatewayTo(inventory);
      // Opened one after the other; the one opened second leaves (neither the first nor the last).
      EventStream first = later(new EventStream(gateway.url() + "/api/stock"));
      first.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
      Object feed = fieldOfType(gateway, StockFeed.class);
      java.util.Set<String> sharedOnOnePage = sharedFeedFields(feed);
      java.util.Map<String, String> feedOnePage = fieldsOf(feed, sharedOnOnePage);
      EventStream leaving = new EventStream(gateway.url() + "/api/stock");
      EventStream last;
      try (leaving) {
        leaving.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
        last = later(new EventStream(gateway.url() + "/api/stock"));
        last.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
        assertThat(inventory.watchers()).as("TODO 5: gRPC calls watching inventory while three pages are open")
            .isEqualTo(3);
        // Two pages can also connect at once, and meet between two lines of stream, where no test can hold them: what a
        // page leaves in the feed's own fields (its cancel, its call), a page connecting at the same time writes over.
        // The fields the given code keeps for every page (the stub, the open clients, the heartbeat) are shared on purpose,
        // and so is what each page keeps under its own client (a map from client to its cancel): no page reads another's.
        java.util.Set<String> shared = new java.util.HashSet<>(sharedOnOnePage);
        shared.retainAll(sharedFeedFields(feed)); // shared while one page was open and while three were
        assertThat(changes(feedOnePage, fieldsOf(feed, shared))).as("TODO 5: StockFeed's fields that the pages"
            + " opened after the first one changed, as field: before -> after. A page's cancel kept in a field of the"
            + " feed belongs to whichever page set it last: two pages connecting at once can each register the other's,"
            + " and then one page going away ends another page's call. Keep each page's cancel in a local variable of"
            + " stream and give it to that page's own client.onClose (or, if the feed must hold it, under that page's own"
            + " client, in a map keyed by the client)").isEmpty();
      }
      Poll.until(() -> inventory.watchers() <= 2, Duration.ofSeconds(10), () -> "TODO 5: one of three pages left, but"
          + " the gateway still has " + inventory.watchers() + " calls open: run that page's cancel in its onClose");
      inventory.restock("beans-1kg", 5);
      for (EventStream staying : List.of(first, last)) {
        String which = staying == first ? "first" : "last";
        assertThat(staying.take(1, Duration.ofSeconds(10), "the " + which + " page lost its stream when the middle"
            + " one left: each page's onClose must cancel that page's own call (a cancel kept in a field belongs to"
            + " whichever page set it)")).as("TODO 5: the next event on the %s page, which stayed, after a delivery of"
            + " 5 beans", which).containsExactly("stock {\"productId\":\"beans-1kg\",\"quantity\":35}");
      }
      assertThat(inventory.watchers()).as("TODO 5: gRPC calls watching inventory once the middle one of three pages"
          + " left: its own call ended, the other two go on").isEqualTo(2);
    }

    @Test
    @DisplayName("when inventory ends a page's call, finished or failed, the page's stream ends too, so its browser reconnects")
    void streamEndsWithItsCall() throws Exception {
      Server server = serve(inventory);
      ManagedChannel channel = channel(server.getPort());
      Gateway gateway = later(new Gateway(0, channel, channel, Gateway.DEADLINE, Duration.ofMillis(200)));
      List<String> wrong = new ArrayList<>();
      // finished: inventory ends every watch, as when it shuts down in good order
      EventStream finished = later(new EventStream(gateway.url() + "/api/stock"));
      finished.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
      inventory.endWatches();
      // (a closed call closes its stream at once: 3 s is room for a loaded machine, not a race)
      if (!finished.ends(Duration.ofSeconds(3))) wrong.add("inventory finished the call (onCompleted)");
      // failed: inventory's server goes away in the middle of the call
      EventStream failed = later(new EventStream(gateway.url() + "/api/stock"));
      failed.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
      server.shutdownNow();
      if (!failed.ends(Duration.ofSeconds(3))) wrong.add("inventory's call failed (onError)");
      // failed with each status a server can end a call with, CANCELLED too (inventory cancelled it: this page did not
      // leave, its onClose never ran): one page per code, each call ended by an inventory of the test's own, then one wait
      java.util.concurrent.BlockingQueue<io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel>> watching =
          new LinkedBlockingQueue<>();
      ManagedChannel toEnding = channel(serve(new workbook.grpc.inventory.InventoryGrpc.InventoryImplBase() {
        @Override public void watchStockLevels(workbook.grpc.inventory.WatchStockLevelsRequest request,
            io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> observer) {
          observer.onNext(workbook.grpc.inventory.StockLevel.newBuilder().setProductId("beans-1kg").setQuantity(30).build());
          watching.add(observer);
        }
      }).getPort());
      Gateway ending = later(new Gateway(0, toEnding, toEnding, Gateway.DEADLINE, Duration.ofMillis(200)));
      Map<Status.Code, EventStream> pages = new java.util.LinkedHashMap<>();
      for (Status.Code code : Status.Code.values()) {
        if (code == Status.Code.OK) continue;
        EventStream page = later(new EventStream(ending.url() + "/api/stock"));
        page.take(1, Duration.ofSeconds(10), "step 5's first test must pass first");
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> call = watching.poll(10, TimeUnit.SECONDS);
        assertThat(call).as("TODO 5: the gRPC call of the page opened for %s", code).isNotNull();
        call.onError(code.toStatus().withDescription("inventory ends this watch").asRuntimeException());
        pages.put(code, page);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // (one wait for all: each ends at once)
      for (Map.Entry<Status.Code, EventStream> page : pages.entrySet()) {
        if (!page.getValue().ends(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
          wrong.add("inventory's call failed with " + page.getKey() + " (onError)");
        }
      }
      assertThat(wrong).as("TODO 5: the ways inventory ended a page's call after which the page's stream stayed open (3 s). A stream"
          + " nobody feeds shows a stale stock forever; a closed one makes the browser's EventSource reconnect, which"
          + " starts a new call. Pass watchStock the observer toBrowser(client) makes: its onCompleted and onError"
          + " close the client, whatever the call's status: CANCELLED too, which here comes from inventory, not from this page's"
          + " own cancel (its browser is still there)").isEmpty();
    }

    @Test
    @DisplayName("when the browser goes away, the gateway cancels its gRPC call to inventory, and the page leaves nothing behind in the feed")
    void cancelsWhenTheBrowserLeaves() throws Exception {
      Gateway gateway = gatewayTo(inventory);
      Object feed = fieldOfType(gateway, StockFeed.class);
      java.util.Map<String, Integer> before = heldBy(feed);
      EventStream stream = new EventStream(gateway.url() + "/api/stock");
      try (stream) {
        stream.take(3, Duration.ofSeconds(10), "step 5's first test must pass first");
        assertThat(inventory.watchers()).as("TODO 5: gRPC calls watching inventory while one page is open").isEqualTo(1);
      }
      Poll.until(() -> inventory.watchers() == 0, Duration.ofSeconds(10), () -> "TODO 5: the browser left, but the"
          + " gateway still watches inventory (" + inventory.watchers() + " call open): run the cancel that"
          + " watchStock returned in client.onClose, or every closed tab leaks a stream");
      // and the page left nothing of its own in the feed (the given heartbeat forgets a closed client at its next beat)
      Poll.until(() -> heldBy(feed).equals(before), Duration.ofSeconds(5), () -> "TODO 5: the page left and its call"
          + " ended, but the feed's collections still hold more than before it came (" + before + " before, "
          + heldBy(feed) + " now): what a page keeps in the feed (its cancel, under its client) goes when it closes, in"
          + " its onClose (remove it there), or every page ever opened stays in the gateway's memory, its client and"
          + " its response with it. Simplest: keep the cancel in a local variable and hand it to client.onClose");
    }

    /** How many items each collection or map in the feed's fields holds. */
    java.util.Map<String, Integer> heldBy(Object feed) {
      java.util.Map<String, Integer> held = new java.util.TreeMap<>();
      for (java.lang.reflect.Field field : feed.getClass().getDeclaredFields()) {
        if (field.isSynthetic()) continue;
        try {
          field.setAccessible(true);
          Object value = field.get(java.lang.reflect.Modifier.isStatic(field.getModifiers()) ? null : feed);
          if (value instanceof java.util.Collection<?> items) held.put(field.getName(), items.size());
          if (value instanceof java.util.Map<?, ?> map) held.put(field.getName(), map.size());
        } catch (IllegalAccessException | RuntimeException e) {
          // a field that cannot be read holds nothing of the lab's own
        }
      }
      return held;
    }

    @Test
    @DisplayName("a change made while a page's snapshot is on its way reaches the page too: nothing falls between the"
        + " snapshot and the changes")
    void noChangeBetweenSnapshotAndChanges() throws Exception {
      // given: inventory on a database whose connection, the first one closed once the test arms it, holds its close
      // until the test lets it go: the snapshot of a watch that has read the levels and not sent them yet
      java.util.concurrent.CountDownLatch snapshotRead = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
      DataSource holding = new workbook.faults.DelegatingDataSource(stock.dataSource()) {
        @Override protected Connection connection(Connection c) {
          return (Connection) Proxy.newProxyInstance(ShopTest.class.getClassLoader(), new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().equals("close") && armed.compareAndSet(true, false)) {
                  snapshotRead.countDown();
                  release.await(20, TimeUnit.SECONDS);
                }
                return invoke(c, method, args);
              });
        }
      };
      Inventory watched = new Inventory(holding);
      ManagedChannel channel = channel(serve(watched).getPort());
      BlockingQueue<String> seen = new LinkedBlockingQueue<>();
      armed.set(true);
      // when: a page's watch starts (WatchStockLevels, as the gateway's StockFeed starts it), its snapshot is read and
      // held, and meanwhile a delivery of 5 beans is committed and told (restock, given)
      InventoryGrpc.newStub(channel).watchStockLevels(WatchStockLevelsRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override public void onNext(StockLevel level) { seen.add(level.getProductId() + " " + level.getQuantity()); }
        @Override public void onError(Throwable t) { seen.add("error " + Status.fromThrowable(t).getCode()); }
        @Override public void onCompleted() { seen.add("completed"); }
      });
      Thread delivery = new Thread(() -> {
        try {
          watched.restock("beans-1kg", 5);
        } catch (SQLException e) {
          seen.add("the delivery failed: " + e);
        }
      }, "a delivery of 5 beans");
      try {
        assertThat(snapshotRead.await(10, TimeUnit.SECONDS)).as("TODO 5: a watch's snapshot read within 10 s").isTrue();
        delivery.start();
        // the delivery is over, or it waits (blocked) inside inventory's tell for the watch whose snapshot is held
        Poll.until(() -> !delivery.isAlive() || delivery.getState() == Thread.State.BLOCKED && java.util.Arrays.stream(
            delivery.getStackTrace()).anyMatch(f -> f.getClassName().equals("Inventory") && f.getMethodName().equals("tell")),
            Duration.ofSeconds(10), () -> "the delivery to be told, or to wait for the held snapshot");
      } finally {
        release.countDown();
      }
      delivery.join(10_000);
      // and: a second delivery once the first is over and the watch is among inventory's watchers (1 grinder), which
      // every watch then gets: it ends the reading, so a watch that missed the first delivery shows at once, with no
      // wait for an event that never comes
      Poll.until(() -> watched.watchers() == 1, Duration.ofSeconds(10), () -> "TODO 5: the watch to be among"
          + " inventory's watchers (" + watched.watchers() + " now)");
      watched.restock("hand-grinder", 1);
      List<String> got = new ArrayList<>();
      for (String next; (next = seen.poll(10, TimeUnit.SECONDS)) != null; ) {
        got.add(next);
        if (next.equals("hand-grinder 6") || next.startsWith("error") || next.equals("completed")) break;
      }
      // then
      assertThat(got).as("TODO 5: what a watch got whose snapshot (beans 30) was read before a delivery of 5 beans was"
          + " committed and told, and sent after, then a delivery of 1 grinder: the snapshot, beans 35, grinders 6. A"
          + " watcher added to inventory's watchers only once its snapshot is out misses every change told in between,"
          + " and its page shows the old stock until the next change (Inventory, given: it adds the watcher first, then"
          + " sends the snapshot, both under the watcher's lock, so a change told meanwhile waits for the snapshot and"
          + " comes after it: keep that order)")
          .containsExactly("beans-1kg 30", "espresso-cup 12", "hand-grinder 5", "beans-1kg 35", "hand-grinder 6");
    }

    @Test
    @DisplayName("one writer at a time on a page's stream: a stock event and the heartbeat's comment never write into each other")
    void oneWriterAtATime() throws Exception {
      // given: a page whose response the test holds inside the first write it gets (the snapshot's first stock event,
      // written on a gRPC thread, or the heartbeat's comment, whichever comes first), and a heartbeat every 10 ms
      HeldOutput out = new HeldOutput();
      StockFeed feed = later(new StockFeed(channel(serve(inventory).getPort()), Duration.ofMillis(10)));
      List<String> seen = new ArrayList<>();
      try {
        // when: the page connects, its first write is held in the middle, and the other writer comes to write
        connectHeld(feed, out, "the page");
        // (a writer that waits its turn waits inside StockFeed, not running; one that does not wait writes at once)
        Poll.until(() -> !out.overlaps.isEmpty() || waitingToWrite(out.holder), Duration.ofSeconds(10), () -> "TODO 5:"
            + " the other writer (the stream's event or the heartbeat) to come while the page's first write is held (threads: " + Thread.getAllStackTraces().keySet()
            .stream().map(Thread::getName).sorted().toList() + ")");
        seen.addAll(out.overlaps);
      } finally {
        out.release.countDown();
      }
      // then
      assertThat(seen).as("TODO 5: threads that wrote to the page's response while another was in the middle of a"
          + " write (the first one to the page, the snapshot's event or the heartbeat's comment, held by the test): none. The gRPC stream's events and the heartbeat's"
          + " comments share one response, and an event is several lines: written at the same time they interleave, and"
          + " the page reads a broken event. Every write to a page goes through the given write(client, ...), one writer"
          + " at a time (synchronized on the client): keep its lock").isEmpty();
    }

    @Test
    @DisplayName("one page's write never holds up another page's: a page whose browser reads slowly delays its own stream only")
    void pagesWriteApart() throws Exception {
      // given: two pages on one feed. The first page's response holds the first write it gets (its snapshot's first event)
      // until the test lets it go, as the response of a browser that stopped reading does once the connection's buffers
      // are full; the heartbeat beats once a minute, so each write here is a page's own stream's
      HeldOutput slow = new HeldOutput();
      WrittenOutput other = new WrittenOutput();
      StockFeed feed = later(new StockFeed(channel(serve(inventory).getPort()), Duration.ofMinutes(1)));
      boolean wrote;
      try {
        connectHeld(feed, slow, "the first page");
        // when: the second page connects while the first page's write is held
        feed.connect(new io.javalin.http.sse.SseClient(pageWritingTo(other)));
        // (its snapshot is written at once, or its writer waits inside StockFeed for the first page's write to end)
        Poll.until(() -> other.written.getCount() == 0 || waitingToWrite(slow.holder), Duration.ofSeconds(10),
            () -> "TODO 5: the second page's snapshot to be written, or its writer to wait");
        wrote = other.written.await(2, TimeUnit.SECONDS);
      } finally {
        slow.release.countDown();
      }
      // then
      assertThat(wrote).as("TODO 5: whether the second page got its snapshot while the first page's write was held (a"
          + " browser that reads slowly). Its writer waited inside StockFeed instead: one lock for every page (a"
          + " synchronized write(), a lock on the feed or the class) makes each page wait for every other page's writes,"
          + " so one slow browser freezes the stock on every page, and the heartbeat too. One writer at a time per page:"
          + " keep the given write(client, ...), synchronized on that page's client").isTrue();
    }

    /** Connects a page whose response holds the first write it gets, and waits (10 s at most) until that write is held. */
    void connectHeld(StockFeed feed, HeldOutput out, String page) throws InterruptedException {
      feed.connect(new io.javalin.http.sse.SseClient(pageWritingTo(out)));
      assertThat(out.held.await(10, TimeUnit.SECONDS)).as("TODO 5: a first write to %s (its snapshot) within 10 s:"
          + " step 5's first test must pass first", page).isTrue();
    }

    /** A page's response that only notes that it was written to. */
    final class WrittenOutput extends jakarta.servlet.ServletOutputStream {
      final java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);

      @Override public void write(int b) { written.countDown(); }
      @Override public void write(byte[] b, int off, int len) { written.countDown(); }
      @Override public boolean isReady() { return true; }
      @Override public void setWriteListener(jakarta.servlet.WriteListener listener) {}
    }

    /** Whether a thread other than {@code holder} waits (blocked, not running) inside StockFeed: its turn to write. */
    boolean waitingToWrite(Thread holder) {
      return Thread.getAllStackTraces().entrySet().stream().anyMatch(t -> t.getKey() != holder
          && t.getKey().getState() != Thread.State.RUNNABLE && t.getKey().getState() != Thread.State.NEW
          && java.util.Arrays.stream(t.getValue()).anyMatch(f -> f.getClassName().startsWith("StockFeed")
              && (f.getMethodName().equals("write") || f.getMethodName().equals("ping"))));
    }

    /** A page's response that holds its first writer inside its write until released, and notes any other writer then. */
    final class HeldOutput extends jakarta.servlet.ServletOutputStream {
      final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
      final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      final List<String> overlaps = new CopyOnWriteArrayList<>();
      volatile Thread holder;

      private void enter() {
        Thread me = Thread.currentThread();
        synchronized (this) {
          if (holder == null) {
            holder = me;
          } else if (holder != me) {
            if (release.getCount() > 0) overlaps.add(me.getName());
            return;
          }
        }
        if (held.getCount() > 0) {
          held.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }

      @Override public void write(int b) { enter(); }
      @Override public void write(byte[] b, int off, int len) { enter(); }
      @Override public boolean isReady() { return true; }
      @Override public void setWriteListener(jakarta.servlet.WriteListener listener) {}
    }

    /** A Javalin Context of a page whose response writes to {@code out} (all an SseClient uses of it). */
    io.javalin.http.Context pageWritingTo(jakarta.servlet.ServletOutputStream out) {
      Object response = Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {jakarta.servlet.http.HttpServletResponse.class}, (proxy, method, args) ->
              method.getName().equals("getOutputStream") ? out : defaultFor(method.getReturnType()));
      Object json = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {io.javalin.json.JsonMapper.class},
          (proxy, method, args) -> method.getName().equals("toJsonString") ? workbook.kafka.Json.write(args[0])
              : defaultFor(method.getReturnType()));
      return (io.javalin.http.Context) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {io.javalin.http.Context.class}, (proxy, method, args) -> switch (method.getName()) {
            case "res" -> response;
            case "jsonMapper" -> json;
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            case "toString" -> "a page held by the test";
            default -> defaultFor(method.getReturnType());
          });
    }

    Object defaultFor(Class<?> type) {
      if (type == boolean.class) return false;
      if (type == int.class) return 0;
      if (type == long.class) return 0L;
      return null;
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    @EnabledIf(value = "ShopTest#browserTestRuns", disabledReason = "no Chromium or Chrome found: install Chromium"
        + " (Debian, Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium) or set CHROME_BIN"
        + " to a Chrome or Chromium, then run the tests again")
    @DisplayName("a real browser: click 'Buy one', and the stock on the page goes down")
    void realBrowser() throws Exception {
      // given: the shop, and the page open in a headless Chromium
      Path chromium = chromium();
      Shop shop = later(new Shop(0, Duration.ofMillis(250)));
      // The page needs the live stock (step 5): without it, say so at once instead of waiting for a number in a browser
      try (EventStream probe = new EventStream(shop.url() + "/api/stock")) {
        probe.take(3, Duration.ofSeconds(10), "the page shows the stock it gets from GET /api/stock: step 5's first"
            + " test must pass first");
      }
      Browser browser = later(Browser.start(chromium)); // closed first, while the shop still answers
      browser.open(shop.url());
      // when: the page shows the stock, and a user clicks "Buy one"

      String before = awaitNumber(browser, "#stock-espresso-cup", "TODO 5: the page never showed a stock number");
      browser.click("#buy-espresso-cup");
      // then: the number on the page goes down by one, pushed by the server (no reload)
      // (an order the gateway refused shows on the page at once: "Could not order (501 ...)" ends the wait)
      Poll.until(() -> String.valueOf(Integer.parseInt(before) - 1).equals(text(browser, "#stock-espresso-cup"))
          || String.valueOf(text(browser, "#status")).startsWith("Could not order"), Duration.ofSeconds(30),
          () -> "TODO 5: after a click on 'Buy one' the page shows " + text(browser, "#stock-espresso-cup")
              + " espresso cups, expected " + (Integer.parseInt(before) - 1) + ". The page says: '"
              + text(browser, "#status") + "'; live stock: " + text(browser, "#live") + "; console: " + browser.console());
      assertThat(text(browser, "#stock-espresso-cup")).as("TODO 5: espresso cups the page shows after a click on 'Buy"
          + " one' (%s before); the page says '%s': the gateway refused the order, so steps 1 to 4 come first",
          before, text(browser, "#status")).isEqualTo(String.valueOf(Integer.parseInt(before) - 1));
    }

    String awaitNumber(Browser browser, String selector, String why) {
      Poll.until(() -> text(browser, selector) != null && text(browser, selector).matches("-?\\d+"), Duration.ofSeconds(15),
          () -> why + " in " + selector + " (it shows '" + text(browser, selector) + "'; live stock: "
              + text(browser, "#live") + "; console: " + browser.console() + ")");
      return text(browser, selector);
    }

    String text(Browser browser, String selector) {
      try {
        return browser.text(selector);
      } catch (Exception e) {
        throw new IllegalStateException("could not read " + selector + " from the page: " + e.getMessage(), e);
      }
    }

    /** The browser to drive; in CI (where the test must run, not skip) a sentence if there is none. */
    Path chromium() {
      return Browser.find().orElseGet(() -> fail("CI must run the browser test, but no Chromium or Chrome was found"
          + (System.getenv("CHROME_BIN") == null ? "" : " (CHROME_BIN is " + System.getenv("CHROME_BIN") + ")")
          + ": install Chromium (apt-get install -y chromium), as .ci/run does, or set CHROME_BIN."));
    }
  }

  /** The browser test runs when there is a browser, and always in CI (env CI set), where it must. */
  static boolean browserTestRuns() {
    return System.getenv("CI") != null || Browser.find().isPresent();
  }

  // ---- the test's own tools -------------------------------------------------------------------

  /**
   * A wall clock stopped at one instant, for the lab's code loaded anew (processStartedAgain(true)): its reads of the
   * system's wall clock (System.currentTimeMillis, Instant.now(), LocalDateTime.now() and their kin, Clock.systemUTC())
   * are rewritten into calls of these methods. System.nanoTime, which measures durations, keeps running, unless the
   * processes started again are started at one instant (into(code, true)): then it reads one value too.
   */
  public static final class FrozenClock {
    static final java.time.Instant AT = java.time.Instant.parse("2026-03-01T09:00:00.123456789Z");
    static final java.time.Clock CLOCK = java.time.Clock.fixed(AT, java.time.ZoneOffset.UTC);
    static final Map<String, String> READS = Map.ofEntries(
        Map.entry("java/lang/System.currentTimeMillis()J", "currentTimeMillis"),
        Map.entry("java/time/Instant.now()Ljava/time/Instant;", "instant"),
        Map.entry("java/time/LocalDateTime.now()Ljava/time/LocalDateTime;", "localDateTime"),
        Map.entry("java/time/OffsetDateTime.now()Ljava/time/OffsetDateTime;", "offsetDateTime"),
        Map.entry("java/time/ZonedDateTime.now()Ljava/time/ZonedDateTime;", "zonedDateTime"),
        Map.entry("java/time/LocalTime.now()Ljava/time/LocalTime;", "localTime"),
        Map.entry("java/time/Clock.systemUTC()Ljava/time/Clock;", "clock"),
        Map.entry("java/time/Clock.systemDefaultZone()Ljava/time/Clock;", "clock"));

    public static long currentTimeMillis() { return AT.toEpochMilli(); }
    public static java.time.Instant instant() { return AT; }
    public static java.time.LocalDateTime localDateTime() { return java.time.LocalDateTime.now(CLOCK); }
    public static java.time.OffsetDateTime offsetDateTime() { return java.time.OffsetDateTime.now(CLOCK); }
    public static java.time.ZonedDateTime zonedDateTime() { return java.time.ZonedDateTime.now(CLOCK); }
    public static java.time.LocalTime localTime() { return java.time.LocalTime.now(CLOCK); }
    public static java.time.Clock clock() { return CLOCK; }
    public static long nanoTime() { return 0x5EED_0000_0000L; }

    /**
     * {@code code}, a class file, with each read of the wall clock made a call of this class's stopped one, and with
     * {@code nanoTimeToo} each read of System.nanoTime too.
     */
    static byte[] into(byte[] code, boolean nanoTimeToo) {
      org.objectweb.asm.ClassReader reader = new org.objectweb.asm.ClassReader(code);
      org.objectweb.asm.ClassWriter writer = new org.objectweb.asm.ClassWriter(reader, 0);
      reader.accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9, writer) {
        @Override public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor,
            String signature, String[] exceptions) {
          return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9,
              super.visitMethod(access, name, descriptor, signature, exceptions)) {
            @Override public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
              String read = owner + "." + method + desc;
              String stopped = opcode != org.objectweb.asm.Opcodes.INVOKESTATIC ? null
                  : nanoTimeToo && read.equals("java/lang/System.nanoTime()J") ? "nanoTime" : READS.get(read);
              if (stopped == null) super.visitMethodInsn(opcode, owner, method, desc, itf);
              else super.visitMethodInsn(opcode, "ShopTest$FrozenClock", stopped, desc, false);
            }
          };
        }
      }, 0);
      return writer.toByteArray();
    }
  }

  /** A stand-in order service: answers, fails with a status, or takes its time, as the test says. */
  final class FakeOrders extends OrdersGrpc.OrdersImplBase {
    final List<PlaceOrderRequest> received = new CopyOnWriteArrayList<>();
    volatile Optional<Long> deadlineLeft = Optional.empty();
    volatile Duration delay = Duration.ZERO;
    volatile Status failWith;
    /** When set, each call waits (5 s at most) until this many calls are inside at once, then answers. */
    volatile java.util.concurrent.CountDownLatch meet;
    /** Calls that met the others inside (the latch opened while they waited, not after they gave up). */
    final AtomicInteger met = new AtomicInteger();
    final Server server = serve(this);

    @Override
    public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderReply> reply) {
      received.add(request);
      Deadline deadline = io.grpc.Context.current().getDeadline();
      deadlineLeft = Optional.ofNullable(deadline).map(d -> d.timeRemaining(TimeUnit.MILLISECONDS));
      java.util.concurrent.CountDownLatch together = meet;
      if (together != null) {
        together.countDown();
        try {
          if (together.await(5, TimeUnit.SECONDS)) met.incrementAndGet();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      long until = System.nanoTime() + delay.toNanos();
      while (System.nanoTime() < until && !io.grpc.Context.current().isCancelled()) pause(20);
      if (failWith != null) {
        reply.onError(failWith.asRuntimeException());
      } else {
        reply.onNext(PlaceOrderReply.newBuilder().setOrderId("o-fake-" + received.size()).build());
        reply.onCompleted();
      }
    }
  }

  /**
   * The fields of StockFeed kept for every page, shared by design, found by what they hold (so a given field renamed is
   * the same field): the stub, the heartbeat, and the pages' own clients, in a set of them or in a map from each page's
   * client to what is that page's own (its cancel, say), where no page reads another's entry.
   */
  static java.util.Set<String> sharedFeedFields(Object feed) throws IllegalAccessException {
    java.util.Set<String> shared = new java.util.HashSet<>();
    for (java.lang.reflect.Field field : feed.getClass().getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) continue;
      field.setAccessible(true);
      Object value = field.get(feed);
      boolean perPage = value instanceof java.util.Collection<?> items && !items.isEmpty()
          && items.stream().allMatch(item -> item instanceof io.javalin.http.sse.SseClient)
          || value instanceof java.util.Map<?, ?> map && !map.isEmpty()
          && map.keySet().stream().allMatch(key -> key instanceof io.javalin.http.sse.SseClient);
      if (perPage || value instanceof io.grpc.stub.AbstractStub<?> || value instanceof java.util.concurrent.ExecutorService) {
        shared.add(field.getName());
      }
    }
    return shared;
  }

  /** The value of the one field of {@code owner} of this type, found by its type, so a given field renamed is found too. */
  static Object fieldOfType(Object owner, Class<?> type) throws IllegalAccessException {
    for (java.lang.reflect.Field field : owner.getClass().getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(field.getModifiers()) || !type.isAssignableFrom(field.getType())) continue;
      field.setAccessible(true);
      return field.get(owner);
    }
    throw new AssertionError(owner.getClass().getSimpleName() + " has no field of type " + type.getSimpleName()
        + ": the given code keeps one; put it back");
  }

  // --- what a call leaves behind in an object's fields --------------------------------------------------------

  /**
   * Each field of {@code target} (and each static field of its class) but those named in {@code shared}, with what it
   * holds as text (FieldState): a protobuf message or builder by its content, one of the lab's own objects (a lambda
   * too) by its fields, anything else as that very object. A request or a page that leaves something of its own in a
   * field changes it; the next one at the same time shares it.
   */
  static java.util.Map<String, String> fieldsOf(Object target, java.util.Set<String> shared) {
    return new workbook.test.FieldState(Gateway.class.getClassLoader(), 3, true, value -> value instanceof
        com.google.protobuf.MessageOrBuilder message ? "{" + com.google.protobuf.TextFormat.shortDebugString(message) + "}" : null)
        .of(target, shared);
  }

  /** The fields whose content differs between two readings, "field: before -> after". */
  static List<String> changes(java.util.Map<String, String> before, java.util.Map<String, String> after) {
    return workbook.test.FieldState.changes(before, after, "");
  }

  /** A fault of a schedule: what happens at the n-th database commit. */
  record Fault(workbook.faults.FaultyDatabase.Fault kind, int atCommit) {}

  /**
   * Each kind of fault once, at commits the seed picks among the first six: six events to store make at least six
   * commits, so every fault placed there is met (a later place could come after the last event was stored).
   */
  static List<Fault> faultSchedule(java.util.Random random) {
    List<workbook.faults.FaultyDatabase.Fault> kinds = new ArrayList<>(List.of(workbook.faults.FaultyDatabase.Fault.values()));
    java.util.Collections.shuffle(kinds, random);
    List<Integer> places = workbook.faults.Schedules.places(random, 6, kinds.size());
    List<Fault> schedule = new ArrayList<>();
    for (int i = 0; i < kinds.size(); i++) schedule.add(new Fault(kinds.get(i), places.get(i) + 1));
    return schedule;
  }

  /** A reaction whose first {@code failures} attempts fail after doing their work: only a rollback undoes it. */
  static final class FailingAfter implements IdempotentConsumer.Reaction {
    private final IdempotentConsumer.Reaction reaction;
    private final AtomicInteger failures;

    private final boolean unchecked;

    FailingAfter(IdempotentConsumer.Reaction reaction, int failures) {
      this(reaction, failures, false);
    }

    /** unchecked: fail with a RuntimeException (the reaction's own code), not an SQLException (the database). */
    FailingAfter(IdempotentConsumer.Reaction reaction, int failures, boolean unchecked) {
      this.reaction = reaction;
      this.failures = new AtomicInteger(failures);
      this.unchecked = unchecked;
    }

    @Override
    public void apply(Connection c, OrderService.OrderConfirmed event) throws SQLException {
      reaction.apply(c, event);
      if (failures.getAndDecrement() > 0) {
        if (unchecked) throw new IllegalStateException("simulated: the reaction failed after its update");
        throw new SQLException("simulated: the database failed mid-transaction");
      }
    }
  }

  /** An EventSource without the reconnecting: "event data" strings in order, or the end of the stream. */
  static final class EventStream implements AutoCloseable {
    private static final String END = "(the stream ended)";
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final List<String> other = new CopyOnWriteArrayList<>();
    private final InputStream body;
    final String contentType;

    EventStream(String url) throws Exception {
      HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
          .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      body = response.body();
      contentType = response.headers().firstValue("Content-Type").orElse("(none)");
      Thread reader = new Thread(this::read, "sse-test-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String event = "message";
        for (String line; (line = lines.readLine()) != null; ) {
          if (line.startsWith("event:")) event = line.substring(6).strip();
          else if (line.startsWith("data:")) events.add(event + " " + line.substring(5).strip());
          else if (!line.isBlank() && !line.startsWith(":")) other.add(line);
        }
      } catch (Exception closed) {
        // closed by the test, or by the server
      }
      events.add(END);
    }

    /** The next {@code count} events, failing (with what did come, and the hint) if they do not come in time. */
    List<String> take(int count, Duration within, String hint) throws InterruptedException {
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + within.toNanos();
      while (got.size() < count) {
        String e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null || e.equals(END)) {
          return fail("TODO 5: expected %d more event(s) within %d s, got %s, then %s%s (%s)", count, within.toSeconds(),
              got, e == null ? "nothing more" : "the stream ended", other.isEmpty() ? "" : "; the server also sent " + other,
              hint);
        }
        got.add(e);
      }
      return got;
    }

    /** True if the stream ends within {@code within} (whatever events come before its end). */
    boolean ends(Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      for (String e; (e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
        if (e.equals(END)) return true;
      }
      return false;
    }

    @Override
    public void close() throws Exception { body.close(); }
  }

  record Answer(int status, String body, String contentType, Duration took) {}

  Answer post(String gatewayUrl, String productId, int quantity) throws Exception {
    return post(gatewayUrl, productId, quantity, Duration.ofSeconds(15));
  }

  Answer post(String gatewayUrl, String productId, int quantity, Duration timeout) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/api/orders"))
        .timeout(timeout).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"productId\":\"" + productId + "\",\"quantity\":" + quantity + "}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse("(none)"),
        Duration.ofNanos(System.nanoTime() - t0));
  }

  /** A POST's status and body, or what went wrong sending it (for a POST made on another thread). */
  String postQuietly(Gateway gateway, String productId, int quantity) {
    try {
      Answer answer = post(gateway.url(), productId, quantity);
      return answer.status() + " " + answer.body();
    } catch (Exception e) {
      return "no answer: " + e;
    }
  }

  /** Places an order as the page does; fails, naming the step, if the gateway does not accept it. */
  void placeThrough(Shop shop, String productId) throws Exception {
    Answer answer = post(shop.url(), productId, 1);
    if (answer.status() != 202) {
      fail("this test places orders through the gateway, which answered %d %s: steps 1 to 3 come first",
          answer.status(), answer.body());
    }
  }

  HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A gateway with a generous budget, for the tests that are not about deadlines (a loaded machine is slow). */
  Gateway gatewayTo(FakeOrders orders) {
    return gatewayTo(orders, Duration.ofSeconds(15));
  }

  /**
   * A gateway whose budget for one request (the deadline of its call to the order service) is {@code budget}.
   * Its channel is warmed first (connected, both sides' classes loaded), so that a short budget measures the call,
   * not the first connection.
   */
  Gateway gatewayTo(FakeOrders orders, Duration budget) {
    return gatewayTo(orders, budget, null);
  }

  /** The same, with {@code watching} (if not null) seeing each of the gateway's calls on their way out. */
  Gateway gatewayTo(FakeOrders orders, Duration budget, io.grpc.ClientInterceptor watching) {
    ManagedChannel channel = channel(orders.server.getPort());
    try {
      OrdersGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(20))
          .placeOrder(PlaceOrderRequest.newBuilder().setProductId("warm-up").setQuantity(1).build());
    } catch (StatusRuntimeException answeredAll) {
      // a failure the test asked for is an answer too: the channel is warm either way
    }
    orders.received.clear();
    orders.deadlineLeft = Optional.empty();
    io.grpc.Channel toOrders = watching == null ? channel : io.grpc.ClientInterceptors.intercept(channel, watching);
    return later(new Gateway(0, toOrders, channel, budget, Duration.ofMillis(200)));
  }

  /**
   * Notes System.nanoTime() each time the gateway begins a POST /api/orders, on its own request thread, before
   * placeOrder runs (a Javalin before-handler added to the running gateway): a moment no deadline of that request can
   * count from before.
   */
  static List<Long> onEachOrder(Gateway gateway) throws Exception {
    io.javalin.Javalin app = (io.javalin.Javalin) fieldOfType(gateway, io.javalin.Javalin.class);
    List<Long> began = new CopyOnWriteArrayList<>();
    app.unsafe.internalRouter.addHttpEndpoint(new io.javalin.router.Endpoint(io.javalin.http.HandlerType.BEFORE,
        "/api/orders", ctx -> began.add(System.nanoTime()), java.util.Set.of()));
    return began;
  }

  Gateway gatewayTo(Inventory inventory) {
    ManagedChannel channel = channel(serve(inventory).getPort());
    // A heartbeat every 50 ms: a page that left is noticed at the first write that fails, so its test waits 50 ms a
    // beat, not 200 (how often is not the lesson; that the gateway notices and cancels is).
    return later(new Gateway(0, channel, channel, Gateway.DEADLINE, Duration.ofMillis(50)));
  }

  Server serve(io.grpc.BindableService service) {
    Server server = LocalGrpc.serve(0, CallStory.narrate(service));
    later(() -> LocalGrpc.stop(server));
    return server;
  }

  ManagedChannel channel(int port) {
    ManagedChannel channel = LocalGrpc.channel(port);
    later(() -> LocalGrpc.close(channel));
    return channel;
  }

  static OrderService.OrderConfirmed event(String orderId) {
    return OrderService.OrderConfirmed.of(orderId,
        PlaceOrderRequest.newBuilder().setProductId("espresso-cup").setQuantity(1).build());
  }

  void publish(String topic, OrderService.OrderConfirmed... events) throws Exception {
    try (KafkaProducer<String, String> producer = Clients.producer("order-service")) {
      for (OrderService.OrderConfirmed e : events) {
        producer.send(new ProducerRecord<>(topic, e.orderId(), e.toJson())).get(10, TimeUnit.SECONDS);
      }
    }
  }

  List<String> keysOn(String topic, int count) {
    try (var reader = Clients.consumer(Topics.unique("reader"), "reader")) {
      Clients.subscribe(reader, topic);
      return Poll.records(reader, count, Duration.ofSeconds(15)).stream().map(r -> r.key()).toList();
    }
  }

  /** recordOnce's statement: the insert of an event's id into processed_events. */
  static final String RECORD_ID = "INSERT INTO processed_events";

  /** The failure armed from the start: every statement with its prefix fails. */
  static StatementFails armed(StatementFails fails) {
    fails.armed = true;
    return fails;
  }

  /**
   * The same database, but the first insert into the outbox (whichever connection makes it) counts {@code inside}
   * down and waits (5 s at most) for {@code release} before it runs: another call's work happens meanwhile.
   */
  static DataSource firstOutboxInsertWaits(DataSource real, java.util.concurrent.CountDownLatch inside,
      java.util.concurrent.CountDownLatch release) {
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    return new workbook.faults.DelegatingDataSource(real) {
      @Override protected Connection connection(Connection c) {
        return (Connection) Proxy.newProxyInstance(ShopTest.class.getClassLoader(), new Class<?>[] {Connection.class},
            (conn, m, a) -> {
              if (m.getName().equals("prepareStatement") && String.valueOf(a[0]).trim().toUpperCase()
                  .startsWith("INSERT INTO OUTBOX") && first.compareAndSet(true, false)) {
                inside.countDown();
                release.await(5, TimeUnit.SECONDS);
              }
              return invoke(c, m, a);
            });
      }
    };
  }

  static List<String> rows(Db db, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection(); ResultSet r = c.createStatement().executeQuery(sql)) {
      while (r.next()) rows.add(r.getString(1));
    }
    return rows;
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
