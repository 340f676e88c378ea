///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES WorkedExamples.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/story/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.test.LockStep;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workbook.test.LabTests;

@DisplayName("Lab 15: Choosing a pattern")
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // plain Java, no waits: anything slower is a hang
class ChoosingTest {
  public static void main(String[] args) { LabTests.run(ChoosingTest.class, args); }

  @Order(1) @Test @DisplayName("asking a question writes the scenario's answer on the path")
  void askWritesThePath() {
    List<DecisionTree.Answer> path = new ArrayList<>();
    boolean yes = DecisionTree.ask(Question.ANSWER_NOW, WorkedExamples.PAYMENT, path);
    assertThat(yes).isTrue();
    assertThat(describe(path)).containsExactly("ANSWER_NOW yes");
  }

  @Order(2) @Test @DisplayName("every row of the trade-off table places all three styles")
  void tableIsComplete() {
    for (TradeOffs.Row row : TradeOffs.TABLE) {
      for (TradeOffs.Style style : TradeOffs.Style.values()) assertThat(row.place(style)).as("%s", row).isBetween(0, 2);
    }
  }

  @Nested
  @Tag("step1") @DisplayName("Step 1: the caller waits: REST or gRPC")
  class Step1 {
    @Order(1) @ParameterizedTest(name = "{0}: {1} ({2})")
    @MethodSource("examples")
    @DisplayName("the worked examples that need an answer now")
    void workedExamples(Scenario example, DecisionTree.Pattern expected, String why, List<String> path) {
      assertDecision(example, expected, path, "TODO 1: " + why);
    }

    static Stream<Arguments> examples() {
      return Stream.of(
          Arguments.of(WorkedExamples.PRODUCT_DETAILS, DecisionTree.Pattern.REST, "browser-facing, cacheable",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC yes")),
          Arguments.of(WorkedExamples.PAYMENT, DecisionTree.Pattern.GRPC, "internal, fast, typed",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH yes")),
          Arguments.of(WorkedExamples.USER_PROFILE, DecisionTree.Pattern.REST, "browser-facing CRUD, cacheable",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC yes")),
          Arguments.of(WorkedExamples.RECOMMENDATIONS, DecisionTree.Pattern.GRPC, "throughput, binary, streaming",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH yes")),
          Arguments.of(WorkedExamples.HEALTH_CHECK, DecisionTree.Pattern.REST, "internal but not critical: keep it simple",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH no")),
          Arguments.of(WorkedExamples.STOCK_MONITOR, DecisionTree.Pattern.GRPC, "internal, latency-critical, a server stream",
              List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH yes")));
    }

    @Order(2) @Test @DisplayName("a browser-facing call gets REST even when latency is critical, without asking about speed")
    void browserBeforeSpeed() {
      Scenario scenario = Scenario.of("A browser's search box, hot and latency-critical",
          Question.ANSWER_NOW, Question.BROWSER_OR_PUBLIC, Question.HOT_PATH);
      assertDecision(scenario, DecisionTree.Pattern.REST, List.of("ANSWER_NOW yes", "BROWSER_OR_PUBLIC yes"),
          "TODO 1: ask BROWSER_OR_PUBLIC first: browsers cannot call gRPC, however fast it would be");
    }

    @Order(3) @Test @DisplayName("all 32 scenarios that need an answer now: the flowchart's leaf, and only its questions on the path")
    void everySynchronousScenario() {
      assertEveryScenario(true, "TODO 1");
    }

    @Order(4) @Test @DisplayName("two decisions at once, question for question in lock-step, for every pair of the branch's leaves: each gets its own pattern and path")
    void decisionsAtOnce() throws Exception {
      assertDecisionsAtOnce("TODO 1", true);
    }
  }

  @Nested
  @Tag("step2") @DisplayName("Step 2: the caller moves on: which asynchronous pattern")
  class Step2 {
    @Order(1) @ParameterizedTest(name = "{0}: {1} ({2})")
    @MethodSource("examples")
    @DisplayName("the worked examples that do not need an answer now")
    void workedExamples(Scenario example, DecisionTree.Pattern expected, String why, List<String> path) {
      assertDecision(example, expected, path, "TODO 2: " + why);
    }

    static Stream<Arguments> examples() {
      return Stream.of(
          Arguments.of(WorkedExamples.ORDER_CONFIRMED, DecisionTree.Pattern.EVENTS, "many consumers, decoupled",
              List.of("ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS yes")),
          Arguments.of(WorkedExamples.WELCOME_EMAIL, DecisionTree.Pattern.EVENTS_OR_QUEUE, "async, one consumer, no order to keep",
              List.of("ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS no", "ORDER_MATTERS no")));
    }

    @Order(2) @Test @DisplayName("a write its author must read at once gets a synchronous call first")
    void readYourWrites() {
      Scenario scenario = Scenario.of("A user changes their email address; the next page must show it",
          Question.SEVERAL_CONSUMERS);
      assertDecision(scenario, DecisionTree.Pattern.SYNC_THEN_ASYNC, List.of("ANSWER_NOW no", "STALE_OK no"),
          "TODO 2: when a stale read is not allowed, events alone are not enough: ask STALE_OK before anything else");
    }

    @Order(3) @Test @DisplayName("one consumer that needs each entity's events in order gets events with a partition key")
    void keyedEvents() {
      Scenario scenario = Scenario.of("A search indexer applies one product's price changes in order",
          Question.STALE_OK, Question.ORDER_MATTERS);
      assertDecision(scenario, DecisionTree.Pattern.KEYED_EVENTS,
          List.of("ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS no", "ORDER_MATTERS yes"),
          "TODO 2: one consumer and ordering critical: a plain work queue would shuffle the order, a keyed partition keeps it");
    }

    @Order(4) @Test @DisplayName("several consumers mean events, and the tree stops there")
    void severalConsumersStop() {
      Scenario scenario = Scenario.of("Order confirmed and cancelled events, read by four services",
          Question.STALE_OK, Question.SEVERAL_CONSUMERS, Question.ORDER_MATTERS);
      assertDecision(scenario, DecisionTree.Pattern.EVENTS, List.of("ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS yes"),
          "TODO 2: with several consumers it is a log of events already; how to key it is lab 09's business, not another branch");
    }

    @Order(5) @Test @DisplayName("all 32 scenarios that do not need an answer now: the flowchart's leaf, and only its questions on the path")
    void everyAsynchronousScenario() {
      assertEveryScenario(false, "TODO 2");
    }

    @Order(6) @Test @DisplayName("two decisions at once, question for question in lock-step, for every pair of the branch's leaves: each gets its own pattern and path")
    void decisionsAtOnce() throws Exception {
      assertDecisionsAtOnce("TODO 2", false);
    }
  }

  @Nested
  @Tag("step3") @DisplayName("Step 3: what one style wins and loses against another")
  class Step3 {
    @Order(1) @Test @DisplayName("gRPC instead of REST gains latency, and costs schema coupling, debugging and operations")
    void grpcOverRest() {
      assertTrade(TradeOffs.Style.GRPC, TradeOffs.Style.REST, "[LATENCY]", "[SCHEMA_COUPLING, DEBUGGING, OPERATIONS]");
    }

    @Order(2) @Test @DisplayName("events instead of REST gain temporal coupling, and cost latency, schema coupling, debugging and operations")
    void eventsOverRest() {
      assertTrade(TradeOffs.Style.EVENTS, TradeOffs.Style.REST, "[TEMPORAL_COUPLING]", "[LATENCY, SCHEMA_COUPLING, DEBUGGING, OPERATIONS]");
    }

    @Order(3) @Test @DisplayName("events instead of gRPC gain both kinds of coupling, and cost latency, debugging and operations")
    void eventsOverGrpc() {
      assertTrade(TradeOffs.Style.EVENTS, TradeOffs.Style.GRPC, "[TEMPORAL_COUPLING, SCHEMA_COUPLING]", "[LATENCY, DEBUGGING, OPERATIONS]");
    }

    @Order(4) @Test @DisplayName("a tie is neither a gain nor a cost")
    void tie() {
      List<TradeOffs.Row> table = List.of(new TradeOffs.Row(TradeOffs.Dimension.DEBUGGING, "REST = gRPC, events", "a tie at the top"));
      TradeOffs.Trade trade = TradeOffs.versus(TradeOffs.Style.REST, TradeOffs.Style.GRPC, table);
      assertThat(trade.gains()).as("TODO 3: REST and gRPC share first place here, so REST gains nothing over gRPC").isEmpty();
      assertThat(trade.costs()).as("TODO 3: REST and gRPC share first place here, so REST loses nothing to gRPC").isEmpty();
    }

    @Order(5) @Test @DisplayName("what one style gains against another is exactly what the other loses")
    void symmetric() {
      for (TradeOffs.Style a : TradeOffs.Style.values()) {
        for (TradeOffs.Style b : TradeOffs.Style.values()) {
          assertThat(TradeOffs.versus(a, b).gains()).as("TODO 3: %s's gains over %s are %s's costs against %s", a, b, b, a)
              .isEqualTo(TradeOffs.versus(b, a).costs());
        }
      }
    }

    @Order(7) @Test @DisplayName("every pair of styles on a row of every possible ordering (13, ties included): the places decide, and each trade keeps them, even when its caller tries to add to them")
    void everyOrdering() {
      List<String> wrong = new ArrayList<>();
      List<TradeOffs.Trade> trades = new ArrayList<>();
      List<String> asReturned = new ArrayList<>(), compared = new ArrayList<>();
      for (String bestFirst : ORDERINGS) {
        List<TradeOffs.Row> table = List.of(new TradeOffs.Row(TradeOffs.Dimension.LATENCY, bestFirst, "one ordering"));
        for (TradeOffs.Style a : TradeOffs.Style.values()) {
          for (TradeOffs.Style b : TradeOffs.Style.values()) {
            int mine = table.get(0).place(a), theirs = table.get(0).place(b);
            String expected = mine < theirs ? "gain" : mine > theirs ? "cost" : "neither";
            TradeOffs.Trade trade = TradeOffs.versus(a, b, table);
            String yours = trade.gains().isEmpty() ? (trade.costs().isEmpty() ? "neither" : "cost") : (trade.costs().isEmpty() ? "gain" : "both");
            if (!yours.equals(expected)) wrong.add("'" + bestFirst + "': " + a + " instead of " + b + " is " + yours + ", should be " + expected);
            trades.add(trade);
            asReturned.add(trade.gains() + " " + trade.costs());
            compared.add("'" + bestFirst + "': " + a + " instead of " + b);
          }
        }
      }
      for (int i = 0; i < trades.size(); i++) {
        String now = trades.get(i).gains() + " " + trades.get(i).costs();
        if (!now.equals(asReturned.get(i))) wrong.add(compared.get(i) + " gained and cost " + asReturned.get(i) + " when returned, and " + now + " after the other comparisons");
      }
      // then a caller tries to write a note on every trade it got (a gain it hopes for, a cost it fears): the trade keeps
      // what the table said, and every comparison made again, on the same table or an equal one, says it again
      for (TradeOffs.Trade trade : trades) {
        tryToChange(trade.gains(), TradeOffs.Dimension.OPERATIONS);
        tryToChange(trade.costs(), TradeOffs.Dimension.DEBUGGING);
      }
      int i = 0;
      for (String bestFirst : ORDERINGS) {
        List<TradeOffs.Row> table = List.of(new TradeOffs.Row(TradeOffs.Dimension.LATENCY, bestFirst, "one ordering"));
        for (TradeOffs.Style a : TradeOffs.Style.values()) {
          for (TradeOffs.Style b : TradeOffs.Style.values()) {
            String kept = trades.get(i).gains() + " " + trades.get(i).costs();
            TradeOffs.Trade again = TradeOffs.versus(a, b, table);
            String now = again.gains() + " " + again.costs();
            if (!kept.equals(asReturned.get(i)) && wrong.size() < 6) {
              wrong.add(compared.get(i) + " gained and cost " + asReturned.get(i) + " when returned, and " + kept
                  + " after its caller tried to add to them and to change their first");
            }
            if (!now.equals(asReturned.get(i)) && wrong.size() < 6) {
              wrong.add(compared.get(i) + ", compared again after a caller tried to add to the trades it got: " + now
                  + ", should be " + asReturned.get(i));
            }
            i++;
          }
        }
      }
      assertThat(wrong).as("TODO 3: compare the two places on each row: smaller is a gain, larger a cost, equal neither; and a Trade keeps "
          + "its gains and costs once returned, even when its caller tries to add to them or to set one: new lists in each call, copied "
          + "(List.copyOf), never the working lists themselves, nor a view of lists the next comparison fills, nor a trade kept "
          + "from an earlier comparison and handed out again, nor a fixed-size list (Arrays.asList) whose entries a caller can set").isEmpty();
    }

    @Order(8) @Test @DisplayName("gains and costs come in the table's row order, whatever the table's order")
    void tableOrder() {
      List<TradeOffs.Row> reversed = new ArrayList<>(TradeOffs.TABLE);
      java.util.Collections.reverse(reversed);
      TradeOffs.Trade trade = TradeOffs.versus(TradeOffs.Style.GRPC, TradeOffs.Style.REST, reversed);
      assertThat(trade.costs()).as("TODO 3: keep the rows in the order of the table you were given (here, the table reversed)")
          .hasToString("[OPERATIONS, DEBUGGING, SCHEMA_COUPLING]");
      assertThat(trade.gains()).as("TODO 3: the gains of the table you were given").hasToString("[LATENCY]");
    }

    @Order(9) @Test @DisplayName("two comparisons at once, row for row in lock-step: each gets its own gains and costs")
    void comparisonsAtOnce() throws Exception {
      List<String> wrong = new ArrayList<>();
      // what each comparison made alone left in a static field (of TradeOffs and its nested types)
      List<String> leftBehind = new ArrayList<>();
      boolean overlapped = false;
      for (TradeOffs.Style[] pair : List.of(new TradeOffs.Style[] {TradeOffs.Style.GRPC, TradeOffs.Style.REST},
          new TradeOffs.Style[] {TradeOffs.Style.EVENTS, TradeOffs.Style.GRPC})) {
        java.util.Map<String, String> before = staticState(TRADE_TYPES);
        TradeOffs.Trade alone = TradeOffs.versus(pair[0], pair[1]);
        java.util.Map<String, String> between = staticState(TRADE_TYPES);
        TradeOffs.Trade reversedAlone = TradeOffs.versus(pair[1], pair[0]);
        java.util.Map<String, String> after = staticState(TRADE_TYPES);
        if (leftBehind.size() < 3) leftBehind.addAll(changes(before, between, "comparing " + pair[0] + " instead of " + pair[1]));
        if (leftBehind.size() < 3) leftBehind.addAll(changes(between, after, "comparing " + pair[1] + " instead of " + pair[0]));
        // each in turn waits inside its reading of each row while the other is made whole, start to end: whatever it wrote
        // before that row and reads after it, the other has written over in between, on every run, not by chance
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger heldBack = new java.util.concurrent.atomic.AtomicInteger();
        for (int k = 0; k < TradeOffs.TABLE.size(); k++) {
          for (boolean reversed : new boolean[] {false, true}) {
            TradeOffs.Style waiting = reversed ? pair[1] : pair[0], whole = reversed ? pair[0] : pair[1];
            runs.incrementAndGet();
            List<Object> both = comparedWhileWaiting(waiting, whole, k, heldBack);
            List<Object> each = reversed ? List.of(reversedAlone, alone) : List.of(alone, reversedAlone);
            if (!both.equals(each) && wrong.size() < 6) {
              wrong.add(waiting + " instead of " + whole + ", waiting inside its reading of row " + (k + 1) + " while " + whole
                  + " instead of " + waiting + " was compared whole: " + both + ", each alone: " + each);
            }
          }
        }
        // comparisons that never run at once (a lock around versus, correct) cannot meet row for row either: lock-step
        // would only wait out its bound, so it is left out; comparisons that do run at once meet in lock-step on every run
        if (heldBack.get() == runs.get()) continue;
        overlapped = true;
        // at the same pace, then each in turn a row behind the other (what one writes early is there when the other reads late)
        for (int[] pace : List.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2})) {
          Meet lockStep = new Meet();
          List<List<TradeOffs.Row>> tables = new ArrayList<>();
          for (int p : pace) {
            tables.add(new java.util.AbstractList<>() {
              @Override public TradeOffs.Row get(int index) {
                for (int i = 0; i < p; i++) lockStep.await();
                return TradeOffs.TABLE.get(index);
              }
              @Override public int size() { return TradeOffs.TABLE.size(); }
            });
          }
          List<Object> both = lockStep.run(() -> TradeOffs.versus(pair[0], pair[1], tables.get(0)),
              () -> TradeOffs.versus(pair[1], pair[0], tables.get(1)));
          if (!both.equals(List.of(alone, reversedAlone))) {
            wrong.add(pair[0] + " instead of " + pair[1] + " and the reverse, at once" + (pace[0] == pace[1] ? "" : ", the "
                + (pace[0] > pace[1] ? "first" : "second") + " a row behind") + ": " + both + ", each alone: " + List.of(alone, reversedAlone));
          }
        }
      }
      assertThat(wrong).as("TODO 3: a comparison's gains and costs are its own: keep them in local lists, not in fields that another "
          + "comparison running at the same time also writes").isEmpty();
      // comparisons that do run at once must leave nothing in a static field, even one written and read on the next line
      if (overlapped) {
        assertThat(leftBehind).as("TODO 3: comparisons that run at the same time left their work in a static field, which two "
            + "comparisons at once share: expected every static field to read the same before and after a comparison, but "
            + "(field: before -> after) %s. Keep the places, gains and costs in versus's own variables, never in a field, however "
            + "briefly it holds them", leftBehind).isEmpty();
        // and a field emptied again before the return reads the same before and after, yet two comparisons at once share it
        assertThat(writableStatics(TRADE_TYPES)).as("TODO 3: comparisons run at the same time here (no lock holds one back while "
            + "the other is made), so a static field a comparison can write is shared by both, even one it empties again before it "
            + "returns, or a cache of places: expected no such field, but found (field: why) these. Keep the places, gains and "
            + "costs in versus's own variables, never in a field, however briefly it holds them").isEmpty();
      }
    }

    /**
     * The comparison of {@code chosen} instead of {@code instead} waits inside its reading of row {@code k} (0 for the
     * first) while the reverse comparison is made on another thread, start to end; then it goes on. Both trades, the
     * waiting one's first. A reverse comparison that cannot start while the first waits (a lock around versus: correct,
     * one at a time) is seen waiting itself, counted in {@code heldBack}, and the first is let go at once. Every wait is
     * bounded.
     */
    static List<Object> comparedWhileWaiting(TradeOffs.Style chosen, TradeOffs.Style instead, int k,
        java.util.concurrent.atomic.AtomicInteger heldBack) throws InterruptedException {
      java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch goOn = new java.util.concurrent.CountDownLatch(1);
      List<TradeOffs.Row> waitingTable = new java.util.AbstractList<>() {
        @Override public TradeOffs.Row get(int index) {
          if (index == k && inside.getCount() > 0) {
            inside.countDown();
            try {
              goOn.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return TradeOffs.TABLE.get(index);
        }
        @Override public int size() { return TradeOffs.TABLE.size(); }
      };
      return whileOneWaits(() -> TradeOffs.versus(chosen, instead, waitingTable), () -> TradeOffs.versus(instead, chosen,
          TradeOffs.TABLE), inside, goOn, heldBack, "comparison");
    }

    @Order(10) @Test @DisplayName("on the given table, every pair twice over: each trade keeps its gains and costs, and is the same again, after its caller tried to add to them")
    void tradesOnTheTableAreKept() {
      List<String> wrong = new ArrayList<>();
      for (int round = 1; round <= 2; round++) {
        for (TradeOffs.Style a : TradeOffs.Style.values()) {
          for (TradeOffs.Style b : TradeOffs.Style.values()) {
            List<TradeOffs.Row> table = round == 1 ? TradeOffs.TABLE : List.copyOf(TradeOffs.TABLE);
            String expected = expectedTrade(a, b);
            TradeOffs.Trade trade = round == 1 ? TradeOffs.versus(a, b) : TradeOffs.versus(a, b, table);
            String returned = trade.gains() + " " + trade.costs();
            tryToChange(trade.gains(), TradeOffs.Dimension.OPERATIONS);
            tryToChange(trade.costs(), TradeOffs.Dimension.LATENCY);
            String kept = trade.gains() + " " + trade.costs();
            if (!returned.equals(expected)) wrong.add(a + " instead of " + b + (round == 1 ? "" : ", compared again") + ": " + returned + ", should be " + expected);
            else if (!kept.equals(returned)) wrong.add(a + " instead of " + b + ": " + returned + " when returned, " + kept + " after its caller tried to add to it");
          }
        }
      }
      assertThat(wrong).as("TODO 3: a Trade is what the table says, for whoever asks and however often: its caller may try to add a "
          + "gain or a cost to it, or to set one, and neither that trade nor the next comparison of the same styles may show it. Return new "
          + "lists copied with List.copyOf, never the working lists, nor a trade kept from before, nor a fixed-size list (Arrays.asList)").isEmpty();
    }

    @Order(11) @Test @DisplayName("the table given is the one compared: an empty table gains and costs nothing, a table a caller changes between two comparisons is compared as it is now, and trades returned before keep what they said")
    void theTableAsGiven() {
      List<String> wrong = new ArrayList<>();
      for (TradeOffs.Style a : TradeOffs.Style.values()) {
        for (TradeOffs.Style b : TradeOffs.Style.values()) {
          TradeOffs.Trade trade = TradeOffs.versus(a, b, List.of());
          if (!trade.gains().isEmpty() || !trade.costs().isEmpty()) {
            wrong.add(a + " instead of " + b + " on an empty table: " + trade.gains() + " " + trade.costs() + ", should be [] []");
          }
        }
      }
      // one table, kept by its caller and edited (a row's ordering revised, rows added, the order turned round), compared
      // again after every edit: each comparison is of the rows the table holds at that moment
      List<TradeOffs.Row> table = new ArrayList<>();
      List<TradeOffs.Trade> earlier = new ArrayList<>();
      List<String> earlierReturned = new ArrayList<>(), earlierCompared = new ArrayList<>();
      java.util.Random random = new java.util.Random(ORDERINGS.size());
      for (int edit = 0; edit < 40; edit++) {
        TradeOffs.Dimension dimension = TradeOffs.Dimension.values()[random.nextInt(TradeOffs.Dimension.values().length)];
        TradeOffs.Row row = new TradeOffs.Row(dimension, ORDERINGS.get(random.nextInt(ORDERINGS.size())), "revised");
        int at = table.indexOf(table.stream().filter(r -> r.dimension() == dimension).findFirst().orElse(null));
        if (at >= 0) table.set(at, row); else table.add(row);
        if (edit % 10 == 9) java.util.Collections.reverse(table);
        // every pair, forwards after one edit and backwards after the next: the pair compared last before an edit is the
        // first compared after it (two different styles, so the edit can change the trade), the same styles on the same
        // table object, nothing else asked in between
        for (int n = 0; n < PAIRS_TWO_STYLES_AT_THE_ENDS.size(); n++) {
          TradeOffs.Style[] pair = PAIRS_TWO_STYLES_AT_THE_ENDS.get(edit % 2 == 0 ? n : PAIRS_TWO_STYLES_AT_THE_ENDS.size() - 1 - n);
          TradeOffs.Style a = pair[0], b = pair[1];
          TradeOffs.Trade trade = TradeOffs.versus(a, b, table);
          String yours = trade.gains() + " " + trade.costs(), expected = expectedTrade(a, b, table);
          if (!yours.equals(expected) && wrong.size() < 6) {
            wrong.add(a + " instead of " + b + " on " + table.stream().map(r -> r.dimension() + " '" + r.bestFirst() + "'").toList()
                + " (the same table object, edited after earlier comparisons): " + yours + ", should be " + expected);
          }
          if (edit % 10 == 0) {
            earlier.add(trade);
            earlierReturned.add(yours);
            earlierCompared.add(a + " instead of " + b + " on " + table.stream().map(r -> r.dimension() + " '" + r.bestFirst() + "'").toList());
          }
        }
      }
      // and a trade returned before an edit still says what the table said when it was compared
      for (int i = 0; i < earlier.size() && wrong.size() < 6; i++) {
        String now = earlier.get(i).gains() + " " + earlier.get(i).costs();
        if (!now.equals(earlierReturned.get(i))) {
          wrong.add(earlierCompared.get(i) + ": " + earlierReturned.get(i) + " when returned, and " + now + " after its caller edited the table");
        }
      }
      assertThat(wrong).as("TODO 3: compare the rows of the table you are given, as they are at this call: no rows, no gain and no "
          + "cost (never the standard TABLE in their place), a table edited since an earlier comparison is read again, never "
          + "answered from what was worked out for it before, and a trade already returned keeps what it said: work the lists "
          + "out in the call and copy them (List.copyOf), never views that read the table later").isEmpty();
    }

    /** Every ordered pair of styles, the two at each end of the list two different styles. */
    static final List<TradeOffs.Style[]> PAIRS_TWO_STYLES_AT_THE_ENDS = Stream.of("REST gRPC", "REST REST", "gRPC gRPC",
        "events events", "REST events", "gRPC REST", "gRPC events", "events REST", "events gRPC").map(pair -> Stream.of(pair.split(" "))
            .map(label -> Stream.of(TradeOffs.Style.values()).filter(s -> s.label.equals(label)).findFirst().orElseThrow())
            .toArray(TradeOffs.Style[]::new)).toList();

    @Order(12) @Test @DisplayName("a table with several rows on one dimension (latency at p50 and at p99, in the same order or not, a row listed twice): each row is a gain, a cost or neither of its own, in the table's row order")
    void rowsOnOneDimension() {
      List<String> wrong = new ArrayList<>();
      // every ordering on a row of its own, all on latency, then the same rows with two dimensions taking turns, then each
      // ordering on three rows that agree: at p50, the very same row listed again, and at p99 (an equal ordering, another why)
      List<TradeOffs.Row> oneDimension = new ArrayList<>(), twoInTurn = new ArrayList<>(), agreeing = new ArrayList<>();
      for (int i = 0; i < ORDERINGS.size(); i++) {
        oneDimension.add(new TradeOffs.Row(TradeOffs.Dimension.LATENCY, ORDERINGS.get(i), "latency, measured one more way"));
        twoInTurn.add(new TradeOffs.Row(i % 2 == 0 ? TradeOffs.Dimension.LATENCY : TradeOffs.Dimension.OPERATIONS, ORDERINGS.get(i), "in turn"));
        TradeOffs.Row p50 = new TradeOffs.Row(TradeOffs.Dimension.LATENCY, ORDERINGS.get(i), "at p50");
        agreeing.addAll(List.of(p50, p50, new TradeOffs.Row(TradeOffs.Dimension.LATENCY, ORDERINGS.get(i), "at p99")));
      }
      for (List<TradeOffs.Row> table : List.of(oneDimension, twoInTurn, agreeing)) {
        for (TradeOffs.Style a : TradeOffs.Style.values()) {
          for (TradeOffs.Style b : TradeOffs.Style.values()) {
            TradeOffs.Trade trade = TradeOffs.versus(a, b, table);
            String yours = trade.gains() + " " + trade.costs(), expected = expectedTrade(a, b, table);
            if (!yours.equals(expected) && wrong.size() < 6) {
              wrong.add(a + " instead of " + b + " on " + table.stream().map(r -> r.dimension() + " '" + r.bestFirst() + "'").toList()
                  + ": " + yours + ", should be " + expected);
            }
          }
        }
      }
      assertThat(wrong).as("TODO 3: each row of the table is one comparison: a row the chosen style wins is a gain, even when an "
          + "earlier row on the same dimension was a gain already (latency measured at p50 and at p99 counts twice), even when "
          + "it orders the styles as an earlier row does, or is that very row listed again, in the table's row order; gather "
          + "them in lists, one entry per row, never a set that keeps a dimension, an ordering or a row once (no distinct())").isEmpty();
    }

    /** The gains and costs of one style over another on the given table, worked out here, as "[gains] [costs]". */
    static String expectedTrade(TradeOffs.Style chosen, TradeOffs.Style instead) { return expectedTrade(chosen, instead, TradeOffs.TABLE); }

    static String expectedTrade(TradeOffs.Style chosen, TradeOffs.Style instead, List<TradeOffs.Row> table) {
      List<TradeOffs.Dimension> gains = new ArrayList<>(), costs = new ArrayList<>();
      for (TradeOffs.Row row : table) {
        if (row.place(chosen) < row.place(instead)) gains.add(row.dimension());
        if (row.place(chosen) > row.place(instead)) costs.add(row.dimension());
      }
      return gains + " " + costs;
    }

    @Order(6) @Test @DisplayName("no style beats another on every row: every choice has a price")
    void noFreeLunch() {
      for (TradeOffs.Style a : TradeOffs.Style.values()) {
        for (TradeOffs.Style b : TradeOffs.Style.values()) {
          if (a == b) continue;
          assertThat(TradeOffs.versus(a, b).costs()).as("TODO 3: %s instead of %s must cost something on the table", a, b).isNotEmpty();
        }
      }
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /**
   * What a caller may try on a list it got: add to it, and set its first entry to something else (a list it cannot change
   * changes nothing else either; a fixed-size one, Arrays.asList, refuses the add and takes the set).
   */
  static <T> void tryToChange(List<T> list, T added) {
    try {
      list.add(added);
    } catch (UnsupportedOperationException readOnly) {
      // read-only: nothing to change
    }
    try {
      if (!list.isEmpty()) list.set(0, added);
    } catch (UnsupportedOperationException readOnly) {
      // read-only: nothing to change
    }
  }

  /** The types whose static fields a decision, or a comparison, must leave as they were. */
  static final Class<?>[] DECISION_TYPES = withHelpers("DecisionTree.java", DecisionTree.class, Question.class, Scenario.class);
  static final Class<?>[] TRADE_TYPES = withHelpers("TradeOffs.java", TradeOffs.class);

  /**
   * The types, and every other top-level class compiled from the learner's source file {@code source} (a helper class
   * written next to DecisionTree or TradeOffs, "final class Places { static int mine; }"): its static fields are shared
   * by two calls at once as much as the lab class's own. Found among the lab's classes compiled next to this test
   * (workbook.test.LabClasses), by the source file each names; the types alone when those cannot be listed.
   */
  static Class<?>[] withHelpers(String source, Class<?>... types) {
    java.util.Set<Class<?>> all = new java.util.LinkedHashSet<>(List.of(types));
    byte[] sourceName = source.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      for (Class<?> type : workbook.test.LabClasses.beside(ChoosingTest.class, false)) {
        byte[] bytes;
        try (java.io.InputStream in = type.getClassLoader().getResourceAsStream(type.getName().replace('.', '/') + ".class")) {
          if (in == null) continue;
          bytes = in.readAllBytes();
        }
        // the class file names its source file (its SourceFile attribute): the learner's file, or another
        if (indexOf(bytes, sourceName) >= 0) all.add(type);
      }
    } catch (Exception | LinkageError unlisted) {
      // the compiled classes cannot be listed here: the lab's own types only
    }
    return all.toArray(Class<?>[]::new);
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= bytes.length; i++) {
      for (int j = 0; j < part.length; j++) if (bytes[i + j] != part[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** The lab's static fields, read as text, a few levels deep (FieldState): a call that leaves something behind changes them. */
  static java.util.Map<String, String> staticState(Class<?>... types) {
    return new workbook.test.FieldState(DecisionTree.class.getClassLoader(), 4, false, null).ofStatics(types);
  }

  /**
   * The static fields of the types (and of the types nested in them) that a call could write, "Type.field: why": a field
   * that is not final, or a final one holding what can be changed in place (a list, set or map that is not read-only, an
   * array, an atomic, a StringBuilder, an object of the lab's own with such a field). Constants, locks and ThreadLocals
   * (each thread's own) are not such fields. Read without calling anything, so a field a call empties again shows too.
   */
  static List<String> writableStatics(Class<?>... types) {
    List<String> writable = new ArrayList<>();
    java.util.Deque<Class<?>> todo = new java.util.ArrayDeque<>(List.of(types));
    while (!todo.isEmpty()) {
      Class<?> type = todo.pop();
      todo.addAll(List.of(type.getDeclaredClasses()));
      for (java.lang.reflect.Field field : type.getDeclaredFields()) {
        int modifiers = field.getModifiers();
        if (!java.lang.reflect.Modifier.isStatic(modifiers) || field.isSynthetic()) continue;
        String why = writable(field, null, 0);
        if (why != null) writable.add(type.getSimpleName() + "." + field.getName() + ": " + why);
      }
    }
    return writable;
  }

  private static String writable(java.lang.reflect.Field field, Object owner, int level) {
    if (!java.lang.reflect.Modifier.isFinal(field.getModifiers())) return "not final, so a call can set it";
    Object value;
    try {
      field.setAccessible(true);
      value = field.get(owner);
    } catch (ReflectiveOperationException | RuntimeException unreadable) {
      return null;
    }
    if (value == null || value instanceof ThreadLocal<?>) return null;
    // a constant of the lab's own enums (Style, Pattern) is shared by every call: a field of its own that a call can set is
    // as shared as a static one ("int place" on Style); the JDK's enums hold nothing a call writes
    if (value instanceof Enum<?> constant) {
      Class<?> type = constant.getDeclaringClass();
      if (type.getClassLoader() != DecisionTree.class.getClassLoader() || level >= 2) return null;
      for (java.lang.reflect.Field inner : type.getDeclaredFields()) {
        if (java.lang.reflect.Modifier.isStatic(inner.getModifiers()) || inner.isSynthetic()) continue;
        String why = writable(inner, value, level + 1);
        if (why != null) return "the constant " + constant.name() + ", whose field " + inner.getName() + " is " + why;
      }
      return null;
    }
    String name = value.getClass().getName();
    if (value.getClass().isArray()) return java.lang.reflect.Array.getLength(value) > 0 ? "an array a call can write into" : null;
    if (value instanceof java.util.Collection<?> || value instanceof java.util.Map<?, ?>) {
      boolean readOnly = Stream.of("java.util.ImmutableCollections$", "java.util.Collections$Unmodifiable", "java.util.Collections$Empty",
          "java.util.Collections$Singleton").anyMatch(name::startsWith);
      return readOnly ? null : article(value.getClass().getSimpleName()) + " a call can fill and empty";
    }
    if (name.startsWith("java.util.concurrent.atomic.") || value instanceof StringBuilder || value instanceof StringBuffer) {
      return article(value.getClass().getSimpleName()) + " a call can set";
    }
    if (value.getClass().getClassLoader() == DecisionTree.class.getClassLoader() && level < 2) {
      for (java.lang.reflect.Field inner : value.getClass().getDeclaredFields()) {
        if (java.lang.reflect.Modifier.isStatic(inner.getModifiers()) || inner.isSynthetic()) continue;
        String why = writable(inner, value, level + 1);
        if (why != null) return article(value.getClass().getSimpleName()) + " whose field " + inner.getName() + " is " + why;
      }
    }
    return null;
  }

  private static String article(String noun) { return ("AEIOU".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun; }

  /**
   * Two calls on two threads in lock-step: each {@link #await} waits until the other call has reached as many steps (a
   * question asked, a row read), so both are in progress at once, step for step, on every run. It never waits on time for
   * a call that cannot come: when the other call has returned, or is held elsewhere (blocked on a lock, waiting), it goes
   * on at once (a correct answer that locks a part of its work is then only serialised there, never slower).
   */
  static final class Meet {
    private final java.util.concurrent.atomic.AtomicReferenceArray<Thread> threads = new java.util.concurrent.atomic.AtomicReferenceArray<>(2);
    private final java.util.concurrent.atomic.AtomicIntegerArray steps = new java.util.concurrent.atomic.AtomicIntegerArray(2);
    private final java.util.concurrent.atomic.AtomicIntegerArray done = new java.util.concurrent.atomic.AtomicIntegerArray(2);

    void await() {
      int me = Thread.currentThread() == threads.get(0) ? 0 : 1, other = 1 - me;
      int mine = steps.incrementAndGet(me);
      long bound = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      while (steps.get(other) < mine && done.get(other) == 0 && System.nanoTime() < bound) {
        Thread them = threads.get(other);
        Thread.State state = them == null ? Thread.State.NEW : them.getState();
        if (state == Thread.State.BLOCKED || state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) return;
        Thread.yield();
      }
    }

    List<Object> run(java.util.concurrent.Callable<?> first, java.util.concurrent.Callable<?> second) throws InterruptedException {
      return LockStep.both(as(0, first), as(1, second));
    }

    private java.util.concurrent.Callable<?> as(int me, java.util.concurrent.Callable<?> call) {
      return () -> {
        threads.set(me, Thread.currentThread());
        try {
          return call.call();
        } finally {
          done.set(me, 1);
        }
      };
    }
  }

  /** The fields whose content differs between two readings of the static state, "what: field: before -> after". */
  static List<String> changes(java.util.Map<String, String> before, java.util.Map<String, String> after, String what) {
    return workbook.test.FieldState.changes(before, after, what + ": ");
  }

  /** Every way to order three styles, best first, ties joined by "=". */
  static final List<String> ORDERINGS = List.of("REST, gRPC, events", "REST, events, gRPC", "gRPC, REST, events",
      "gRPC, events, REST", "events, REST, gRPC", "events, gRPC, REST", "REST = gRPC, events", "events, REST = gRPC",
      "REST = events, gRPC", "gRPC, REST = events", "gRPC = events, REST", "REST, gRPC = events", "REST = gRPC = events");

  /**
   * The flowchart of the README as its seven leaves: the answers on the way to each, in the order
   * asked, and the pattern there. Every scenario's answers match the path of exactly one leaf.
   */
  static final List<Leaf> LEAVES = List.of(
      new Leaf(DecisionTree.Pattern.REST, "ANSWER_NOW yes", "BROWSER_OR_PUBLIC yes"),
      new Leaf(DecisionTree.Pattern.GRPC, "ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH yes"),
      new Leaf(DecisionTree.Pattern.REST, "ANSWER_NOW yes", "BROWSER_OR_PUBLIC no", "HOT_PATH no"),
      new Leaf(DecisionTree.Pattern.SYNC_THEN_ASYNC, "ANSWER_NOW no", "STALE_OK no"),
      new Leaf(DecisionTree.Pattern.EVENTS, "ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS yes"),
      new Leaf(DecisionTree.Pattern.KEYED_EVENTS, "ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS no", "ORDER_MATTERS yes"),
      new Leaf(DecisionTree.Pattern.EVENTS_OR_QUEUE, "ANSWER_NOW no", "STALE_OK yes", "SEVERAL_CONSUMERS no", "ORDER_MATTERS no"));

  record Leaf(DecisionTree.Pattern pattern, List<String> path) {
    Leaf(DecisionTree.Pattern pattern, String... path) { this(pattern, List.of(path)); }

    /** The answer this leaf's path gives to the question, or null when the path does not ask it. */
    Boolean answer(Question question) {
      return path.stream().filter(step -> step.startsWith(question + " ")).findFirst().map(step -> step.endsWith(" yes")).orElse(null);
    }

    boolean reachedBy(Set<Question> yes) {
      return path.stream().allMatch(step -> step.endsWith(" yes") == yes.contains(Question.valueOf(step.split(" ")[0])));
    }
  }

  /** Every scenario with ANSWER_NOW as given, each of the other five questions yes or no: the leaf's pattern and path. */
  static void assertEveryScenario(boolean answerNow, String todo) {
    List<Question> others = Stream.of(Question.values()).filter(q -> q != Question.ANSWER_NOW).toList();
    List<String> wrong = new ArrayList<>();
    List<DecisionTree.Decision> decided = new ArrayList<>();
    List<Set<Question>> asked = new ArrayList<>();
    // twice over: the second time, every decision comes after others with the same answers, and after a caller tried
    // to add a note to each earlier decision's path
    for (int round = 1; round <= 2; round++) {
      for (int bits = 0; bits < 1 << others.size(); bits++) {
        Set<Question> yes = EnumSet.noneOf(Question.class);
        if (answerNow) yes.add(Question.ANSWER_NOW);
        for (int i = 0; i < others.size(); i++) if ((bits & 1 << i) != 0) yes.add(others.get(i));
        Leaf leaf = leafOf(yes);
        // every scenario has the same name: the answers decide, never the name (nor an earlier decision under it); and
        // the scenario writes down each question it is asked: the path must be those questions, asked of this scenario
        List<String> questionsAsked = new ArrayList<>();
        DecisionTree.Decision decision = DecisionTree.decide(recordingScenario(yes, questionsAsked));
        if (decision.pattern() != leaf.pattern() || !describe(decision.path()).equals(leaf.path())) {
          wrong.add("yes to " + yes + (round == 1 ? "" : ", decided again") + ": " + decision.pattern() + " by "
              + describe(decision.path()) + ", should be " + leaf.pattern() + " by " + leaf.path());
        } else if (!questionsAsked.equals(leaf.path()) && wrong.size() < 6) {
          wrong.add("yes to " + yes + (round == 1 ? "" : ", decided again") + ": the path reads " + leaf.path()
              + ", but the questions this scenario was asked were " + questionsAsked + " (a path not asked of the scenario "
              + "itself, through ask, is not its reasons: an answer copied from an earlier decision, or read another way)");
        }
        if (round == 1) {
          decided.add(decision);
          asked.add(yes);
        }
      }
      if (round == 2) break;
      // one scenario, challenged one answer at a time: the same object, its answers changed before each decision (all 32 in
      // turn, one answer flipped from each to the next, as a Gray code): each decision follows the answers as they are now
      Set<Question> current = EnumSet.noneOf(Question.class);
      List<DecisionTree.Decision> challengedDecisions = new ArrayList<>();
      List<List<String>> challengedPaths = new ArrayList<>();
      Scenario challenged = new Scenario("one interaction, challenged", current);
      for (int step = 0; step < 1 << others.size(); step++) {
        int bits = step ^ (step >> 1);
        current.clear();
        if (answerNow) current.add(Question.ANSWER_NOW);
        for (int i = 0; i < others.size(); i++) if ((bits & 1 << i) != 0) current.add(others.get(i));
        Leaf leaf = leafOf(current);
        DecisionTree.Decision decision = DecisionTree.decide(challenged);
        if ((decision.pattern() != leaf.pattern() || !describe(decision.path()).equals(leaf.path())) && wrong.size() < 6) {
          wrong.add("one scenario, its answers changed to yes to " + current + ": " + decision.pattern() + " by " + describe(decision.path())
              + ", should be " + leaf.pattern() + " by " + leaf.path() + " (an answer challenged, then decided again)");
        }
        challengedDecisions.add(decision);
        challengedPaths.add(leaf.path());
      }
      // a decision made before an answer was challenged still gives the reasons it was made for
      for (int i = 0; i < challengedDecisions.size() && wrong.size() < 6; i++) {
        if (!describe(challengedDecisions.get(i).path()).equals(challengedPaths.get(i))) {
          wrong.add("one scenario, decided by " + challengedPaths.get(i) + ": after its answers were challenged and changed, that "
              + "decision's path reads " + describe(challengedDecisions.get(i).path()));
        }
      }
      for (int i = 0; i < decided.size(); i++) {
        Leaf leaf = leafOf(asked.get(i));
        if (!describe(decided.get(i).path()).equals(leaf.path())) {
          wrong.add("yes to " + asked.get(i) + ": its decision's path read " + leaf.path() + " when returned, and "
              + describe(decided.get(i).path()) + " after the other decisions");
        }
      }
      for (DecisionTree.Decision decision : decided) tryToChange(decision.path(), new DecisionTree.Answer(Question.ANSWER_NOW, !answerNow));
      // the decision a caller tried to add to still gives the tree's reasons, and only those
      for (int i = 0; i < decided.size(); i++) {
        Leaf leaf = leafOf(asked.get(i));
        if (!describe(decided.get(i).path()).equals(leaf.path())) {
          wrong.add("yes to " + asked.get(i) + ": its decision's path read " + leaf.path() + " when returned, and "
              + describe(decided.get(i).path()) + " after its caller tried to add an answer to it and to change its first");
        }
      }
    }
    assertThat(wrong).as("%s: scenarios, all named 'one interaction', whose pattern or path is not the flowchart's (ask each "
        + "question on the way, through ask(), and nothing else: a question the branch does not ask must not change its answer, "
        + "and neither does the scenario's name or an earlier decision, even of the same scenario object whose answers have "
        + "changed since); and a decision keeps its path once returned, even when "
        + "its caller tries to add to it or to set one of its answers: decide returns a copy of a new list (List.copyOf, as given), never the working list "
        + "itself, nor a view (Collections.unmodifiableList) of a list the next decision fills again, nor a decision kept from "
        + "before whose path a caller could change, nor a fixed-size list (Arrays.asList) whose answers a caller can set", todo).isEmpty();
  }

  /** A scenario named "one interaction" that writes down each question it is asked (through Scenario.says), with its answer. */
  static Scenario recordingScenario(Set<Question> yes, List<String> asked) {
    Set<Question> answers = EnumSet.noneOf(Question.class);
    answers.addAll(yes);
    return new Scenario("one interaction", new java.util.AbstractSet<>() {
      @Override public boolean contains(Object question) {
        boolean answer = answers.contains(question);
        asked.add(question + (answer ? " yes" : " no"));
        return answer;
      }
      @Override public java.util.Iterator<Question> iterator() { return java.util.Collections.unmodifiableSet(answers).iterator(); }
      @Override public int size() { return answers.size(); }
    });
  }

  static Leaf leafOf(Set<Question> yes) { return LEAVES.stream().filter(l -> l.reachedBy(yes)).findFirst().orElseThrow(); }

  /**
   * A scenario whose answers are given one question at a time, in lock-step with another decision: each answer waits
   * {@code pace} steps, so a scenario of pace 2 is asked each question while the other decision asks two.
   */
  static Scenario lockStepScenario(Set<Question> yes, Meet lockStep, int pace) {
    return new Scenario("one interaction", new java.util.AbstractSet<>() {
      @Override public boolean contains(Object question) {
        for (int i = 0; i < pace; i++) lockStep.await();
        return yes.contains(question);
      }
      @Override public java.util.Iterator<Question> iterator() { return yes.iterator(); }
      @Override public int size() { return yes.size(); }
    });
  }

  /**
   * Two decisions made at once, asking their questions in lock-step: each must be the one it is alone. Every ordered pair
   * of the branch's leaves (a leaf with itself too), the two scenarios answering every question differently wherever
   * their leaves allow it, so that each answer one decision writes differs from the other's (a decision that keeps its
   * answers in a field shared by both reads the other's). Once at the same pace, then each in turn at half the other's,
   * so that what one decision writes early is there when the other, a question behind, reads late (and the other way
   * round): a clash over shared state happens on every run.
   */
  static void assertDecisionsAtOnce(String todo, boolean answerNow) throws InterruptedException {
    List<Leaf> leaves = LEAVES.stream().filter(l -> l.path().get(0).equals("ANSWER_NOW " + (answerNow ? "yes" : "no"))).toList();
    List<String> wrong = new ArrayList<>();
    // what each decision made alone left in a static field (of DecisionTree, Question, Scenario and their nested types)
    List<String> leftBehind = new ArrayList<>();
    boolean overlapped = false;
    for (Leaf one : leaves) {
      for (Leaf other : leaves) {
        Set<Question> first = EnumSet.noneOf(Question.class), second = EnumSet.noneOf(Question.class);
        for (Question question : Question.values()) {
          Boolean mine = one.answer(question), theirs = other.answer(question);
          boolean firstYes = mine != null ? mine : theirs != null ? !theirs : true;
          boolean secondYes = theirs != null ? theirs : !firstYes;
          if (firstYes) first.add(question);
          if (secondYes) second.add(question);
        }
        java.util.Map<String, String> before = staticState(DECISION_TYPES);
        String firstAlone = show(DecisionTree.decide(Scenario.of("one interaction", first.toArray(Question[]::new))));
        java.util.Map<String, String> between = staticState(DECISION_TYPES);
        String secondAlone = show(DecisionTree.decide(Scenario.of("one interaction", second.toArray(Question[]::new))));
        java.util.Map<String, String> after = staticState(DECISION_TYPES);
        if (leftBehind.size() < 3) leftBehind.addAll(changes(before, between, "deciding yes to " + first));
        if (leftBehind.size() < 3) leftBehind.addAll(changes(between, after, "deciding yes to " + second));
        // each in turn waits inside its k-th question while the other is decided whole, start to end: whatever it wrote
        // before that question and reads after it, the other has written over in between, on every run, not by chance
        int firstAsks = DecisionTree.decide(Scenario.of("one interaction", first.toArray(Question[]::new))).path().size();
        int secondAsks = DecisionTree.decide(Scenario.of("one interaction", second.toArray(Question[]::new))).path().size();
        // how many of those runs found the whole decision unable to start while the other waited (a lock around decide)
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger heldBack = new java.util.concurrent.atomic.AtomicInteger();
        for (int k = 1; k <= Math.max(firstAsks, secondAsks); k++) {
          if (k <= firstAsks) {
            runs.incrementAndGet();
            List<Object> both = decidedWhileWaiting(first, k, second, heldBack);
            if (!both.equals(List.of(firstAlone, secondAlone)) && wrong.size() < 6) {
              wrong.add("yes to " + first + ", waiting inside its " + ordinal(k) + " question while yes to " + second
                  + " was decided whole: " + both + ", each alone: " + List.of(firstAlone, secondAlone));
            }
          }
          if (k <= secondAsks) {
            runs.incrementAndGet();
            List<Object> both = decidedWhileWaiting(second, k, first, heldBack);
            if (!both.equals(List.of(secondAlone, firstAlone)) && wrong.size() < 6) {
              wrong.add("yes to " + second + ", waiting inside its " + ordinal(k) + " question while yes to " + first
                  + " was decided whole: " + both + ", each alone: " + List.of(secondAlone, firstAlone));
            }
          }
        }
        // decisions that never run at once (every run above saw the whole one held back until the other went on: a lock
        // around decide, correct) cannot meet question for question either: lock-step would only wait out its bound at
        // each question, so it is left out; decisions that do run at once meet in lock-step on every run
        if (heldBack.get() == runs.get()) continue;
        overlapped = true;
        for (int[] pace : List.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2})) {
          Meet lockStep = new Meet();
          List<Object> both = lockStep.run(() -> show(DecisionTree.decide(lockStepScenario(first, lockStep, pace[0]))),
              () -> show(DecisionTree.decide(lockStepScenario(second, lockStep, pace[1]))));
          if (!both.equals(List.of(firstAlone, secondAlone)) && wrong.size() < 6) {
            wrong.add("yes to " + first + " and yes to " + second + ", decided at the same time" + (pace[0] == pace[1] ? "" : ", the "
                + (pace[0] > pace[1] ? "first" : "second") + " a question behind the other") + ": " + both + ", each alone: "
                + List.of(firstAlone, secondAlone));
          }
        }
      }
    }
    assertThat(wrong).as("%s: two decisions made at the same time, whose scenarios answer differently wherever they can; each pattern "
        + "and path must be its own decision's, as it is alone: keep the answers, the path and the pattern in decide's own "
        + "variables (the path in its own list, an answer or a pattern a local or a return value), never in a field two "
        + "decisions share", todo).isEmpty();
    // decisions that do run at once (no lock holds one back while the other is made) must leave nothing in a static field: a
    // field written in the last moment before the return, with no question asked in between, is still shared by two
    // decisions at once (one can return what the other wrote), even where no test can hold a decision in that moment
    if (overlapped) {
      assertThat(leftBehind).as("%s: decisions that run at the same time left their work in a static field, which two decisions at "
          + "once share: expected every static field to read the same before and after a decision, but (field: before -> after) "
          + "%s. Keep the pattern, the path and every answer in decide's own variables and return values, never in a field, "
          + "however briefly it holds them", todo, leftBehind).isEmpty();
      // and a field emptied again before the return reads the same before and after, yet two decisions at once still share it
      assertThat(writableStatics(DECISION_TYPES)).as("%s: decisions run at the same time here (no lock holds one back while the "
          + "other is made), so a static field a decision can write is shared by both, even one it empties or sets back before "
          + "it returns: expected no such field, but found (field: why) these. Keep the pattern, the path and every answer in "
          + "decide's own variables, never in a field, however briefly it holds them", todo).isEmpty();
    }
  }

  static String ordinal(int n) {
    return n + (n % 100 / 10 == 1 ? "th" : switch (n % 10) { case 1 -> "st"; case 2 -> "nd"; case 3 -> "rd"; default -> "th"; });
  }

  /**
   * The decision of {@code waitingYes} waits inside its {@code k}-th question (the k-th answer asked of its scenario)
   * while the decision of {@code otherYes} is made on another thread, start to end; then it goes on. Both patterns and
   * paths, the waiting one's first. A second decision that cannot start while the first waits (a lock around decide:
   * correct, one at a time) is seen waiting itself, and the first is let go at once: the two then finish one after the
   * other. Every wait is bounded, so a decision that never returns fails instead of hanging the run.
   */
  static List<Object> decidedWhileWaiting(Set<Question> waitingYes, int k, Set<Question> otherYes,
      java.util.concurrent.atomic.AtomicInteger heldBack) throws InterruptedException {
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch goOn = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    Scenario waiting = new Scenario("one interaction", new java.util.AbstractSet<>() {
      @Override public boolean contains(Object question) {
        if (asked.incrementAndGet() == k) {
          inside.countDown();
          try {
            goOn.await(5, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return waitingYes.contains(question);
      }
      @Override public java.util.Iterator<Question> iterator() { return waitingYes.iterator(); }
      @Override public int size() { return waitingYes.size(); }
    });
    Scenario other = Scenario.of("one interaction", otherYes.toArray(Question[]::new));
    return whileOneWaits(() -> show(DecisionTree.decide(waiting)), () -> show(DecisionTree.decide(other)), inside, goOn,
        heldBack, "decision");
  }

  /**
   * Two calls at once, one held inside: {@code waiting} runs on a thread of its own until it is inside (it counts
   * {@code inside} down, then waits for {@code goOn}), then {@code whole} runs on another, start to end. A whole call
   * that cannot start while the first waits (a lock around the method: correct, one at a time) is seen waiting itself,
   * counted in {@code heldBack}, and the first is let go at once. Both outcomes, the waiting one's first: what each
   * returned, or what it threw. Every wait is bounded.
   */
  static List<Object> whileOneWaits(java.util.function.Supplier<?> waiting, java.util.function.Supplier<?> whole,
      java.util.concurrent.CountDownLatch inside, java.util.concurrent.CountDownLatch goOn,
      java.util.concurrent.atomic.AtomicInteger heldBack, String what) throws InterruptedException {
    java.util.concurrent.CompletableFuture<Object> first = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<Object> second = new java.util.concurrent.CompletableFuture<>();
    Thread firstThread = new Thread(() -> into(waiting, first, inside), what + "-waiting");
    Thread secondThread = new Thread(() -> into(whole, second, null), what + "-whole");
    try {
      firstThread.start();
      inside.await(5, java.util.concurrent.TimeUnit.SECONDS); // inside, or done before it got there
      secondThread.start();
      long bound = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      while (!second.isDone() && System.nanoTime() < bound) {
        Thread.State state = secondThread.getState();
        if (state == Thread.State.BLOCKED || state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) break;
        Thread.onSpinWait();
      }
      if (!second.isDone()) heldBack.incrementAndGet(); // seen waiting, not done, while the other was inside
      goOn.countDown();
      return List.of(outcome(first), outcome(second));
    } finally {
      goOn.countDown();
      firstThread.join(5_000);
      secondThread.join(5_000);
    }
  }

  private static void into(java.util.function.Supplier<?> call, java.util.concurrent.CompletableFuture<Object> result,
      java.util.concurrent.CountDownLatch done) {
    try {
      result.complete(call.get());
    } catch (Throwable failed) {
      result.completeExceptionally(failed);
    } finally {
      if (done != null) done.countDown();
    }
  }

  private static Object outcome(java.util.concurrent.CompletableFuture<Object> result) throws InterruptedException {
    try {
      return result.get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException failed) {
      if (failed.getCause() instanceof UnsupportedOperationException todo) throw todo; // an unwritten step says so
      return "threw " + failed.getCause();
    } catch (java.util.concurrent.TimeoutException never) {
      return "no answer within 5 s";
    }
  }

  static String show(DecisionTree.Decision decision) { return decision.pattern() + " by " + describe(decision.path()); }

  static void assertDecision(Scenario scenario, DecisionTree.Pattern expected, List<String> path, String why) {
    DecisionTree.Decision decision = DecisionTree.decide(scenario);
    assertThat(describe(decision.path())).as("%s: the questions asked, in order, and the answers", why).isEqualTo(path);
    assertThat(decision.pattern()).as(why).isEqualTo(expected);
  }

  static void assertTrade(TradeOffs.Style chosen, TradeOffs.Style instead, String gains, String costs) {
    TradeOffs.Trade trade = TradeOffs.versus(chosen, instead);
    assertThat(trade.gains()).as("TODO 3: the rows where %s has a better place than %s", chosen, instead).hasToString(gains);
    assertThat(trade.costs()).as("TODO 3: the rows where %s has a worse place than %s", chosen, instead).hasToString(costs);
  }

  /** Each answer as "QUESTION yes|no", so a wrong path reads at a glance. */
  static List<String> describe(List<DecisionTree.Answer> path) {
    return path.stream().map(a -> a.question() + (a.yes() ? " yes" : " no")).toList();
  }
}
