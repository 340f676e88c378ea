///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES InventoryConsumer.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/faults/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.db.Db;
import workbook.faults.Crash;
import workbook.faults.FaultyDatabase;
import workbook.faults.Lender;
import workbook.faults.OnePooledConnection;
import workbook.faults.Schedules;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Timeline;
import workbook.kafka.Topics;

@DisplayName("Lab 11: Idempotent consumer")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a safety net: every wait inside has its own bound; a loaded machine is slow to form consumer groups
class InventoryTest {
  public static void main(String[] args) { workbook.test.LabTests.run(InventoryTest.class, args); }

  static final String SKU = "sku-1";
  /**
   * Failures of one event in a row on one service, against a stand-in store whose stock change fails at once (no broker,
   * no SQL engine), and no round number: far past any count a service keeps before it sets an event aside as poison (a
   * handful, ten, a few hundred), as many as the failed deliveries of step 2, and few enough to run in a fraction of a
   * second on a laptop, so that a loaded machine stays far inside the test's bound (a million took 26.7 s of its 30 once).
   */
  static final int FAILED_APPLIES = 100_003;
  /**
   * Failed deliveries of one record, each to a new consumer of the group starting from its committed offset: as many as
   * run in about a second through a stand-in consumer (Kafka's MockConsumer: no broker, no group to join) and the
   * stand-in store (each delivery still parses the record's JSON, which sets the pace), and no round number.
   */
  static final int FAILED_DELIVERIES = 100_019;
  /**
   * SQLStates other than a duplicate key (23505) that a driver may report for a statement: the integrity class and its
   * other rules (NOT NULL, foreign key, CHECK, exclusion), a serialization failure and a deadlock, an aborted
   * transaction, a lost connection, a timeout, a cancelled statement, data too long, a missing table, an internal error.
   */
  static final List<String> OTHER_STATES = List.of("23000", "23001", "23502", "23503", "23513", "23514", "23P01", "40001",
      "40P01", "25P02", "08006", "08003", "HYT00", "57014", "22001", "22003", "42P01", "XX000");
  Db db;
  Inventory inventory;
  final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach void freshDatabase() {
    db = Db.fresh("lab11").execute(Inventory.SCHEMA + ";\nINSERT INTO stock VALUES ('" + SKU + "', 100)");
    inventory = new Inventory(db.dataSource());
  }

  @AfterEach void cleanUp() throws Exception {
    for (AutoCloseable c : toClose) c.close();
    db.close();
  }

  @Test
  @DisplayName("Kafka redelivers: a consumer that closes without committing leaves its records to the next one in its group")
  void kafkaRedelivers() {
    // given: three events, and a consumer that reads them and stops without committing
    String topic = Topics.fresh("orders", 1);
    String group = Topics.unique("inventory");
    publish(topic, event("e-1", 1), event("e-2", 2), event("e-3", 3));
    try (KafkaConsumer<String, String> first = manualCommitConsumer(topic, group, "inventory-1")) {
      Poll.records(first, 3, Duration.ofSeconds(15));
    }
    // when: a new member of the same group starts
    try (KafkaConsumer<String, String> second = manualCommitConsumer(topic, group, "inventory-2")) {
      // then
      List<ConsumerRecord<String, String>> again = Poll.records(second, 3, Duration.ofSeconds(15));
      assertThat(again).extracting(ConsumerRecord::offset).as("offsets read again by the next consumer")
          .containsExactly(0L, 1L, 2L);
    }
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: the event's id and its effect in one transaction")
  class Step1 {
    @Test
    @DisplayName("an event takes its quantity from stock and is recorded as processed")
    void appliesOnce() throws Exception {
      Lender lender = new Lender(db.dataSource());
      assertThat(new Inventory(lender).apply(event("e-1", 2))).as("TODO 1: apply() of a new event returns true").isTrue();
      assertThat(lender.problems()).as("TODO 1: connections apply(e-1) took and did not give back as it found them,"
          + " although it committed. Close the connection on every path (try-with-resources): a pool lends a"
          + " connection, and one kept by the service is shared by every consumer thread (their transactions mix)")
          .isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 took 2 of 100").isEqualTo(98);
      assertThat(processedIds()).as("TODO 1: ids in processed_events").containsExactly("e-1");
    }

    @Test
    @DisplayName("the same event delivered twice takes stock once")
    void skipsADuplicate() throws Exception {
      inventory.apply(event("e-1", 2));
      Lender lender = new Lender(db.dataSource());

      assertThat(new Inventory(lender).apply(event("e-1", 2))).as("TODO 1: apply() of e-1 a second time returns false").isFalse();
      assertThat(lender.problems()).as("TODO 1: connections the 2nd apply(e-1), a duplicate, did not give back as it"
          + " found them. End its transaction with rollback() (a rollback to a savepoint leaves it open) and close the"
          + " connection on every path, a duplicate's too").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 (2 of 100) was delivered twice").isEqualTo(98);
      assertThat(inventory.apply(event("e-2", 3))).as("TODO 1: apply() of another event, e-2").isTrue();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 and e-2 (3)").isEqualTo(95);
    }

    @Test
    @DisplayName("a duplicate is recognised after a restart, and by another instance of the service")
    void duplicateAfterARestart() throws Exception {
      inventory.apply(event("e-1", 2));
      // when: e-1 comes again, to a new Inventory over the same database (restarted, or a second instance)
      Inventory restarted = new Inventory(db.dataSource());

      assertThat(restarted.apply(event("e-1", 2))).as("TODO 1: apply() of e-1 again, by a restarted service."
          + " What was processed must be known from the database (processed_events, written in the same"
          + " transaction as the stock change), not from the memory of one process").isFalse();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 (2 of 100) was delivered again after a restart").isEqualTo(98);
    }

    @Test
    @DisplayName("a copy is recognised before any stock change: whatever the stock change would do now (refused, its row locked, its sku gone), a copy of an applied event returns false")
    void aCopyNeverRunsTheStockChange() throws Exception {
      // given: e-1 applied; then its stock change would fail: refused (a CHECK on a stock now too low, a lock held by
      // another transaction, a deadlock, a lost connection), or its sku no longer stocked
      assertThat(inventory.apply(event("e-1", 2))).as("TODO 1: apply() of e-1, a new event").isTrue();
      List<String> wrong = new ArrayList<>();
      for (String state : List.of("23513", "HYT00", "40001", "08006")) {
        Inventory refused = new Inventory(refusing(db.dataSource(), "UPDATE stock", () -> refusal(state)));
        Object outcome = outcomeOf(() -> refused.apply(event("e-1", 2)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        if (!Boolean.FALSE.equals(outcome)) wrong.add("a copy of e-1 whose stock change would be refused with SQLState " + state + ": apply() " + described(outcome));
      }
      // and: the same, for real rather than injected: the stock row held by another transaction (a lock the copy would
      // wait for, then fail on: here after 50 ms), and a stock too low for the event (0 of 2, under a CHECK that keeps
      // it at or above zero): a copy that looks at or locks the stock row before recordOnce fails on it
      db.execute("SET DEFAULT_LOCK_TIMEOUT 50");
      try (StockLock lock = new StockLock()) {
        Object locked = outcomeOf(() -> inventory.apply(event("e-1", 2)));
        if (!Boolean.FALSE.equals(locked)) wrong.add("a copy of e-1 while another transaction holds its stock row: apply() " + described(locked));
      }
      db.execute("ALTER TABLE stock ADD CONSTRAINT test_stock_not_below_zero CHECK (quantity >= 0)");
      db.execute("UPDATE stock SET quantity = 0 WHERE sku = '" + SKU + "'");
      Object low = outcomeOf(() -> inventory.apply(event("e-1", 2)));
      if (!Boolean.FALSE.equals(low)) wrong.add("a copy of e-1 (2) once the stock of its sku is 0: apply() " + described(low));
      db.execute("DELETE FROM stock WHERE sku = '" + SKU + "'");
      Object gone = outcomeOf(() -> inventory.apply(event("e-1", 2)));
      if (!Boolean.FALSE.equals(gone)) wrong.add("a copy of e-1 once its sku has no stock row: apply() " + described(gone));
      // then
      assertThat(wrong).as("TODO 1: copies of e-1, an event already applied, that apply() did not report as already"
          + " processed. Record the id first (recordOnce) and run the stock change only when that returned true: a copy"
          + " that runs the stock change first fails whenever that change would fail now, and so does one that reads,"
          + " checks or locks the stock row before recordOnce (SELECT ... FOR UPDATE waits for another transaction's"
          + " lock; a check of the quantity refuses a copy once stock is low): the consumer, stuck on a copy, never"
          + " reaches the events behind it. Touch the stock only after recordOnce returned true").isEmpty();
    }

    @Test
    @DisplayName("two different events of the same order each take stock: an event is known by its eventId")
    void eventsOfOneOrder() throws Exception {
      // given: two events of order o-7 (it was confirmed, then confirmed again with one more item)
      var first = new Inventory.OrderConfirmed("e-70", "order.confirmed", "o-7", SKU, 2);
      var second = new Inventory.OrderConfirmed("e-71", "order.confirmed", "o-7", SKU, 1);

      assertThat(inventory.apply(first)).as("TODO 1: apply() of o-7's first event, e-70").isTrue();
      assertThat(inventory.apply(second)).as("TODO 1: apply() of o-7's second event, e-71. It is another event"
          + " (another eventId) of the same order, not a duplicate: dedupe by the event's id, not by the order"
          + " id (the record's key), which every event of one order shares").isTrue();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-70 (2) and e-71 (1)").isEqualTo(97);
      assertThat(processedIds()).as("TODO 1: ids in processed_events: the events' ids").containsExactly("e-70", "e-71");
    }

    @Test
    @DisplayName("events whose ids differ in any character are different events, each takes stock: case, spaces, look-alikes, as long as the column holds and never cut to fit it, on a machine of any language")
    void idsDifferingInAnyCharacterAreDifferentEvents() throws Exception {
      // given: events whose ids differ from e-1 (and from each other) in one character only: case, a space or a tab around
      // it, a no-break space, a hyphen or a digit that merely looks the same, a Turkish dotted or dotless i, an accent
      // composed or as a combining mark (the same text to a reader, not the same id: no Unicode normalisation), two ids
      // with the same String.hashCode() ("Aa" and "BB": an id is not its hash), and two ids as long as
      // processed_events.event_id holds (64) that differ in their last character; on a Turkish default locale
      String longId = "order-service/2026-12-07T10:57:10.123456789Z/" + "x".repeat(64 - 46);
      List<String> ids = List.of("e-1", "E-1", " e-1", "e-1 ", "e-1\t", "\u00a0e-1", "e\u20101", "e-\uff11", "EVENT-I",
          "event-i", "event-\u0131", "EVENT-\u0130", "e-\u00e9", "e-e\u0301", "e-Aa", "e-BB", longId + "a", longId + "b");
      Locale machine = Locale.getDefault();
      List<String> wrong = new ArrayList<>();
      int[] tooLongTaken = {0};
      try {
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        for (int n = 0; n < ids.size(); n++) {
          var e = new Inventory.OrderConfirmed(ids.get(n), "order.confirmed", "o-" + n, SKU, 1);
          Object outcome = outcomeOf(() -> inventory.apply(e));
          if (outcome instanceof UnsupportedOperationException todo) throw todo;
          if (!Boolean.TRUE.equals(outcome)) wrong.add("[" + ids.get(n) + "] " + described(outcome));
        }
        // and: a copy of each, its id exactly as sent, is still recognised
        for (int n = 0; n < ids.size(); n++) {
          var copy = new Inventory.OrderConfirmed(ids.get(n), "order.confirmed", "o-" + n, SKU, 1);
          Object outcome = outcomeOf(() -> inventory.apply(copy));
          if (!Boolean.FALSE.equals(outcome)) wrong.add("a copy of [" + ids.get(n) + "] " + described(outcome));
        }
        // and: two ids longer than the column holds, the same in their first 64 characters and with the same
        // String.hashCode() (they end in "Aa" and "BB"): whatever apply() does with an id the column cannot hold (lets
        // the database's refusal out, or keeps it whole another way: a digest of every character), it never cuts it to
        // fit nor makes it its hash, which makes the second event a copy of the first, skipped and lost
        for (String tooLong : List.of(longId + "aAa", longId + "aBB")) {
          var e = new Inventory.OrderConfirmed(tooLong, "order.confirmed", "o-long", SKU, 1);
          Object outcome = outcomeOf(() -> inventory.apply(e));
          if (Boolean.TRUE.equals(outcome)) tooLongTaken[0]++;
          if (Boolean.FALSE.equals(outcome)) wrong.add("[" + tooLong + "] (66 characters, a new event) " + described(outcome));
        }
      } finally {
        Locale.setDefault(machine);
      }
      // then
      assertThat(wrong).as("TODO 1: events whose ids differ in one character, applied once each and then copied, that"
          + " apply() did not take once (true) and then recognise (false). An event is known by its eventId exactly as"
          + " sent: record it as it is, never trimmed, cut to the column's 64 characters, replaced by its hashCode() (or by"
          + " any part of it with a hash: \"Aa\" and \"BB\" share one), put in one case or otherwise normalised (toLowerCase() also follows the"
          + " machine's language: on a Turkish one I becomes a dotless i), or two different events become one and the"
          + " second is skipped, lost. [id] and what apply() did").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after %d different events (1 each) and a copy of each, and %d of"
          + " two events whose ids the column cannot hold applied", ids.size(), tooLongTaken[0])
          .isEqualTo(100 - ids.size() - tooLongTaken[0]);
    }

    @Test
    @DisplayName("a failure inside the transaction leaves the event unprocessed, and a retry applies it")
    void failureLeavesItUnprocessed() throws Exception {
      // given: another transaction holds the stock row, so taking stock times out after 50 ms (the lock is held throughout: the wait fails every time, and soon)
      db.execute("SET DEFAULT_LOCK_TIMEOUT 50");
      Throwable failure;
      Lender lender = new Lender(db.dataSource());
      try (StockLock lock = new StockLock()) {
        // when
        failure = catchThrowable(() -> new Inventory(lender).apply(event("e-1", 2)));
      }
      // then
      if (failure instanceof UnsupportedOperationException todo) throw todo;
      assertThat(lender.problems()).as("TODO 1: connections the failed apply(e-1) did not give back as it found them."
          + " End its transaction with rollback() (not a rollback to a savepoint) and close the connection on every"
          + " path").isEmpty();
      assertThat(failure).as("TODO 1: apply() while the stock row is locked must fail and let the failure out:"
          + " a consumer that sees no failure commits the offset, and the event is lost").isNotNull();
      assertThat(processedIds()).as("TODO 1: processed_events after the failed attempt. e-1 took no stock, so it"
          + " must not be recorded: record it in the same transaction as the stock change").isEmpty();
      assertThat(inventory.apply(event("e-1", 2))).as("TODO 1: apply() of e-1 again, once the lock is gone").isTrue();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after the retry of e-1 (2 of 100)").isEqualTo(98);
    }

    @Test
    @Order(Order.DEFAULT + 2) // last of this step: a hundred thousand failed applies take a while, so every quicker test goes first
    @DisplayName("an event whose stock change fails again and again, on one service, stays unprocessed and is applied once it can be: apply() never gives up on an event, through a hundred thousand failures")
    void neverGivesUpOnAnEvent() throws Exception {
      // given: one service whose stock change fails at once (an SQLException) as often as it is tried, for a while: a
      // stand-in store, so that a failure costs a microsecond and the sample can be far past any budget
      StandInStore store = new StandInStore();
      Switching database = new Switching(store.dataSource());
      Inventory service = new Inventory(database);
      Inventory.OrderConfirmed e1 = event("e-1", 2);
      // when: e-1 is delivered to it again and again, failing each time
      Timeline.note("the stock changes fail at once, " + FAILED_APPLIES + " times (a stand-in store the test injects)");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      for (int attempt = 1; attempt <= FAILED_APPLIES; attempt++) {
        if ((attempt & 1023) == 0 && System.nanoTime() > deadline) {
          fail("TODO 1: %d failed apply() calls of e-1 took more than 30 s (%d to go): let a failure out at once, without"
              + " waiting or retrying inside apply(); the next delivery is the retry", attempt, FAILED_APPLIES - attempt);
        }
        Object outcome = outcomeOf(() -> service.apply(e1));
        if (outcome instanceof SQLException && store.committedIds.isEmpty()) continue;
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        assertThat(outcome).as("TODO 1: what the %s apply() of e-1 did while its stock change failed. A failure is let"
            + " out every time, however often the event failed before: an event set aside (recorded as processed, or"
            + " skipped) after so many failures is lost once the database works again", Lender.ordinal(attempt))
            .isInstanceOf(SQLException.class);
        assertThat(store.committedIds).as("TODO 1: ids committed to processed_events by the %s failed apply() of e-1:"
            + " no stock was taken, so it must not be recorded, however often it failed before (an id recorded as"
            + " poison is an event lost)", Lender.ordinal(attempt)).isEmpty();
      }
      database.to = db.dataSource();
      Timeline.note("the stock changes work again");
      // then
      assertThat(service.apply(e1)).as("TODO 1: apply() of e-1 by the same service once its stock change works, after"
          + " %d failures: it was never applied, so it takes stock now, however often it failed before", FAILED_APPLIES)
          .isTrue();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock once e-1 (2 of 100) was applied after %d failures",
          FAILED_APPLIES).isEqualTo(98);
      assertThat(processedIds()).as("TODO 1: ids in processed_events once e-1 was applied").containsExactly("e-1");
    }

    @Test
    @DisplayName("an event whose stock change changes no row (no stock row for its sku) fails and stays unprocessed, and is applied once the row exists")
    void anEffectThatChangesNothingIsAFailure() throws Exception {
      // given: an event of a sku that has no stock row yet (the stock service has not heard of it)
      var early = new Inventory.OrderConfirmed("e-5", "order.confirmed", "o-5", "sku-new", 3);
      // when
      Object outcome = outcomeOf(() -> inventory.apply(early));
      if (outcome instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(outcome).as("TODO 1: what apply() of e-5 did, whose sku has no stock row: its UPDATE changed no row, so"
          + " nothing was taken. That is a failure (takeFromStock checks the count of rows it changed: keep that check):"
          + " an id recorded without its effect makes the redelivery look processed").isInstanceOf(SQLException.class);
      assertThat(processedIds()).as("TODO 1: ids in processed_events after e-5 took nothing").isEmpty();
      // and: once the stock row exists, the redelivery takes stock
      db.execute("INSERT INTO stock VALUES ('sku-new', 10)");
      assertThat(inventory.apply(early)).as("TODO 1: apply() of e-5 again, once sku-new has a stock row").isTrue();
      assertThat(inventory.stock("sku-new")).as("TODO 1: stock of sku-new after e-5 took 3 of 10").isEqualTo(7);
      // and: whatever the quantity: an event of 0 items of a sku with no stock row changes no row either
      var none = new Inventory.OrderConfirmed("e-6", "order.confirmed", "o-6", "sku-unknown", 0);
      Object zero = outcomeOf(() -> inventory.apply(none));
      assertThat(List.of(zero instanceof SQLException, processedIds().contains("e-6"))).as("TODO 1: [failed with an"
          + " SQLException, id recorded] for apply() of e-6, 0 items of sku-unknown, which has no stock row (apply() %s)."
          + " Run takeFromStock whatever the quantity: its UPDATE finds no row for the sku, and that is a failure; an"
          + " event skipped as \"nothing to take\" is recorded as processed for a sku the stock has never heard of",
          described(zero)).containsExactly(true, false);
    }

    @Test
    @DisplayName("from a pool that hands a connection on as it was returned, a failed apply and a duplicate leave nothing for the next event to commit")
    void pooledConnectionLeftClean() throws Exception {
      // given: a pool of one connection whose close() returns it to the pool as it is, open transaction and all (as
      // Tomcat's jdbc-pool does unless told to roll back on return): every apply() gets the same connection
      db.execute("SET DEFAULT_LOCK_TIMEOUT 50");
      try (OnePooledConnection pool = new OnePooledConnection(db.dataSource())) {
        Lender lender = new Lender(pool);
        Inventory pooled = new Inventory(lender);
        pooled.apply(event("e-1", 2));
        // when: e-3 fails (the stock row is locked), then e-2 is applied on the same connection
        Throwable failure;
        try (StockLock lock = new StockLock()) {
          failure = catchThrowable(() -> pooled.apply(event("e-3", 5)));
        }
        if (failure instanceof UnsupportedOperationException todo) throw todo;
        assertThat(failure).as("TODO 1: apply() of e-3 while the stock row is locked must fail").isNotNull();
        assertThat(pooled.apply(event("e-2", 3))).as("TODO 1: apply() of e-2 on the pooled connection").isTrue();
        // then: e-2's commit committed e-2 alone
        assertThat(processedIds()).as("TODO 1: ids in processed_events once e-2 committed on the connection that e-3's"
            + " failed apply() had used. e-3 took no stock, yet it is recorded: its insert was never rolled back, and the"
            + " next commit on that connection saved it. Roll back whenever apply() does not commit (a failure, a"
            + " duplicate): close() returns a pooled connection as it is").containsExactly("e-1", "e-2");
        // and when: e-1 comes again, then e-4 is applied on the same connection
        assertThat(pooled.apply(event("e-1", 2))).as("TODO 1: apply() of e-1 a second time").isFalse();
        assertThat(pooled.apply(event("e-4", 1))).as("TODO 1: apply() of e-4 on the pooled connection").isTrue();
        assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 (2), e-2 (3), e-1 again and e-4 (1), on one pooled"
            + " connection. A change the duplicate's apply() made and did not commit was saved by e-4's commit: roll back"
            + " whenever apply() does not commit").isEqualTo(94);
        assertThat(pooled.apply(event("e-3", 5))).as("TODO 1: apply() of e-3 again, once the lock is gone").isTrue();
        assertThat(inventory.stock(SKU)).as("TODO 1: stock after the retry of e-3 (5)").isEqualTo(89);
        assertThat(lender.problems()).as("TODO 1: connections the pool got back not as it lent them, after e-1, a failed"
            + " e-3, e-2, e-1 again, e-4 and e-3 again. The pool hands a connection on as it is: whatever apply() does not"
            + " commit it ends with rollback() (a rollback to a savepoint leaves the transaction open), and it closes the"
            + " connection every time").isEmpty();
      }
    }
    @Test
    @DisplayName("a duplicate rolls back before apply() returns: through a driver whose failed statement aborts the transaction until a rollback (as PostgreSQL's does), the pooled connection's next event is applied")
    void duplicateRolledBackOnAnAbortingDriver() throws Exception {
      // given: a pool of one connection to a database that, like PostgreSQL, refuses every statement of a transaction
      // in which one statement failed (SQLState 25P02) until that transaction is rolled back
      try (OnePooledConnection pool = new OnePooledConnection(abortingOnError(db.dataSource()))) {
        Inventory pooled = new Inventory(pool);
        pooled.apply(event("e-1", 2));
        // when: e-1 comes again (its insert breaks the primary key), then e-2 is applied on the same connection
        Object duplicate = outcomeOf(() -> pooled.apply(event("e-1", 2)));
        if (duplicate instanceof UnsupportedOperationException todo) throw todo;
        assertThat(duplicate).as("TODO 1: apply() of e-1 a second time").isEqualTo(false);
        Object next = outcomeOf(() -> pooled.apply(event("e-2", 3)));
        // then
        assertThat(next).as("TODO 1: apply() of e-2 on the pooled connection right after e-1's duplicate returned false."
            + " The duplicate's failed insert left its transaction open and aborted (on PostgreSQL nothing more runs in it"
            + " until a rollback), and close() hands a pooled connection on as it is: roll back before apply() returns"
            + " false, not only when it throws").isEqualTo(true);
        assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 (2), e-1 again and e-2 (3)").isEqualTo(95);
      }
    }

    @Test
    @DisplayName("from a pool that hands a connection on as it was returned, an apply whose stock change fails with a checked or an unchecked exception leaves nothing for the next event to commit")
    void pooledConnectionLeftCleanWhateverFails() throws Exception {
      // given: the pool of one connection, and a stock change that fails once with an SQLException, then once with an
      // unchecked exception (as a pool, a proxy or a driver wrapper may throw): "if anything throws, roll back"
      for (boolean unchecked : new boolean[] {false, true}) {
        String kind = unchecked ? "an unchecked exception (IllegalStateException)" : "an SQLException";
        db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100");
        try (OnePooledConnection pool = new OnePooledConnection(db.dataSource())) {
          workbook.faults.StatementFails failing =
              new workbook.faults.StatementFails(pool, "UPDATE stock", "the stock change", unchecked);
          Inventory pooled = new Inventory(failing);
          // when: e-3's stock change fails, then e-2 is applied on the same connection
          failing.armed = true;
          Throwable failure = catchThrowable(() -> pooled.apply(event("e-3", 5)));
          failing.armed = false;
          if (failure instanceof UnsupportedOperationException todo) throw todo;
          assertThat(failure).as("TODO 1: apply() of e-3 when its stock change failed with %s: the failure must reach"
              + " the caller", kind).isNotNull();
          assertThat(pooled.apply(event("e-2", 3))).as("TODO 1: apply() of e-2 on the pooled connection").isTrue();
          // then
          assertThat(processedIds()).as("TODO 1: ids in processed_events once e-2 committed on the connection that e-3's"
              + " failed apply() had used, whose stock change failed with %s. e-3 took no stock, yet it is recorded: its"
              + " insert was never rolled back, and e-2's commit saved it, so e-3's redelivery is skipped and lost. Roll"
              + " back whatever fails (catch RuntimeException too, not only SQLException), then rethrow", kind)
              .containsExactly("e-2");
          assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-2 (3 of 100), e-3 having failed").isEqualTo(97);
        }
      }
    }

    /** How long apply() may go on running its transaction again while class 40 failures last: its poll, and the group, wait. */
    static final int CLASS_40_BOUND_SECONDS = 10;

    @Test
    @Order(Order.DEFAULT - 1) // before the tests whose refusals never stop: a retry without a bound is told here, by its TODO
    @DisplayName("a stock change that fails with class 40 at every attempt, however long that lasts, fails the apply within seconds: a retry of the whole transaction has a bound, and the last attempt's failure is let out")
    void aRetryOfClass40HasABound() throws Exception {
      // given: a database whose every stock change fails with SQLState 40P01 (a deadlock: the database rolled the
      // transaction back, the event's id with it), for as long as the test says, as PostgreSQL's does
      java.util.concurrent.atomic.AtomicBoolean deadlocks = new java.util.concurrent.atomic.AtomicBoolean(true);
      List<SQLException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      DataSource failing = abortingOnError(workbook.db.StatementHook.over(db.dataSource(), (c, sql) -> {
        if (!workbook.db.StatementHook.startsWith(sql, "UPDATE stock") || !deadlocks.get()) return;
        c.rollback();
        SQLException e = new SQLException("deadlock detected: the transaction was rolled back (failure " + (failures.size() + 1)
            + ": the test injects one at every attempt)", "40P01");
        failures.add(e);
        throw e;
      }));
      CompletableFuture<Object> outcome = new CompletableFuture<>();
      Thread applying = new Thread(() -> {
        try {
          outcome.complete(new Inventory(failing).apply(event("e-1", 2)));
        } catch (Throwable e) {
          outcome.complete(e);
        }
      }, "inventory-1");
      applying.setDaemon(true);
      // when
      applying.start();
      Object thrown;
      try {
        thrown = outcome.get(CLASS_40_BOUND_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException stillTrying) {
        thrown = null;
      } finally {
        deadlocks.set(false); // an apply() still trying goes through now, and its thread ends
      }
      int tried = failures.size();
      if (thrown == null) {
        Object late = outcome.get(10, TimeUnit.SECONDS);
        fail("TODO 1: apply() of e-1, whose stock change failed with SQLState 40P01 at every attempt, was still running its"
            + " transaction again after %d s and %d attempts (once the failures stopped, it %s). A retry of class 40 has a"
            + " bound: a deadlock that keeps coming (a hot stock row) holds the consumer in one apply() for ever, past"
            + " max.poll.interval.ms (the group takes its partitions away), and its poll never hears of it. Try a few times"
            + " (the whole transaction, rolled back each time), then give up and let the last attempt's failure out: the"
            + " redelivery is the next retry", CLASS_40_BOUND_SECONDS, tried, described(late));
      }
      if (thrown instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(thrown).as("TODO 1: what apply() of e-1 did once it stopped trying, its stock change having failed with"
          + " SQLState 40P01 at all %d attempts: let the failure out (an SQLException), so that its poll commits nothing and"
          + " e-1 comes again", tried).isInstanceOf(SQLException.class);
      assertThat(List.of(processedIds(), inventory.stock(SKU))).as("TODO 1: [ids in processed_events, stock] once apply()"
          + " of e-1 gave up: nothing recorded, no stock taken").containsExactly(List.of(), 100);
    }

    @Test
    @DisplayName("a stock change refused for any reason (every SQLState a driver may report, a CHECK on the stock and a duplicate key among them) fails the apply and records nothing, and the redelivery is applied")
    void everyRefusalOfTheStockChangeFails() throws Exception {
      // given: drivers whose stock change is refused with each SQLState below (as the JDBC 4 subclass a driver throws for
      // its class, vendor code 0): a CHECK that refuses a stock below zero (23513), a value out of range (22003), a
      // lost connection, a deadlock... none of them took stock, so none of them is a reason to record the event
      List<String> states = new ArrayList<>(List.of("23505"));
      states.addAll(OTHER_STATES);
      List<String> wrong = new ArrayList<>();
      for (int n = 1; n <= states.size(); n++) {
        String state = states.get(n - 1);
        Inventory refused = new Inventory(refusing(db.dataSource(), "UPDATE stock", () -> refusal(state)));
        String id = "e-" + n;
        Object outcome = outcomeOf(() -> refused.apply(event(id, 1)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        if (!(outcome instanceof SQLException)) wrong.add("the stock change of " + id + " refused with SQLState " + state + ": apply() " + described(outcome));
      }
      // then
      assertThat(wrong).as("TODO 1: stock changes refused that apply() did not let out. Whatever the stock change fails"
          + " with, no stock was taken: roll back and let the failure out, so that the consumer commits nothing and the"
          + " event comes again. No failure makes an event \"processed\" (recorded or skipped as one that can never"
          + " apply: a CHECK that refuses the stock today passes once stock arrives)").isEmpty();
      assertThat(processedIds()).as("TODO 1: ids in processed_events after every stock change was refused: none took"
          + " stock, so none may be recorded (the id and the stock change commit together, or neither does)").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after every stock change was refused").isEqualTo(100);
      // and: once the stock change works, every one of those events is applied on its redelivery
      List<Object> again = new ArrayList<>();
      for (int n = 1; n <= states.size(); n++) {
        String id = "e-" + n;
        again.add(outcomeOf(() -> inventory.apply(event(id, 1))));
      }
      assertThat(again).as("TODO 1: apply() of each of those %d events again, once the stock change works: each was"
          + " never applied, so each takes stock now", states.size()).containsOnly(true);
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after the %d redeliveries took 1 each", states.size())
          .isEqualTo(100 - states.size());
    }

    @Test
    @DisplayName("a stock change that fails with a deadlock or a serialization failure (SQLState class 40: the database rolled the whole transaction back) fails the apply, or the apply runs the whole transaction again: the redelivery takes stock once in all, and the id is recorded")
    void aTransactionRolledBackByTheDatabaseIsNotRetriedByHalf() throws Exception {
      // given: drivers whose stock change fails once with each SQLState of class 40 (transaction rollback), as H2's and
      // PostgreSQL's do on a deadlock or a serialization failure: the database has rolled the whole transaction back,
      // the event's id with it, before the statement throws; the stock changes after it work
      List<String> states = List.of("40001", "40P01", "40002", "40003");
      List<String> wrong = new ArrayList<>();
      for (int n = 1; n <= states.size(); n++) {
        String state = states.get(n - 1);
        Inventory rolledBack = new Inventory(rolledBackOnce(db.dataSource(), "UPDATE stock", () -> refusal(state)));
        String id = "e-" + n;
        int before = inventory.stock(SKU);
        Object first = outcomeOf(() -> rolledBack.apply(event(id, 1)));
        if (first instanceof UnsupportedOperationException todo) throw todo;
        // when: the event comes again (the consumer committed nothing if apply() failed; a copy if it did not)
        Object again = outcomeOf(() -> rolledBack.apply(event(id, 1)));
        int taken = before - inventory.stock(SKU);
        if (taken != 1 || !processedIds().contains(id) || Boolean.FALSE.equals(first)) {
          wrong.add(id + ", whose stock change failed once with SQLState " + state + " (the transaction rolled back): apply() "
              + described(first) + ", then on the redelivery " + described(again) + "; stock taken " + taken + " time(s),"
              + (processedIds().contains(id) ? " id recorded" : " id not recorded"));
        }
      }
      // then
      assertThat(wrong).as("TODO 1: events whose stock change failed with SQLState class 40 and were not taken exactly"
          + " once with their id recorded. Class 40 means the database rolled the transaction back, the event's id with"
          + " it: a retry of the stock change alone runs in a new transaction, which takes stock without the id, and the"
          + " redelivery takes it again. Roll back and let the failure out (or run the whole transaction again: the id's"
          + " insert and the stock change)").isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quicker tests of this step: two applies on threads of their own
    @DisplayName("two different events applied at the same moment, by two instances of the service, each take their stock: the database computes the new quantity, none is read and written back")
    void concurrentEventsEachTakeTheirStock() throws Exception {
      // given: two instances of the service (two consumers of one group, on two partitions) apply e-1 and e-2 at the
      // same moment: each is held as it is about to write the stock row until the other is there too, or waits in the
      // database (a lock it takes first), or is done (no timing: a latch, and the database's own view of its sessions)
      db.execute("SET DEFAULT_LOCK_TIMEOUT 10000"); // the second write waits for the first transaction, never gives up here
      CountDownLatch atTheWrite = new CountDownLatch(2);
      // read by the applies' threads while this one adds the second: a list that is safe to read meanwhile
      List<CompletableFuture<Object>> results = new java.util.concurrent.CopyOnWriteArrayList<>();
      DataSource meeting = workbook.db.StatementHook.over(db.dataSource(), (c, sql) -> {
        String upper = sql.strip().toUpperCase(java.util.Locale.ROOT);
        boolean writesStock = upper.matches("(UPDATE|MERGE\\s+INTO|INSERT\\s+INTO|DELETE\\s+FROM)\\s+STOCK\\b.*");
        if (!writesStock || atTheWrite.getCount() == 0) return;
        atTheWrite.countDown();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        try {
          while (!atTheWrite.await(10, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
            if (stuckStatements() > 0 || results.stream().anyMatch(CompletableFuture::isDone)) break;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Timeline.note("inventory-1 applies e-1 and inventory-2 applies e-2 at the same moment");
      results.add(applyOnItsOwnThread("inventory-1", new Inventory(meeting), event("e-1", 2)));
      results.add(applyOnItsOwnThread("inventory-2", new Inventory(meeting), event("e-2", 3)));
      List<Object> outcomes = new ArrayList<>();
      for (CompletableFuture<Object> r : results) outcomes.add(r.get(30, TimeUnit.SECONDS));
      for (Object o : outcomes) if (o instanceof UnsupportedOperationException todo) throw todo;
      // when: an event whose apply() failed is delivered again (its consumer committed nothing)
      List<Object> again = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Inventory.OrderConfirmed e = i == 0 ? event("e-1", 2) : event("e-2", 3);
        again.add(outcomes.get(i) instanceof Exception ? outcomeOf(() -> inventory.apply(e)) : "not redelivered");
      }
      // then
      assertThat(outcomes).as("TODO 1: what apply() of e-1 and of e-2, at the same moment on two instances, did: each"
          + " took stock (true), or failed and was let out (then its redelivery applies it: %s)", again)
          .allMatch(o -> Boolean.TRUE.equals(o) || o instanceof SQLException);
      assertThat(processedIds()).as("TODO 1: ids in processed_events after e-1 and e-2 were applied at the same moment"
          + " (apply() %s and %s; redelivered: %s)", described(outcomes.get(0)), described(outcomes.get(1)), again)
          .containsExactly("e-1", "e-2");
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after e-1 (2) and e-2 (3) of 100 were applied at the same moment"
          + " by two instances of the service (apply() %s and %s; redelivered: %s). A quantity read first and written"
          + " back (SELECT quantity, then UPDATE stock SET quantity = <what was read - n>) is a lost update: under READ"
          + " COMMITTED both read 100, and the second write replaces the first, so one event took nothing although its id"
          + " is recorded. Let the database compute it in the one statement that writes it (quantity = quantity - ?), as"
          + " the given takeFromStock does", described(outcomes.get(0)), described(outcomes.get(1)), again).isEqualTo(95);
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: commit the offset only after the effect")
  class Step2 {
    final String topic = Topics.fresh("orders", 1);
    final String group = Topics.unique("inventory");

    @Test
    @DisplayName("every event on the topic takes stock once, and the group's offset is committed after")
    void appliesAndCommits() throws Exception {
      // given: e-1, e-2, e-3, and e-1 once more at a new offset (lab 10's relay re-sends after a crash)
      publish(topic, event("e-1", 1), event("e-2", 2), event("e-3", 3), event("e-1", 1));
      InventoryConsumer consumer = consumer("inventory-1");

      int read = pollUntilRead(consumer, 4);
      assertThat(read).as("TODO 2: records pollOnce() read (it returns how many the poll gave)").isEqualTo(4);
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after e-1 (1), e-2 (2), e-3 (3) and e-1 again, at offset 3."
          + " The copy has its own offset but the same eventId: apply each record's event as it is (its eventId"
          + " tells a duplicate), not keyed by topic, partition or offset").isEqualTo(94);
      // the consumer's interceptor hears of a commit only once the broker answered it: read the moment pollOnce() returned
      assertThat(acknowledgedCommit("inventory-1", group, topic, 0)).as("TODO 2: the offset of partition 0 the broker"
          + " had acknowledged to inventory-1 when its pollOnce() returned, having applied the records at offsets 0-3:"
          + " the next record to read, 4. pollOnce() returns once the commit of what it applied is done (commitSync()):"
          + " commitAsync() returns before the broker answered, so a service stopped right after pollOnce() (a deploy)"
          + " has committed nothing and its records are read and applied again, and a commit that failed (after a"
          + " rebalance) is never let out").isEqualTo(4L);
      assertThat(Topics.lag(group, topic)).as("TODO 2: records not yet committed by the group after pollOnce()"
          + " applied them all: commit (commitSync) once they are applied").isZero();
    }

    @Test
    @DisplayName("a consumer restarted without a commit reads the events again, and stock changes once")
    void redeliveryChangesStockOnce() throws Exception {
      // given: inventory-1 applied both events, then died before committing
      publish(topic, event("e-1", 1), event("e-2", 2));
      try (KafkaConsumer<String, String> dying = manualCommitConsumer(topic, group, "inventory-1")) {
        for (ConsumerRecord<String, String> r : Poll.records(dying, 2, Duration.ofSeconds(15))) {
          inventory.apply(Inventory.OrderConfirmed.fromJson(r.value()));
        }
      }
      Timeline.note("inventory-1 stops without committing");
      // when: inventory-2 takes over the group
      InventoryConsumer consumer = consumer("inventory-2");
      int read = pollUntilRead(consumer, 2);
      // then
      assertThat(read).as("TODO 2: records inventory-2 read (Kafka delivers both again)").isEqualTo(2);
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after e-1 (1) and e-2 (2) were each delivered twice")
          .isEqualTo(97);
      assertThat(Topics.lag(group, topic)).as("TODO 2: records the group left uncommitted after inventory-2 read e-1 and"
          + " e-2 again and found both processed already. A duplicate is handled too (skipped on purpose): commit it like"
          + " any record the poll gave you, or every restart reads it again and the group never reaches lag 0").isZero();
    }

    @Test
    @DisplayName("a failure while applying leaves the offset uncommitted, so the events come again")
    void failureIsRedelivered() throws Exception {
      // given: the stock row is locked, so applying fails (after 50 ms) while inventory-1 reads
      publish(topic, event("e-1", 1), event("e-2", 2), event("e-3", 3));
      db.execute("SET DEFAULT_LOCK_TIMEOUT 50");
      try (StockLock lock = new StockLock();
          InventoryConsumer first = new InventoryConsumer(inventory, topic, group, "inventory-1")) {
        pollUntilFailure(first);
      }
      Timeline.note("inventory-1 is closed; the stock row is free again");
      // when: inventory-2 takes over the group
      InventoryConsumer second = consumer("inventory-2");
      // then
      pollUntilStockIs(second, 94, "TODO 2: stock once inventory-2 took over. The events inventory-1 failed to"
          + " apply must come again and be applied now: were their offsets committed before they were applied"
          + " (auto-commit, or a commit before apply), or did the failed attempt mark them processed (step 1)?");
    }

    @Test
    @DisplayName("an apply that fails with an unchecked exception leaves the offset uncommitted too, so the events come again")
    void uncheckedFailureIsRedelivered() throws Exception {
      // given: inventory-1's stock changes fail with an unchecked exception (as a pool, a proxy or a driver wrapper may
      // throw one), and it polls until it has read the events or its poll failed
      publish(topic, event("e-1", 1), event("e-2", 2), event("e-3", 3));
      workbook.faults.StatementFails failing =
          new workbook.faults.StatementFails(db.dataSource(), "UPDATE stock", "the stock change", true);
      failing.armed = true;
      try (InventoryConsumer first = new InventoryConsumer(new Inventory(failing), topic, group, "inventory-1")) {
        for (long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos(); System.nanoTime() < deadline; ) {
          Object read = outcomeOf(() -> first.pollOnce(Duration.ofMillis(200)));
          if (read instanceof UnsupportedOperationException todo) throw todo;
          if (!Integer.valueOf(0).equals(read)) break; // it read the events, or its poll failed
        }
      }
      Timeline.note("inventory-1 is closed; the stock changes work again");
      assertThat(Topics.lag(group, topic)).as("TODO 2: records the group left uncommitted once inventory-1, whose applies"
          + " all failed with an unchecked exception (IllegalStateException), was closed: none of e-1, e-2, e-3 was"
          + " applied, so none may be committed. Let every failure of apply() out of pollOnce(), an unchecked one too,"
          + " and commit nothing; a catch that notes the failure and goes on commits the offset of an event nobody"
          + " applied").isEqualTo(3);
      // when: inventory-2 takes over the group
      InventoryConsumer second = consumer("inventory-2");
      // then
      pollUntilStockIs(second, 94, "TODO 2: stock once inventory-2 took over from inventory-1, whose applies failed with"
          + " an unchecked exception (IllegalStateException). Those events must come again: let every failure of apply()"
          + " out of pollOnce(), an unchecked one too, and commit nothing; a catch that notes the failure and goes on"
          + " commits the offset of an event nobody applied");
    }

    @Test
    @DisplayName("an apply the database refuses for any reason (every SQLState a driver may report, a CHECK that keeps stock from going below zero among them) is let out of pollOnce(), which commits nothing: never skipped as an event that can never apply")
    void everyRefusedApplyIsLetOut() throws Exception {
      // given: for each SQLState a driver may report (and a duplicate key of the stock's own tables), one poll (Kafka's
      // MockConsumer) of e-1, whose stock change the database refuses with it
      List<String> states = new ArrayList<>(OTHER_STATES);
      states.add("23505");
      List<String> wrong = new ArrayList<>();
      for (String state : states) {
        OnePoll partition = new OnePoll(topic, null, event("e-1", 1));
        Inventory refused = new Inventory(refusing(db.dataSource(), "UPDATE stock", () -> refusal(state)));
        // when
        Object outcome = outcomeOf(() -> new InventoryConsumer(refused, partition).pollOnce(Duration.ofMillis(200)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        Long committed = partition.committedOffset();
        if (!(outcome instanceof Exception) || committed != null) {
          wrong.add("a stock change refused with SQLState " + state + ": pollOnce() " + described(outcome)
              + ", offset committed " + committed);
        }
      }
      // then
      assertThat(wrong).as("TODO 2: polls whose apply() of e-1 the database refused (%d SQLStates tried) and that"
          + " pollOnce() did not let out, or that it committed. A refusal that looks final (a CHECK that keeps stock at or"
          + " above zero, a constraint, a missing table) is no reason to skip the record, nor is its age (these were written"
          + " in 1970): the stock comes in, the schema is fixed, and the event must apply then; skipped and committed, it"
          + " never comes again. Let every failure of"
          + " apply() out of pollOnce(), whatever its SQLState or class, and commit nothing", states.size()).isEmpty();
      assertThat(processedIds()).as("TODO 2: ids recorded after every apply of e-1 was refused").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after every apply of e-1 was refused").isEqualTo(100);
    }

    @Test
    @DisplayName("a record whose apply fails in consumer after consumer is never committed nor skipped, through a hundred thousand failed deliveries: the first consumer that can apply it does")
    void failingAgainAndAgainIsNeverSkipped() throws Exception {
      // given: stock changes that fail at once (an SQLException), and e-1 delivered to one consumer after another, each
      // a new member of the group that starts from the committed offset and is closed after its failed poll, as
      // pollOnce() asks. Stand-ins (Kafka's MockConsumer, a store without SQL) make a delivery cost microseconds.
      StandInStore store = new StandInStore();
      Switching database = new Switching(store.dataSource());
      Inventory service = new Inventory(database);
      Redelivery partition = new Redelivery(topic, Json.write(event("e-1", 2)));
      Timeline.note("e-1's stock change fails at once, in " + FAILED_DELIVERIES + " consumers in a row (stand-ins the test"
          + " injects)");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      for (int n = 1; n <= FAILED_DELIVERIES + 1; n++) {
        Long committed = partition.startAgain(); // the next member starts from the offset the last one committed
        if (committed != null) {
          assertThat(committed).as("TODO 2: offset the group committed after the %s consumer in a row failed to apply"
              + " e-1 (offset 0) and was closed: it was not applied, so it may not be committed, however many consumers"
              + " failed on it before (a record skipped as poison after so many failures is an event lost)",
              Lender.ordinal(n - 1)).isNull();
        }
        if (n > FAILED_DELIVERIES) break;
        if ((n & 1023) == 0 && System.nanoTime() > deadline) {
          fail("TODO 2: %d failed deliveries of e-1 took more than 30 s (%d to go): let a failure out of pollOnce() at"
              + " once, without waiting or retrying inside it; the next consumer's delivery is the retry", n,
              FAILED_DELIVERIES - n);
        }
        InventoryConsumer failed = new InventoryConsumer(service, partition);
        Object outcome = outcomeOf(() -> failed.pollOnce(Duration.ofMillis(200)));
        failed.close();
        if (outcome instanceof SQLException && store.stockChanges >= n) continue;
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        assertThat(outcome).as("TODO 2: what pollOnce() of the %s consumer in a row did when its apply() of e-1 failed:"
            + " let the failure out and commit nothing, every time", Lender.ordinal(n)).isInstanceOf(SQLException.class);
        assertThat(store.stockChanges).as("TODO 2: stock changes of e-1 tried in %d deliveries, each to a new consumer"
            + " that read it at offset 0: each delivery applies the record it read, however often it failed before", n)
            .isGreaterThanOrEqualTo(n);
      }
      database.to = db.dataSource();
      Timeline.note("the stock changes work again");
      // when: the next consumer takes over (it started again above, from no commit)
      InventoryConsumer next = new InventoryConsumer(service, partition);
      // then
      assertThat(next.pollOnce(Duration.ofMillis(200))).as("TODO 2: records the consumer after %d failed ones read",
          FAILED_DELIVERIES).isEqualTo(1);
      assertThat(inventory.stock(SKU)).as("TODO 2: stock once the consumer after %d failed ones took over: e-1 (2 of"
          + " 100) must come again and be applied now, however many consumers failed on it before", FAILED_DELIVERIES)
          .isEqualTo(98);
      assertThat(partition.committedOffset()).as("TODO 2: offset the group committed once e-1 (offset 0) was applied:"
          + " the next record to read").isEqualTo(1L);
    }

    @Test
    @DisplayName("a commit that fails (the group rebalanced, a timeout, a wakeup, an interrupt, any error of Kafka's protocol or outside it) is let out of pollOnce(): it returns only once the commit of what it applied went through")
    void aFailedCommitIsLetOut() throws Exception {
      // given: one consumer for each way an offset commit can fail, each reading one new event (Kafka's MockConsumer,
      // whose commit fails as the broker or the group refuses it: no broker, no wait): the group's refusals first, then
      // the consumer's own (a wakeup() of a service shutting down, an interrupt of its thread), then every error of
      // Kafka's protocol in turn, and one outside it
      List<RuntimeException> failures = new ArrayList<>(List.of(
          new org.apache.kafka.clients.consumer.CommitFailedException(),
          new org.apache.kafka.common.errors.RebalanceInProgressException("the group is rebalancing (a failure the test injects)"),
          new org.apache.kafka.common.errors.TimeoutException("the commit timed out (a failure the test injects)"),
          new org.apache.kafka.common.errors.WakeupException(),
          new org.apache.kafka.common.errors.InterruptException("the consumer's thread was interrupted (a failure the test injects)")));
      Thread.interrupted(); // an InterruptException sets the status of the thread that makes it: the test's, here
      for (org.apache.kafka.common.protocol.Errors error : org.apache.kafka.common.protocol.Errors.values()) {
        if (error.exception() != null) failures.add(error.exception());
      }
      failures.add(new org.apache.kafka.common.KafkaException("the commit failed (a failure the test injects)"));
      List<String> wrong = new ArrayList<>();
      for (int n = 1; n <= failures.size(); n++) {
        RuntimeException failure = failures.get(n - 1);
        OnePoll partition = new OnePoll(topic, failure, event("e-" + n, 1));
        Object outcome = outcomeOf(() -> new InventoryConsumer(inventory, partition).pollOnce(Duration.ofMillis(200)));
        Thread.interrupted(); // what an interrupt left behind is the caller's to act on, not the next consumer's
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        boolean letOut = false;
        for (Object t = outcome; t instanceof Throwable thrown && !letOut; t = thrown.getCause()) letOut = t == failure;
        if (!letOut) wrong.add("a commit failing with " + failure.getClass().getSimpleName() + ": pollOnce() " + described(outcome));
      }
      // and: polls that held copies only (e-1, e-2 and e-3 came again), whose commit fails: a poll that changed no stock
      // is committed like any other, and its failure let out the same way
      int tried = failures.size();
      for (RuntimeException failure : List.<RuntimeException>of(new org.apache.kafka.clients.consumer.CommitFailedException(),
          new org.apache.kafka.common.errors.RebalanceInProgressException("the group is rebalancing (a failure the test injects)"),
          new org.apache.kafka.common.errors.TimeoutException("the commit timed out (a failure the test injects)"))) {
        tried++;
        OnePoll copies = new OnePoll(topic, failure, event("e-1", 1), event("e-2", 1), event("e-3", 1));
        Object outcome = outcomeOf(() -> new InventoryConsumer(inventory, copies).pollOnce(Duration.ofMillis(200)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        boolean letOut = false;
        for (Object t = outcome; t instanceof Throwable thrown && !letOut; t = thrown.getCause()) letOut = t == failure;
        if (!letOut) wrong.add("a poll of copies only (e-1, e-2, e-3 again) whose commit fails with " + failure.getClass().getSimpleName() + ": pollOnce() " + described(outcome));
      }
      // then
      assertThat(wrong).as("TODO 2: pollOnce() returned although its offset commit failed (%d of %d failures tried: the"
          + " group's refusals, a wakeup, an interrupt, every error of Kafka's protocol and one outside it, and polls of"
          + " copies only, which changed no stock and are committed like any other poll). It returns"
          + " only once the commit of what it applied went through (commitSync() throws when the commit fails): a caller"
          + " that goes on (a deploy that stops the service, a count of records done) believes them committed while the"
          + " group hands them out again; a wakeup or an interrupt asks the service to stop, and its caller must hear"
          + " that the commit did not go through. Let the failure out, whatever it is: catch nothing around"
          + " commitSync(), and commit synchronously, whatever the poll held (a commitAsync() never lets a failure out)",
          wrong.size(), tried).isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after %d events (1 each), each applied before its commit failed",
          failures.size()).isEqualTo(100 - failures.size());
    }

    @Test
    @DisplayName("a wakeup() of the consumer while it polls (a service shutting down) is let out of pollOnce(), which commits nothing: never taken for an empty poll")
    void aWakeupOfThePollIsLetOut() throws Exception {
      // given: a consumer (Kafka's MockConsumer) holding e-1, woken up (wakeup(), from the thread that stops the service)
      // as its poll begins: the poll throws a WakeupException, as KafkaConsumer's does
      OnePoll partition = new OnePoll(topic, null, event("e-1", 1));
      partition.wakeup();
      Timeline.note("the service is stopping: wakeup() of the consumer (the test's)");
      // when
      Object outcome = outcomeOf(() -> new InventoryConsumer(inventory, partition).pollOnce(Duration.ofMillis(200)));
      if (outcome instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(outcome).as("TODO 2: what pollOnce() did when its poll was woken up (wakeup(), a service shutting down)."
          + " A wakeup asks the service to stop, as an interrupt does: let the WakeupException out of pollOnce(), like a"
          + " wakeup of its commit. Taken for an empty poll (return 0), it never reaches the loop that calls pollOnce(),"
          + " which polls on as if nobody had asked").isInstanceOf(org.apache.kafka.common.errors.WakeupException.class);
      assertThat(List.of(String.valueOf(partition.committedOffset()), processedIds())).as("TODO 2: [offset committed,"
          + " ids processed] after a poll that was woken up: nothing read, nothing applied, nothing committed")
          .containsExactly("null", List.of());
    }

    @Test
    @DisplayName("a poll that holds a copy between two events applies every record of it, and commits past them all")
    void aCopyInTheMiddleOfAPoll() throws Exception {
      // given: one poll (Kafka's MockConsumer: the records come in one poll, every time) of e-1, a copy of e-1 (lab 10's
      // relay re-sent it), then e-2
      OnePoll partition = new OnePoll(topic, null, event("e-1", 1), event("e-1", 1), event("e-2", 2));
      // when
      Object read = outcomeOf(() -> new InventoryConsumer(inventory, partition).pollOnce(Duration.ofMillis(200)));
      if (read instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(read).as("TODO 2: what pollOnce() returned, reading e-1, its copy and e-2 in one poll").isEqualTo(3);
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after one poll of e-1 (1), a copy of e-1 and e-2 (2). A"
          + " duplicate says nothing about the records after it: apply every record of the poll (skip the copy, go on),"
          + " or e-2 is committed with the poll and never applied").isEqualTo(97);
      assertThat(partition.committedOffset()).as("TODO 2: the offset committed after that poll (records at offsets 0-2):"
          + " the next record to read").isEqualTo(3L);
    }

    @Test
    @DisplayName("a record that cannot be read as an event, or whose event has no id, is a failure, like a failed apply: pollOnce() never commits past it")
    void anUnreadableRecordIsNeverCommitted() throws Exception {
      // given: for each value below, one poll (Kafka's MockConsumer) of an event, then a record whose value cannot be
      // applied as an event (a producer's bug, a truncated write): cut short, an event without an eventId (absent or
      // null: it cannot be told from its copies), an empty object, a JSON null; then another event
      String[][] values = {
          {"an event cut short", "{\"eventId\":\"e-#\",\"eventType\":\"order.confirmed\",\"orderId\":\"o-2\",\"sku\":"},
          {"an event without an eventId", "{\"eventType\":\"order.confirmed\",\"orderId\":\"o-2\",\"sku\":\"" + SKU + "\",\"quantity\":2}"},
          {"an event whose eventId is null", "{\"eventId\":null,\"eventType\":\"order.confirmed\",\"orderId\":\"o-2\",\"sku\":\"" + SKU + "\",\"quantity\":2}"},
          {"an empty object", "{}"}, {"a JSON null", "null"},
          // a record with no value at all (Kafka's null, which a compacted topic's tombstone carries) and an empty one:
          // no event to apply either, so no record to skip and commit ("a tombstone, nothing to do" loses whatever event
          // a producer's bug or a wrong serializer left out of it)
          {"a record with no value (a Kafka null, as a tombstone carries)", null}, {"a record whose value is empty", ""}};
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        String[] value = values[i];
        OnePoll partition = new OnePoll(topic, null, event("e-" + (10 * i + 1), 1));
        partition.addValue("o-2", value[1] == null ? null : value[1].replace("#", String.valueOf(10 * i + 2)));
        partition.addValue("o-3", Json.write(event("e-" + (10 * i + 3), 3)));
        InventoryConsumer consumer = new InventoryConsumer(inventory, partition);
        // when
        Object read = outcomeOf(() -> consumer.pollOnce(Duration.ofMillis(200)));
        if (read instanceof UnsupportedOperationException todo) throw todo;
        // then
        Long committed = partition.committedOffset();
        if (committed != null && committed > 1) {
          wrong.add("a poll of an event (offset 0), " + value[0] + " (offset 1) and an event (offset 2): committed " + committed
              + ", pollOnce() " + described(read));
          continue;
        }
        // and: a pollOnce() that returned lets its caller go on with the same consumer (one that threw is closed, as
        // pollOnce() asks): an event arrives, and the consumer's next poll may not commit past the unread record either
        if (!(read instanceof Throwable)) {
          partition.addValue("o-4", Json.write(event("e-" + (10 * i + 4), 4)));
          Object next = outcomeOf(() -> consumer.pollOnce(Duration.ofMillis(200)));
          if (next instanceof UnsupportedOperationException todo) throw todo;
          Long after = partition.committedOffset();
          if (after != null && after > 1) {
            wrong.add("the same consumer's next poll, after a first pollOnce() that returned " + read + " from a poll holding "
                + value[0] + " at offset 1: committed " + after + " (that poll " + described(next) + ")");
          }
        }
      }
      assertThat(wrong).as("TODO 2: polls that committed past a record at offset 1 that cannot be applied as an event:"
          + " reading its event is part of applying it, and an event without an id cannot be told from its copies, so"
          + " each is a failure like any other (let it out, commit nothing past it), never a record to skip and commit:"
          + " that event would never come again. A pollOnce() that returns has handled its whole poll, so ending the poll"
          + " quietly at such a record leaves the consumer's next poll to commit past it. Let the failure out of pollOnce()"
          + " (apply() refuses an event without an id: its insert breaks NOT NULL) and commit nothing past it. A record"
          + " with no value (null, a tombstone) or an empty one holds no event either: it is no record to skip, it is a"
          + " failure like the others. Polls committed otherwise").isEmpty();
    }

    @Test
    @DisplayName("a poll whose offsets have gaps (a transaction's marker, a record compaction removed) commits one past the last record it read")
    void offsetsWithGapsCommitPastTheLastRecord() throws Exception {
      // given: one poll (Kafka's MockConsumer) of e-1 at offset 0, e-2 at offset 1, and e-3 at offset 3: offset 2 holds
      // no record for a consumer (a transactional producer's commit marker takes an offset; compaction removes records)
      OnePoll partition = new OnePoll(topic, null, event("e-1", 1), event("e-2", 2));
      partition.addAt(3, Json.write(event("e-3", 3)));
      // when
      Object read = outcomeOf(() -> new InventoryConsumer(inventory, partition).pollOnce(Duration.ofMillis(200)));
      if (read instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(read).as("TODO 2: what pollOnce() returned, reading e-1, e-2 and e-3 (offsets 0, 1 and 3) in one poll")
          .isEqualTo(3);
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after one poll of e-1 (1), e-2 (2) and e-3 (3)").isEqualTo(94);
      assertThat(partition.committedOffset()).as("TODO 2: the offset committed after a poll of records at offsets 0, 1"
          + " and 3 (offset 2 holds no record: a transaction's marker, or a record compaction removed). The committed"
          + " offset is the next record to read, one past the last record read (commitSync() commits the consumer's"
          + " position, which is just that), never the first offset plus the number of records: offsets have gaps, and"
          + " an offset at or before a record already read hands that record out again, and leaves the group's lag above"
          + " 0 for good").isEqualTo(4L);
    }

    @Test
    @DisplayName("a poll of several partitions whose apply fails in one of them commits no partition past a record it did not apply")
    void aFailureInOnePartitionCommitsNoUnappliedRecordOfAnother() throws Exception {
      // given: one poll (Kafka's MockConsumer) of two events in each of three partitions; the events of one partition
      // cannot be applied (their sku has no stock row: the stock change fails), each partition in turn. Whichever
      // partition the poll hands over first, the loop stops at the failure, and the records of the partitions it has not
      // reached yet are not applied
      int partitions = 3;
      List<String> wrong = new ArrayList<>();
      for (int failing = 0; failing < partitions; failing++) {
        db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100");
        var poll = new org.apache.kafka.clients.consumer.MockConsumer<String, String>("earliest");
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) all.add(new TopicPartition(topic, p));
        poll.assign(all);
        Map<TopicPartition, Long> begin = new java.util.HashMap<>();
        Map<TopicPartition, Long> end = new java.util.HashMap<>();
        for (TopicPartition tp : all) {
          begin.put(tp, 0L);
          end.put(tp, 2L);
        }
        poll.updateBeginningOffsets(begin);
        poll.updateEndOffsets(end);
        for (TopicPartition tp : all) {
          poll.seek(tp, 0);
          for (int offset = 0; offset < 2; offset++) {
            String id = "e-p" + tp.partition() + "-" + offset;
            var e = new Inventory.OrderConfirmed(id, "order.confirmed", "o-" + tp.partition(),
                tp.partition() == failing ? "sku-not-stocked" : SKU, 1);
            poll.addRecord(new ConsumerRecord<>(topic, tp.partition(), offset, e.orderId(), Json.write(e)));
          }
        }
        Timeline.note("one poll of partitions 0-" + (partitions - 1) + "; the events of partition " + failing
            + " have a sku with no stock row, so their stock change fails (the test's choice)");
        // when
        Object outcome = outcomeOf(() -> new InventoryConsumer(inventory, poll).pollOnce(Duration.ofMillis(200)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        // then: in every partition, each record below the committed offset was applied
        List<String> applied = processedIds();
        for (TopicPartition tp : all) {
          var committed = poll.committed(java.util.Set.of(tp)).get(tp);
          long upTo = committed == null ? 0 : committed.offset();
          for (long offset = 0; offset < Math.min(upTo, 2); offset++) {
            String id = "e-p" + tp.partition() + "-" + offset;
            if (!applied.contains(id)) {
              wrong.add("partition " + tp.partition() + " committed at " + upTo + " past " + id + " (offset " + offset
                  + "), never applied, when the events of partition " + failing + " failed; pollOnce() " + described(outcome));
              break;
            }
          }
        }
      }
      assertThat(wrong).as("TODO 2: partitions committed past a record nobody applied, in a poll of %d partitions whose"
          + " apply failed in one of them (each in turn). A record is committed only once applied, in every partition:"
          + " the loop stops at the failure, and the records of the partitions it had not reached yet are not applied, so"
          + " committing \"the other partitions\" at their position (or the whole poll) commits them unapplied, and they never"
          + " come again. Let the failure out and commit nothing (or only the records applied before it)", partitions)
          .isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 1) // after the quicker tests of this step: a poll of a few hundred events
    @DisplayName("a poll as large as a poll can be (max.poll.records) is applied to its last record before its commit")
    void aFullPollIsAppliedWhole() throws Exception {
      // given: one poll (Kafka's MockConsumer) of as many new events as the consumer's max.poll.records lets a poll hold,
      // the most a poll can give, so a cap of pollOnce's own on the records it applies, however generous, shows here
      int max = maxPollRecords();
      Inventory.OrderConfirmed[] events = new Inventory.OrderConfirmed[max];
      for (int i = 0; i < max; i++) events[i] = event("e-" + (i + 1), 1);
      OnePoll partition = new OnePoll(topic, null, events);
      // when
      Object read = outcomeOf(() -> new InventoryConsumer(inventory, partition).pollOnce(Duration.ofMillis(200)));
      if (read instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(read).as("TODO 2: what pollOnce() returned, reading a poll of %d events", max).isEqualTo(max);
      assertThat(List.of(processedIds().size(), 100 - inventory.stock(SKU)))
          .as("TODO 2: events of a poll of %d (max.poll.records) recorded as processed, and stock taken (1 each), once"
              + " pollOnce() committed the poll at offset %s. Apply every record of the poll before its commit, however"
              + " many it holds: a poll commits all of them, so a record left out (a cap on the applies of one poll) is"
              + " committed unapplied, and lost", max, partition.committedOffset())
          .containsExactly(max, max);
      assertThat(partition.committedOffset()).as("TODO 2: the offset committed after that poll: the next record to read")
          .isEqualTo((long) max);
    }

    /** The most records one poll gives this lab's consumer: its max.poll.records, as configured, or Kafka's default. */
    static int maxPollRecords() {
      Object configured = Clients.consumerConfig("any", "any", "localhost:9").get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
      return configured == null ? ConsumerConfig.DEFAULT_MAX_POLL_RECORDS : Integer.parseInt(String.valueOf(configured));
    }

    InventoryConsumer consumer(String name) {
      InventoryConsumer consumer = new InventoryConsumer(inventory, topic, group, name);
      toClose.add(0, consumer);
      return consumer;
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: two consumers, one event, at the same moment")
  class Step3 {
    @Test
    @Order(Order.DEFAULT + 1) // after the quicker tests of this step: two consumers each read the topic, twice
    @DisplayName("the same event reaching two consumers at once takes stock once: two threads of one service, and two instances of the service")
    void raceTakesStockOnce() throws Exception {
      // given: e-1 on a one-partition topic
      String topic = Topics.fresh("orders", 1);
      String group = Topics.unique("inventory");
      publish(topic, event("e-1", 2));
      // when: two consumers apply it at once, through one Inventory (two threads of one service), then through one
      // Inventory each (two instances of the service, two processes in production: nothing in memory is shared)
      race(topic, group, new Inventory(db.dataSource()), new Inventory(db.dataSource()), "two instances of the service");
      db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100");
      Inventory shared = new Inventory(db.dataSource());
      race(topic, group, shared, shared, "two threads of one service");
    }

    void race(String topic, String group, Inventory forFirst, Inventory forSecond, String how) throws Exception {
      // given: the stock row busy, so both consumers get as far as they can and wait there
      db.execute("SET DEFAULT_LOCK_TIMEOUT 10000");
      Timeline.note("the race, " + how);
      List<CompletableFuture<Boolean>> results = new ArrayList<>();
      List<Thread> consumers = new java.util.concurrent.CopyOnWriteArrayList<>();
      CountDownLatch bothRead = new CountDownLatch(2);
      try (StockLock lock = new StockLock()) {
        // when: two consumers of one group hold e-1 at once. In production: inventory-1 stalls (a long GC
        // pause) past its session timeout, so the group gives partition 0 to inventory-2, which reads from the
        // last committed offset, e-1 again, while inventory-1 wakes up still holding e-1 and applies it too.
        // Here each takes partition 0 from offset 0 directly (assign), so both read e-1 every time, at once.
        results.add(readAndApply(topic, group, "inventory-1", forFirst, bothRead, consumers));
        results.add(readAndApply(topic, group, "inventory-2", forSecond, bothRead, consumers));
        // (a service may hold one of its own threads back while the other applies, a lock of its own around apply():
        // slow, not wrong, and the primary key still judges between instances; that thread waits outside the database)
        Poll.until(() -> lock.waiting() + done(results) == 2
                || lock.waiting() == 1 && bothRead.getCount() == 0 && consumers.stream().anyMatch(InventoryTest::heldOutsideTheDatabase),
            Duration.ofSeconds(20), () -> "both consumers to read e-1 (" + (2 - bothRead.getCount()) + " did) and reach the"
                + " locked stock row (waiting: " + lock.waiting() + ")");
      } // the row is released: both go on
      // then
      List<Object> outcomes = new ArrayList<>();
      for (CompletableFuture<Boolean> r : results) outcomes.add(outcome(r));
      outcomes.stream().filter(o -> o instanceof UnsupportedOperationException).findFirst().ifPresent(todo -> fail(
          "TODO 3: this step builds on step 1, which is not done yet: %s", todo));
      outcomes.stream().filter(o -> o instanceof Throwable).findFirst().ifPresent(e -> fail(
          "TODO 3: apply() threw %s when two consumers applied e-1 at once. The second insert into"
          + " processed_events waited for the first transaction, then broke the primary key: recordOnce must"
          + " turn that duplicate key (SQLState 23505) into false", e));
      assertThat(processedIds()).as("TODO 3: rows in processed_events after two consumers (%s) applied e-1 at once. Both"
          + " looked in processed_events before either had committed, so both saw nothing (READ COMMITTED) and"
          + " both inserted: only a unique key on event_id (its PRIMARY KEY in Inventory.SCHEMA) makes the"
          + " database refuse the second; a guard in one process's memory does not reach another instance", how)
          .containsExactly("e-1");
      assertThat(outcomes).as("TODO 3: what apply() returned to the two consumers (%s). The second insert waited for the"
          + " first transaction, then broke the primary key (23505): that means \"already processed\", so"
          + " recordOnce returns false and apply changes nothing", how).containsExactlyInAnyOrder(true, false);
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after two consumers (%s) applied e-1 (2 of 100) at once", how).isEqualTo(98);
    }

    @Test
    @DisplayName("a duplicate refused by the primary key changes nothing")
    void duplicateKeyMeansSkip() throws Exception {
      inventory.apply(event("e-1", 2));

      assertThat(inventory.apply(event("e-1", 2))).as("TODO 3: apply() of e-1 a second time. Its insert into"
          + " processed_events breaks the primary key (SQLState 23505): that means \"already processed\", so"
          + " recordOnce returns false and apply changes nothing").isFalse();
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after e-1 (2 of 100) was delivered twice").isEqualTo(98);
    }

    @Test
    @DisplayName("a copy of an event that another consumer is applying is never taken for processed before that apply commits: when it fails, the copy applies the event or fails too, two threads of one service or two instances alike")
    void aCopyIsNeverProcessedBeforeTheOtherCommits() throws Exception {
      db.execute("SET DEFAULT_LOCK_TIMEOUT 10000"); // the copy's insert waits for the other transaction, never gives up on it here
      for (boolean oneService : new boolean[] {true, false}) {
        String how = oneService ? "two threads of one service" : "two instances of the service";
        db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100");
        // given: inventory-1 applies e-1 and is held in its stock change (its id inserted, not committed); inventory-2
        // gets a copy of e-1 meanwhile; once inventory-2 has an answer or waits, inventory-1's stock change fails
        FailsHeldStockChange database = new FailsHeldStockChange(db.dataSource());
        Inventory forFirst = new Inventory(database);
        Inventory forSecond = oneService ? forFirst : new Inventory(database);
        Timeline.note("inventory-1 applies e-1, inventory-2 gets a copy meanwhile (" + how + ")");
        CompletableFuture<Object> first = applyOnItsOwnThread("inventory-1", forFirst, event("e-1", 2));
        Poll.until(() -> database.held.getCount() == 0 || first.isDone(), Duration.ofSeconds(10),
            () -> "TODO 3: inventory-1's apply() of e-1 to reach its stock change");
        if (database.held.getCount() > 0) {
          Object early = first.getNow(null);
          if (early instanceof UnsupportedOperationException todo) throw todo;
          fail("TODO 3: inventory-1's apply() of e-1 never reached its stock change (%s)", early);
        }
        Thread[] secondThread = new Thread[1];
        CompletableFuture<Object> second = applyOnItsOwnThread("inventory-2", forSecond, event("e-1", 2), secondThread);
        // when: inventory-2's apply() has returned, or waits (in a statement the database holds, or on anything else)
        Poll.until(() -> second.isDone() || stuckStatements() > 0 || java.util.EnumSet.of(Thread.State.WAITING,
            Thread.State.BLOCKED).contains(secondThread[0].getState()), Duration.ofSeconds(10),
            () -> "TODO 3: inventory-2's apply() of the copy of e-1 to return or to wait (on the database, or on anything else)");
        database.fail.countDown(); // inventory-1's stock change fails: its transaction rolls back, e-1 is not processed
        Object firstOutcome = first.get(20, TimeUnit.SECONDS);
        Object secondOutcome = second.get(20, TimeUnit.SECONDS);
        // then
        for (Object o : List.of(firstOutcome, secondOutcome)) if (o instanceof UnsupportedOperationException todo) throw todo;
        assertThat(firstOutcome).as("TODO 3: what inventory-1's apply() of e-1 did when its stock change failed (%s): it"
            + " must fail", how).isInstanceOf(Exception.class);
        assertThat(secondOutcome).as("TODO 3: what inventory-2's apply() of the copy of e-1 returned (%s) while"
            + " inventory-1's apply of e-1 had not committed, and then failed and rolled back: false says \"already"
            + " processed\", so the copy's consumer commits it and e-1 is lost. Only the primary key may say it: the"
            + " copy's insert waits for the other transaction and fails with 23505 only once that one committed (if it"
            + " rolls back, the insert goes through). A set of the ids being applied, kept in memory, or a look at rows"
            + " not yet committed (READ UNCOMMITTED) says \"processed\" before anything is", how).isNotEqualTo(false);
        // and: the redelivery applies e-1 if neither did
        Object again = outcomeOf(() -> forSecond.apply(event("e-1", 2)));
        assertThat(processedIds()).as("TODO 3: ids in processed_events after the copy and a redelivery of e-1 (%s): %s,"
            + " then %s", how, described(secondOutcome), described(again)).containsExactly("e-1");
        assertThat(inventory.stock(SKU)).as("TODO 3: stock after e-1 (2 of 100) failed once and was applied by its copy"
            + " or its redelivery (%s)", how).isEqualTo(98);
      }
    }


    @Test
    @DisplayName("a duplicate is told by its SQLState, the code every driver reports the same: also under a driver whose vendor codes and messages are not H2's")
    void duplicateBySqlStateOnEveryDriver() throws Exception {
      // given: the same database, reached through a driver that reports errors as PostgreSQL's does: the standard
      // SQLState, a vendor code of 0 and its own wording (H2 puts 23505 in its vendor code and its message too)
      Inventory elsewhere = new Inventory(otherVendor(db.dataSource()));
      elsewhere.apply(event("e-1", 2));
      // when
      Object outcome;
      try {
        outcome = elsewhere.apply(event("e-1", 2));
      } catch (SQLException | RuntimeException thrown) {
        outcome = thrown;
      }
      if (outcome instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(outcome).as("TODO 3: apply() of e-1 a second time, through a driver whose duplicate key has SQLState"
          + " 23505, vendor code 0 and no 23505 in its message (as PostgreSQL's). Only getSQLState() is the standard's"
          + " code: getErrorCode() and the message are each driver's own, and H2 merely happens to repeat 23505 there")
          .isEqualTo(false);
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after e-1 (2 of 100) was delivered twice").isEqualTo(98);
      // and: a refusal that is not a duplicate is still a failure through that driver
      Throwable notNull = catchThrowable(() -> elsewhere.apply(new Inventory.OrderConfirmed(null, "order.confirmed", "o-8", SKU, 2)));
      assertThat(notNull).as("TODO 3: apply() of an event without an id (NOT NULL, SQLState 23502) through the other"
          + " driver: only 23505 means \"already processed\"").isInstanceOf(SQLException.class);
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after an event the database refused to record").isEqualTo(98);
    }

    @Test
    @DisplayName("a failure that is not a duplicate (a lock timeout) is let out, and the event is applied on the retry")
    void lockTimeoutIsNotADuplicate() throws Exception {
      // given: another consumer is inside its transaction for e-1 (it inserted e-1, not yet committed)
      db.execute("SET DEFAULT_LOCK_TIMEOUT 50");
      Object outcome; // what apply() returned, or what it threw
      try (Connection other = db.dataSource().getConnection()) {
        other.setAutoCommit(false);
        other.createStatement().executeUpdate("INSERT INTO processed_events (event_id) VALUES ('e-1')");
        Timeline.note("another consumer inserted e-1 into processed_events and has not committed yet");
        // when: our insert of e-1 waits for it, and gives up after the lock timeout
        try {
          outcome = inventory.apply(event("e-1", 2));
        } catch (SQLException | RuntimeException e) {
          outcome = e;
        }
        other.rollback(); // the other consumer fails: e-1 is not processed after all
        Timeline.note("the other consumer rolls back: e-1 is not processed");
      }
      if (outcome instanceof UnsupportedOperationException todo) throw todo;
      // then
      assertThat(outcome).as("TODO 3: apply() of e-1 took stock while another transaction was inserting e-1:"
          + " nothing made its insert wait, so processed_events has no unique key on event_id (keep its PRIMARY"
          + " KEY in Inventory.SCHEMA)").isNotEqualTo(Boolean.TRUE);
      assertThat(outcome).as("TODO 3: what apply() of e-1 did while its insert timed out waiting for another"
          + " transaction: it must fail. Only a duplicate key (SQLState 23505) means \"already processed\"; a"
          + " lock timeout or any other error taken for one makes the consumer commit the offset of an event"
          + " nobody applied").isInstanceOf(Exception.class);
      assertThat(inventory.apply(event("e-1", 2))).as("TODO 3: apply() of e-1 again, once the other transaction"
          + " rolled back").isTrue();
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after e-1 (2 of 100) was applied on the retry").isEqualTo(98);
    }

    @Test
    @DisplayName("only a duplicate key means \"already processed\": an insert refused for another reason (NOT NULL, CHECK) fails the apply")
    void otherRefusalsAreNotDuplicates() throws Exception {
      // given: events the database refuses to record for reasons other than a duplicate
      db.execute("ALTER TABLE processed_events ADD CONSTRAINT test_refuses_x_ids CHECK (event_id NOT LIKE 'x-%')");
      var refused = Map.of(
          "an event without an id (NOT NULL, SQLState 23502)", new Inventory.OrderConfirmed(null, "order.confirmed", "o-8", SKU, 2),
          "an id the CHECK constraint refuses (23513)", new Inventory.OrderConfirmed("x-9", "order.confirmed", "o-9", SKU, 3));
      for (var e : refused.entrySet()) {
        Object outcome;
        try {
          outcome = inventory.apply(e.getValue());
        } catch (SQLException | RuntimeException thrown) {
          outcome = thrown;
        }
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        assertThat(outcome).as("TODO 3: what apply() did with %s. Only a duplicate key (SQLState 23505 exactly) means"
            + " \"already processed\"; any other refusal of the insert (another integrity rule of class 23 too) is a"
            + " failure: let it out, or the consumer commits the offset of an event nobody applied", e.getKey())
            .isInstanceOf(SQLException.class);
      }
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after two events the database refused to record").isEqualTo(100);
    }

    @Test
    @DisplayName("only a duplicate key of processed_events means \"already processed\": every other SQLState of the id's insert, and a duplicate key from the stock change, fail the apply")
    void everyOtherRefusalFails() throws Exception {
      // given: drivers whose insert of the event's id is refused with each SQLState below (as the JDBC 4 subclass a
      // driver throws for its class, vendor code 0), and one whose stock change is refused with a duplicate key (a
      // unique rule of the effect's own tables, an audit row say): none of them says that this event was processed
      List<String> states = OTHER_STATES;
      List<String> wrong = new ArrayList<>();
      int n = 0;
      for (String state : states) {
        Inventory refused = new Inventory(refusing(db.dataSource(), "INSERT INTO processed_events", () -> refusal(state)));
        String id = "e-" + (++n);
        Object outcome = outcomeOf(() -> refused.apply(event(id, 1)));
        if (outcome instanceof UnsupportedOperationException todo) throw todo;
        if (!(outcome instanceof SQLException)) wrong.add("the insert of " + id + " refused with SQLState " + state + ": apply() " + described(outcome));
      }
      Inventory effectRefused = new Inventory(refusing(db.dataSource(), "UPDATE stock", () -> refusal("23505")));
      Object effect = outcomeOf(() -> effectRefused.apply(event("e-50", 1)));
      if (!(effect instanceof SQLException)) wrong.add("the stock change of e-50 refused with SQLState 23505 (its insert went through): apply() " + described(effect));
      // and: a driver's (or a pool's) own error that carries no SQLState at all: getSQLState() is null
      Inventory stateless = new Inventory(refusing(db.dataSource(), "INSERT INTO processed_events",
          () -> new SQLException("ERROR: connection reset (the driver's own error, without an SQLState: the test injects it)")));
      Object none = outcomeOf(() -> stateless.apply(event("e-51", 1)));
      if (!(none instanceof SQLException)) wrong.add("the insert of e-51 refused with an SQLException whose SQLState is null (a driver's own error): apply() " + described(none) + ", not that SQLException (getSQLState() may be null: compare it as DUPLICATE_KEY.equals(state))");
      // then
      assertThat(wrong).as("TODO 3: refusals that apply() did not let out. Only SQLState 23505 exactly, and only from"
          + " the insert of the event's id into processed_events, means \"already processed\": not the integrity class"
          + " 23000, not a serialization failure or deadlock (40001, 40P01: the other transaction may yet roll back), not"
          + " any other error, nor one without any SQLState (getSQLState() is then null: DUPLICATE_KEY.equals(state)"
          + " never throws). Catch the duplicate key around recordOnce's insert alone, and let every other failure out,"
          + " or the consumer commits the offset of an event nobody applied").isEmpty();
      assertThat(processedIds()).as("TODO 3: ids in processed_events after every apply() was refused").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 3: stock after every apply() was refused").isEqualTo(100);
      // and: a 23505 from the id's insert is the duplicate it means, through such a driver too
      Inventory duplicate = new Inventory(refusing(db.dataSource(), "INSERT INTO processed_events", () -> refusal("23505")));
      assertThat(outcomeOf(() -> duplicate.apply(event("e-60", 1)))).as("TODO 3: apply() of e-60 whose id's insert is"
          + " refused with SQLState 23505 (a duplicate key, as a JDBC 4 driver throws it)").isEqualTo(false);
    }

    /** A consumer on its own thread, named for it: reads e-1 from offset 0, waits until the other has too, applies it. */
    private CompletableFuture<Boolean> readAndApply(String topic, String group, String name, Inventory inventory,
        CountDownLatch bothRead, List<Thread> started) {
      CompletableFuture<Boolean> result = new CompletableFuture<>();
      Thread consumer = new Thread(() -> {
        try (KafkaConsumer<String, String> kafka = manualCommitConsumer(group, name)) {
          TopicPartition p0 = new TopicPartition(topic, 0);
          kafka.assign(List.of(p0));
          kafka.seek(p0, 0);
          ConsumerRecord<String, String> record = Poll.records(kafka, 1, Duration.ofSeconds(15)).get(0);
          bothRead.countDown();
          if (!bothRead.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("the other consumer never read e-1");
          result.complete(inventory.apply(Inventory.OrderConfirmed.fromJson(record.value())));
        } catch (SQLException e) {
          result.completeExceptionally(new IllegalStateException(e.getMessage(), e));
        } catch (Throwable e) {
          result.completeExceptionally(e);
        }
      }, name);
      consumer.setDaemon(true);
      started.add(consumer);
      consumer.start();
      return result;
    }
  }

  /**
   * Whether {@code t} waits on a lock or a condition of the service's own (BLOCKED or WAITING), not in the database:
   * no frame of its stack is H2's.
   */
  static boolean heldOutsideTheDatabase(Thread t) {
    if (t.getState() != Thread.State.BLOCKED && t.getState() != Thread.State.WAITING) return false;
    for (StackTraceElement frame : t.getStackTrace()) {
      if (frame.getClassName().startsWith("org.h2.") || frame.getClassName().startsWith("org.apache.kafka.")) return false;
    }
    return true;
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: under generated faults")
  class Step1UnderFaults {
    @Test
    @DisplayName("crashes just before and just after a commit, failed commits and redeliveries, generated: each event takes stock once")
    void eachEffectOnceUnderCrashes() throws Exception {
      // Each schedule crashes the service just before a commit, just after one, and fails one, at places its seed
      // picks (printed; FAULTS_SEED=n plays one again, FAULTS_SCHEDULES=n plays more); no broker, no sleeps.
      Schedules.check("lab 11's apply() under crashes", 3, Delivery::schedule, schedule -> applyUnderFaults(schedule));
    }

    /** Delivers each event until apply() returns, as a broker redelivers what a dead or failed consumer never acknowledged. */
    void applyUnderFaults(List<Delivery> schedule) throws Exception {
      db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100");
      FaultyDatabase faulty = new FaultyDatabase(db.dataSource());
      Inventory service = new Inventory(faulty);
      Map<String, Integer> delivered = new LinkedHashMap<>();
      for (Delivery d : schedule) {
        if (d.fault() != null) faulty.at(d.atCommit(), d.fault());
        for (int attempt = 1; ; attempt++) {
          try {
            service.apply(event(d.eventId(), d.quantity()));
            break;
          } catch (Crash | SQLException e) {
            if (attempt == 4) throw new IllegalStateException("apply() of " + d.eventId() + " failed 4 times in a row", e);
            if (e instanceof Crash) {
              service = new Inventory(faulty);
              Timeline.note("the service restarts; " + d.eventId() + " was not acknowledged, so it is delivered again");
            } else {
              // a failed commit kills nothing: the same service gets the redelivery (its consumer starts again)
              Timeline.note("apply() of " + d.eventId() + " failed; the same service gets it again");
            }
          }
        }
        delivered.put(d.eventId(), d.quantity());
      }
      assertThat(processedIds()).as("TODO 1: ids in processed_events after every event was delivered until apply()"
          + " returned, through crashes and failed commits (after a failed commit the same service gets the event again)."
          + " An id recorded without its stock change (its own transaction, or a commit between the two), or remembered"
          + " in memory before its commit went through, makes the redelivered event look processed: it is lost")
          .containsExactlyInAnyOrderElementsOf(delivered.keySet());
      assertThat(inventory.stock(SKU)).as("TODO 1: stock after events %s (quantities %s), each delivered until apply()"
          + " returned, some of them twice or more. Each must take stock exactly once: the id and the stock change"
          + " commit in one transaction, or a crash between two commits takes stock again on the redelivery",
          delivered.keySet(), delivered.values()).isEqualTo(100 - delivered.values().stream().mapToInt(Integer::intValue).sum());
    }
  }

  /** One delivery of an event to apply(), and the fault planned at a commit from then on (1 = the next commit). */
  record Delivery(String eventId, int quantity, FaultyDatabase.Fault fault, int atCommit) {
    @Override public String toString() { return eventId + (fault == null ? "" : " " + fault + "@" + atCommit); }

    /** New events e-1..e-n, each fault kind on a new event's first commit once at least, and redeliveries of earlier events. */
    static List<Delivery> schedule(Random random) {
      FaultyDatabase.Fault[] kinds = FaultyDatabase.Fault.values();
      int n = 6 + random.nextInt(5);
      List<Integer> places = Schedules.places(random, n, kinds.length);
      List<FaultyDatabase.Fault> musts = new ArrayList<>(List.of(kinds));
      Collections.shuffle(musts, random);
      List<Delivery> deliveries = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        FaultyDatabase.Fault fault = places.contains(i - 1) ? musts.get(places.indexOf(i - 1))
            : random.nextInt(4) == 0 ? kinds[random.nextInt(kinds.length)] : null;
        deliveries.add(new Delivery("e-" + i, i, fault, places.contains(i - 1) ? 1 : 1 + random.nextInt(2)));
        if (random.nextBoolean() || i == n) {
          int again = 1 + random.nextInt(i);
          deliveries.add(new Delivery("e-" + again, again, random.nextInt(3) == 0 ? kinds[random.nextInt(kinds.length)] : null, 1));
        }
      }
      return deliveries;
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: under generated faults")
  class Step2UnderFaults {
    @Test
    @DisplayName("consumers dying before and after their commits, failed commits, duplicates and restarts on three partitions, generated: each event once, none lost, lag 0")
    void eachEffectOnceAcrossRestarts() throws Exception {
      Schedules.check("lab 11's consumer under crashes", 1, Run::schedule, schedule -> consumeUnderFaults(schedule));
    }

    void consumeUnderFaults(List<Run.Step> schedule) throws Exception {
      db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100"); // each schedule from the start
      String topic = Topics.fresh("orders", 3);
      String group = Topics.unique("inventory");
      List<Inventory.OrderConfirmed> events = new ArrayList<>();
      Map<String, Integer> distinct = new LinkedHashMap<>();
      FaultyDatabase faulty = new FaultyDatabase(db.dataSource());
      List<Integer> restartAfterPoll = new ArrayList<>();
      for (Run.Step s : schedule) {
        switch (s.kind()) {
          case PUBLISH -> {
            var e = new Inventory.OrderConfirmed(s.eventId(), "order.confirmed", s.key(), SKU, s.n());
            events.add(e);
            distinct.putIfAbsent(s.eventId(), s.n());
          }
          case RESTART_AFTER_POLL -> restartAfterPoll.add(s.n());
          default -> faulty.at(s.n(), FaultyDatabase.Fault.valueOf(s.kind().name()));
        }
      }
      publish(topic, events.toArray(Inventory.OrderConfirmed[]::new));
      int restarts = 0;
      int polls = 0;
      int idleWithLag = 0;
      InventoryConsumer consumer = new InventoryConsumer(new Inventory(faulty), topic, group, "inventory-1");
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      try {
        while (System.nanoTime() < deadline) {
          boolean restart;
          int read = -1;
          try {
            read = consumer.pollOnce(Duration.ofMillis(100));
            restart = restartAfterPoll.contains(++polls);
          } catch (Crash | SQLException e) {
            restart = true;
          }
          if (restart) {
            consumer.close();
            restarts++;
            Timeline.note("inventory-" + restarts + " is gone; inventory-" + (restarts + 1) + " starts in the group");
            consumer = new InventoryConsumer(new Inventory(faulty), topic, group, "inventory-" + (restarts + 1));
          } else if (read == 0 && (Topics.lag(group, topic) == 0 || ++idleWithLag == 3 && processedIds().containsAll(distinct.keySet()))) {
            break; // everything committed; or every event applied and three polls found nothing more: the lag stays
          }
        }
        // then: once the group is at lag 0, one more event arrives alone in a poll, and the consumer dies just before
        // its database commit: its offset must not have been committed before it was applied
        if (Topics.lag(group, topic) == 0) {
          var late = new Inventory.OrderConfirmed("e-late", "order.confirmed", "o-late", SKU, 50);
          faulty.at(1, FaultyDatabase.Fault.CRASH_BEFORE_COMMIT);
          publish(topic, late);
          distinct.put(late.eventId(), late.quantity());
          Timeline.note("e-late is published alone; its consumer will die just before its database commit");
          for (int idle = 0; System.nanoTime() < deadline; ) {
            boolean restart = false;
            int read = -1;
            try {
              read = consumer.pollOnce(Duration.ofMillis(100));
            } catch (Crash | SQLException e) {
              restart = true;
            }
            if (restart) {
              consumer.close();
              restarts++;
              consumer = new InventoryConsumer(new Inventory(faulty), topic, group, "inventory-" + (restarts + 1));
            } else if (read == 0 && (Topics.lag(group, topic) == 0 && faulty.faultsPending() == 0 || ++idle == 5)) {
              break;
            }
          }
        }
      } finally {
        consumer.close();
      }
      List<String> lost = new ArrayList<>(distinct.keySet());
      lost.removeAll(processedIds());
      assertThat(lost).as("TODO 2: events never applied, although the group committed past them (or they stayed"
          + " uncommitted for 20 s). Commit only once every record of the poll is applied: commitSync() without"
          + " arguments commits the whole poll, including records not applied yet").isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after every event (%s) was applied, through crashes, duplicates"
          + " and restarts: each takes stock once", distinct.keySet())
          .isEqualTo(100 - distinct.values().stream().mapToInt(Integer::intValue).sum());
      assertThat(Topics.lag(group, topic)).as("TODO 2: the group's lag at the end, over all three partitions: every"
          + " partition's records were applied, so every partition's offset must be committed (the position after"
          + " its last record), not only the partition of the poll's last record").isZero();
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: under generated rebalances")
  class Step2UnderRebalances {
    @Test
    @DisplayName("a second member joins while the first holds a poll's work, each member commits last in turn, then the second leaves while the first holds work, generated: each event once, none lost, lag 0 after every wave")
    void eachEffectOnceAcrossRebalances() throws Exception {
      Schedules.check("lab 11's two consumers under rebalances", 1, Wave::schedule, schedule -> consumeUnderRebalances(schedule));
    }

    String topic;
    String group;
    /** The database as inventory-1 sees it: its commits are counted, so that inventory-2 joins and leaves in the middle of its work. */
    FaultyDatabase firstsDatabase;
    InventoryConsumer first;
    InventoryConsumer second;
    final Map<String, Integer> distinct = new LinkedHashMap<>();

    void consumeUnderRebalances(List<Wave> schedule) throws Exception {
      db.execute("DELETE FROM processed_events; UPDATE stock SET quantity = 100"); // each schedule from the start
      distinct.clear();
      second = null;
      topic = Topics.fresh("orders", 3);
      group = Topics.unique("inventory");
      firstsDatabase = new FaultyDatabase(db.dataSource());
      first = member("inventory-1");
      try {
        for (Wave wave : schedule) play(wave);
        assertThat(firstsDatabase.actionsPending()).as("the schedule's joins and leaves all happened").isZero();
      } finally {
        if (first != null) first.close();
        if (second != null) second.close();
      }
    }

    void play(Wave wave) throws Exception {
      boolean inTwo = wave.what() == Wave.What.JOIN_BETWEEN_POLLS;
      publishWave(inTwo ? wave.events().subList(0, wave.at()) : wave.events());
      switch (wave.what()) {
        case JOIN -> {
          firstsDatabase.before(wave.at(), () -> {
            Timeline.note("inventory-2 joins the group while inventory-1 holds the rest of its poll, not yet committed");
            second = member("inventory-2");
            try {
              poll(false); // its first poll asks to join: the group rebalances, and waits for inventory-1 to rejoin
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
          pollUntilRead(true);
        }
        case FIRST_COMMITS_LAST, SECOND_COMMITS_LAST -> {
          boolean firstLast = wave.what() == Wave.What.FIRST_COMMITS_LAST;
          Timeline.note((firstLast ? "inventory-2" : "inventory-1") + " reads and commits its records of this wave first");
          pollUntilRead(!firstLast);
          pollUntilRead(firstLast);
        }
        case JOIN_BETWEEN_POLLS -> {
          // inventory-1, alone, applies and commits the first events, one on each partition
          long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
          while (System.nanoTime() < deadline && !(processedIds().containsAll(distinct.keySet()) && Topics.lag(group, topic) == 0)) {
            pollKeeping(true);
          }
          Timeline.note("inventory-2 joins the group between two polls of inventory-1, whose last commit went through");
          second = member("inventory-2");
          // both poll until the group has given partitions to both; a commit the group refuses meanwhile (it is
          // rebalancing) is retried by polling again, as the same member
          for (deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos(); System.nanoTime() < deadline && assignedMembers() != 2; ) {
            pollKeeping(true);
            pollKeeping(false);
          }
          publishWave(wave.events().subList(wave.at(), wave.events().size()));
          // inventory-2 applies and commits the new events of its partitions first, then inventory-1 (the same member
          // throughout) polls and commits: a member that commits positions it remembered from before the join moves
          // inventory-2's partitions back here, every time, whatever the timing of the rebalance
          int read = 0;
          for (deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos(); System.nanoTime() < deadline; ) {
            int now = pollKeeping(false);
            read += now;
            if (read > 0 && now == 0) break;
          }
          pollKeeping(true);
        }
        case LEAVE -> {
          firstsDatabase.before(wave.at(), () -> {
            Timeline.note("inventory-2 leaves the group while inventory-1 holds the rest of its poll, not yet committed");
            second.close();
            second = null;
          });
          pollUntilRead(true);
        }
      }
      settle(wave);
    }

    void publishWave(List<Inventory.OrderConfirmed> events) {
      publish(topic, events.toArray(Inventory.OrderConfirmed[]::new));
      for (var e : events) distinct.putIfAbsent(e.eventId(), e.quantity());
    }

    /** One poll of a member that stays the same member when the group refuses its commit (it is rebalancing): its next poll rejoins. */
    int pollKeeping(boolean ofFirst) throws SQLException {
      InventoryConsumer c = ofFirst ? first : second;
      try {
        return c.pollOnce(Duration.ofMillis(100));
      } catch (org.apache.kafka.common.KafkaException e) {
        Timeline.note((ofFirst ? "inventory-1" : "inventory-2") + "'s commit was refused (" + e.getClass().getSimpleName()
            + "); it polls again, the same member");
        return 0;
      }
    }

    InventoryConsumer member(String name) {
      return new InventoryConsumer(new Inventory(name.equals("inventory-1") ? firstsDatabase : db.dataSource()), topic, group, name);
    }

    /** One poll of inventory-1 (or inventory-2); a member whose commit the group refused is closed and started again, as pollOnce() asks. */
    int poll(boolean ofFirst) throws SQLException { return poll(ofFirst, Duration.ofMillis(100)); }

    int poll(boolean ofFirst, Duration timeout) throws SQLException {
      InventoryConsumer c = ofFirst ? first : second;
      if (c == null) return 0;
      try {
        return c.pollOnce(timeout);
      } catch (org.apache.kafka.common.KafkaException e) {
        String name = ofFirst ? "inventory-1" : "inventory-2";
        Timeline.note(name + "'s poll failed (" + e.getClass().getSimpleName() + "); it is closed and started again");
        c.close();
        if (ofFirst) first = member(name); else second = member(name);
        return 0;
      }
    }

    void pollUntilRead(boolean ofFirst) throws SQLException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline && poll(ofFirst) == 0) { }
    }

    /**
     * Both members poll until every event is applied and every member holds partitions, and then until the group is at
     * lag 0 or two rounds of polls in a row found nothing more (at most 20 s); then it is checked.
     */
    void settle(Wave wave) throws Exception {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      for (int idle = 0; idle < 2 && System.nanoTime() < deadline; ) {
        int read = poll(true) + poll(false);
        boolean applied = processedIds().containsAll(distinct.keySet()) && assignedMembers() == (second == null ? 1 : 2);
        if (applied && Topics.lag(group, topic) == 0) break;
        idle = applied && read == 0 ? idle + 1 : 0;
      }
      String after = "the wave " + wave + " (" + (second == null ? "inventory-1 alone" : "two members") + ")";
      List<String> lost = new ArrayList<>(distinct.keySet());
      lost.removeAll(processedIds());
      assertThat(lost).as("TODO 2: events never applied after %s, every member polling for 20 s: commit only what was"
          + " applied", after).isEmpty();
      assertThat(inventory.stock(SKU)).as("TODO 2: stock after %s: every event (%s) takes stock once", after, distinct.keySet())
          .isEqualTo(100 - distinct.values().stream().mapToInt(Integer::intValue).sum());
      assertThat(Topics.lag(group, topic)).as("TODO 2: the group's lag after %s, once every event was applied and the"
          + " members polled again finding nothing. After each poll a member commits the positions of the partitions it"
          + " owns now, past the records it applied (commitSync() without arguments does exactly that): positions"
          + " remembered from before a rebalance belong to partitions another member may own now, and committing them"
          + " moves that member's partition back", after).isZero();
      // and: each member in turn polls once more and finds nothing new: nobody commits a position of a partition it
      // does not own (checked after each member's poll, so that no other member's commit covers it up)
      for (boolean ofFirst : new boolean[] {true, false}) {
        if (poll(ofFirst, Duration.ZERO) != 0) continue; // nothing is waiting: no need to wait for it
        assertThat(Topics.lag(group, topic)).as("TODO 2: the group's lag after %s, once %s polled once more and found"
            + " nothing new. It was 0 before: that member committed a position it remembered from before a rebalance,"
            + " of a partition another member owns now, and moved it back. After each poll commit only the partitions"
            + " the consumer owns now (commitSync() without arguments), never a map kept across polls", after,
            ofFirst ? "inventory-1" : "inventory-2").isZero();
      }
    }

    /** Members of the group that hold partitions, as the broker sees it. */
    int assignedMembers() {
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
          Map.<String, Object>of("bootstrap.servers", workbook.kafka.Broker.bootstrapServers()))) {
        var d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(5, TimeUnit.SECONDS);
        return (int) d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
      } catch (Exception e) {
        return -1;
      }
    }
  }

  /** A wave of events for a group of up to two members, and what happens to the group while it is read. */
  record Wave(List<Inventory.OrderConfirmed> events, What what, int at) {
    enum What {
      /** inventory-2 joins just before inventory-1's at-th database commit: inventory-1 still holds the rest of its poll. */
      JOIN,
      /** inventory-2 reads and commits its records first, inventory-1 last. */
      FIRST_COMMITS_LAST,
      /** inventory-1 reads and commits its records first, inventory-2 last. */
      SECOND_COMMITS_LAST,
      /** inventory-2 leaves just before inventory-1's at-th database commit of the wave. */
      LEAVE,
      /**
       * inventory-1, alone, reads and commits the wave's first at events (one per partition); inventory-2 joins between
       * two of its polls (its last commit went through, so it stays the same member and gives partitions away); then the
       * rest of the wave is published.
       */
      JOIN_BETWEEN_POLLS
    }

    @Override public String toString() {
      return events.stream().map(e -> e.eventId() + "(" + e.orderId() + ")").toList() + " " + what
          + (what == What.JOIN || what == What.LEAVE ? "@" + at : what == What.JOIN_BETWEEN_POLLS ? " after the first " + at : "");
    }

    /** A join, each member committing last once (in an order the seed picks), a leave; one or two new events per partition each, and copies. */
    static List<Wave> schedule(Random random) {
      List<String> keys = Run.keysOnePerPartition(3);
      List<What> middle = new ArrayList<>(List.of(What.FIRST_COMMITS_LAST, What.SECOND_COMMITS_LAST));
      Collections.shuffle(middle, random);
      List<What> whats = new ArrayList<>();
      whats.add(What.JOIN);
      whats.addAll(middle);
      whats.add(What.LEAVE);
      whats.add(What.JOIN_BETWEEN_POLLS);
      List<Wave> waves = new ArrayList<>();
      List<Inventory.OrderConfirmed> all = new ArrayList<>();
      int n = 0;
      for (What what : whats) {
        List<Inventory.OrderConfirmed> wave = new ArrayList<>();
        if (what == What.JOIN_BETWEEN_POLLS) {
          // one event per partition for inventory-1 alone, then one or two per partition and a copy after the join
          for (String key : keys) wave.add(new Inventory.OrderConfirmed("e-" + (++n), "order.confirmed", key, SKU, 1 + n % 3));
          List<Inventory.OrderConfirmed> after = new ArrayList<>();
          for (String key : keys) {
            for (int more = 1 + random.nextInt(2); more > 0; more--) {
              n++;
              after.add(new Inventory.OrderConfirmed("e-" + n, "order.confirmed", key, SKU, 1 + n % 3));
            }
          }
          after.add(random.nextInt(after.size() + 1), all.get(random.nextInt(all.size())));
          int first = wave.size();
          wave.addAll(after);
          all.addAll(wave);
          waves.add(new Wave(wave, what, first));
          continue;
        }
        for (String key : keys) {
          for (int more = 1 + random.nextInt(2); more > 0; more--) {
            n++;
            var e = new Inventory.OrderConfirmed("e-" + n, "order.confirmed", key, SKU, 1 + n % 3);
            wave.add(e);
            all.add(e);
          }
        }
        int fresh = wave.size();
        if (what != What.JOIN || random.nextBoolean()) wave.add(random.nextInt(wave.size() + 1), all.get(random.nextInt(all.size() - fresh + (what == What.JOIN ? fresh : 0))));
        // JOIN: at any of inventory-1's commits of the wave (it reads them all, alone); LEAVE: at its first (it owns some partitions only)
        waves.add(new Wave(wave, what, what == What.JOIN ? 1 + random.nextInt(fresh) : 1));
      }
      return waves;
    }
  }

  /** A consumer run: the events published, and where the consumers die or restart. */
  static final class Run {
    enum Kind { PUBLISH, CRASH_BEFORE_COMMIT, CRASH_AFTER_COMMIT, COMMIT_FAILS, RESTART_AFTER_POLL }

    record Step(Kind kind, String eventId, String key, int n) {
      @Override public String toString() {
        return kind == Kind.PUBLISH ? eventId + "(" + key + ")" : kind + "@" + n;
      }
    }

    /**
     * Events of three orders, one per partition, at least two each; copies of earlier events, each followed by a
     * new event of its order; the first consumer dies just before its second database commit (inside its first
     * poll); one more fault (a crash before or after a commit, or a failed commit) at a commit the seed picks; a
     * restart after a poll (after its offset commit). Each restart costs a group join (about a second), so a schedule
     * holds three; FAULTS_SCHEDULES=n plays more of them.
     */
    static List<Step> schedule(Random random) {
      List<String> keys = keysOnePerPartition(3);
      List<Step> steps = new ArrayList<>();
      List<String> order = new ArrayList<>();
      for (String k : keys) { order.add(k); order.add(k); }
      for (int more = random.nextInt(4); more > 0; more--) order.add(keys.get(random.nextInt(3)));
      Collections.shuffle(order, random);
      Map<String, String> keyOf = new LinkedHashMap<>();
      int n = 0;
      for (String k : order) {
        n++;
        steps.add(new Step(Kind.PUBLISH, "e-" + n, k, n));
        keyOf.put("e-" + n, k);
        if (n > 2 && random.nextInt(3) == 0) {
          String again = "e-" + (1 + random.nextInt(n));
          steps.add(new Step(Kind.PUBLISH, again, keyOf.get(again), Integer.parseInt(again.substring(2))));
        }
      }
      String again = "e-" + (1 + random.nextInt(n));
      steps.add(new Step(Kind.PUBLISH, again, keyOf.get(again), Integer.parseInt(again.substring(2))));
      n++;
      steps.add(new Step(Kind.PUBLISH, "e-" + n, keyOf.get(again), n));
      steps.add(new Step(Kind.CRASH_BEFORE_COMMIT, null, null, 2));
      List<Kind> faults = List.of(Kind.CRASH_BEFORE_COMMIT, Kind.CRASH_AFTER_COMMIT, Kind.COMMIT_FAILS);
      steps.add(new Step(faults.get(random.nextInt(3)), null, null, 3 + random.nextInt(n - 2)));
      steps.add(new Step(Kind.RESTART_AFTER_POLL, null, null, 1 + random.nextInt(3)));
      return steps;
    }

    /** Order ids that the producer's partitioner puts on partitions 0, 1, 2... of a topic of {@code partitions}. */
    static List<String> keysOnePerPartition(int partitions) {
      String[] found = new String[partitions];
      for (int i = 1, left = partitions; left > 0; i++) {
        String key = "o-" + i;
        int p = org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
            key.getBytes(java.nio.charset.StandardCharsets.UTF_8), partitions);
        if (found[p] == null) { found[p] = key; left--; }
      }
      return List.of(found);
    }
  }

  // ---- the test's own tools -------------------------------------------------------------------

  /** Another transaction (a long report, say) that holds the stock row until closed. */
  final class StockLock implements AutoCloseable {
    private final Connection c;

    StockLock() throws SQLException {
      c = db.dataSource().getConnection();
      c.setAutoCommit(false);
      c.createStatement().executeUpdate("UPDATE stock SET quantity = quantity WHERE sku = '" + SKU + "'");
      Timeline.note("another transaction holds the stock row of " + SKU);
    }

    /** How many other sessions are stuck in a statement (100 ms is forever in memory): waiting for a lock. */
    int waiting() {
      Instant stuckSince = Instant.now().minusMillis(100);
      int stuck = 0;
      try (ResultSet r = c.createStatement().executeQuery("SELECT EXECUTING_STATEMENT_START FROM"
          + " INFORMATION_SCHEMA.SESSIONS WHERE EXECUTING_STATEMENT IS NOT NULL AND SESSION_ID <> SESSION_ID()")) {
        while (r.next()) if (r.getObject(1, OffsetDateTime.class).toInstant().isBefore(stuckSince)) stuck++;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return stuck;
    }

    @Override public void close() throws SQLException {
      c.rollback();
      c.close();
    }
  }

  /**
   * The same database through a driver that reports errors as PostgreSQL's does: every SQLException keeps its
   * SQLState, but its vendor code is 0 and its message is that driver's own (no H2 error code in it).
   */
  static DataSource otherVendor(DataSource real) {
    return (DataSource) reporting(real, DataSource.class);
  }

  private static Object reporting(Object target, Class<?> type) {
    return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      Object result;
      try {
        result = method.invoke(target, args);
      } catch (InvocationTargetException e) {
        if (!(e.getCause() instanceof SQLException h2)) throw e.getCause();
        String state = h2.getSQLState();
        String message = switch (String.valueOf(state)) {
          case "23505" -> "ERROR: duplicate key value violates unique constraint \"processed_events_pkey\"";
          case "23502" -> "ERROR: null value in column \"event_id\" violates not-null constraint";
          case "23513" -> "ERROR: new row violates check constraint";
          default -> "ERROR: " + String.valueOf(h2.getMessage()).replaceAll("\\s*\\[\\d+-\\d+\\]", "");
        };
        throw new SQLException(message, state, 0);
      }
      Class<?> returns = method.getReturnType();
      // a Savepoint goes back to the driver that made it: it is passed through as it is
      return result != null && returns.isInterface() && returns.getPackageName().equals("java.sql")
          && returns != java.sql.Savepoint.class ? reporting(result, returns) : result;
    });
  }

  /**
   * The same database, where a statement whose SQL starts with {@code prefix} is refused when it is executed: it throws
   * what {@code refusal} makes, and writes nothing.
   */
  static DataSource refusing(DataSource real, String prefix, java.util.function.Supplier<SQLException> refusal) {
    return workbook.db.StatementHook.over(real, (c, sql) -> {
      if (!workbook.db.StatementHook.startsWith(sql, prefix)) return;
      SQLException e = refusal.get();
      Timeline.note("the database refuses " + workbook.db.StatementHook.verb(sql) + " with SQLState " + e.getSQLState()
          + " (the test injects it)");
      throw e;
    });
  }

  /**
   * The same database, where the first statement whose SQL starts with {@code prefix} fails as a deadlock or a
   * serialization failure does: the database rolls the connection's transaction back, then the statement throws what
   * {@code failure} makes, having written nothing. The statements after it run as usual.
   */
  static DataSource rolledBackOnce(DataSource real, String prefix, java.util.function.Supplier<SQLException> failure) {
    java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
    return workbook.db.StatementHook.over(real, (c, sql) -> {
      if (!workbook.db.StatementHook.startsWith(sql, prefix) || !failed.compareAndSet(false, true)) return;
      c.rollback();
      SQLException e = failure.get();
      Timeline.note("the database rolls the transaction back and fails " + workbook.db.StatementHook.verb(sql)
          + " with SQLState " + e.getSQLState() + " (a deadlock the test injects)");
      throw e;
    });
  }

  /** An error with {@code state}, as a JDBC 4 driver throws it: the subclass for its class, vendor code 0, the driver's own words. */
  static SQLException refusal(String state) {
    String message = "ERROR: refused with SQLState " + state + " (a refusal the test injects)";
    return switch (state.substring(0, 2)) {
      case "23" -> new java.sql.SQLIntegrityConstraintViolationException(message, state, 0);
      case "40" -> new java.sql.SQLTransactionRollbackException(message, state, 0);
      case "08" -> new java.sql.SQLNonTransientConnectionException(message, state, 0);
      case "22" -> new java.sql.SQLDataException(message, state, 0);
      case "42" -> new java.sql.SQLSyntaxErrorException(message, state, 0);
      case "HY" -> new java.sql.SQLTimeoutException(message, state, 0);
      default -> new SQLException(message, state, 0);
    };
  }

  /** A DataSource that hands out the connections of {@code to}, which the test switches. */
  static final class Switching implements DataSource {
    volatile DataSource to;

    Switching(DataSource to) { this.to = to; }

    @Override public Connection getConnection() throws SQLException { return to.getConnection(); }
    @Override public Connection getConnection(String user, String password) throws SQLException { return to.getConnection(); }
    @Override public java.io.PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(java.io.PrintWriter out) { }
    @Override public void setLoginTimeout(int seconds) { }
    @Override public int getLoginTimeout() { return 0; }
    @Override public java.util.logging.Logger getParentLogger() { return java.util.logging.Logger.getLogger("switching"); }
    @Override public <T> T unwrap(Class<T> type) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> type) { return false; }
  }

  /**
   * The real database, where the stock change of the thread named inventory-1 is held (its event's id inserted, not
   * committed) until the test says, then fails with an SQLException, once. Latches, no sleeps.
   */
  static final class FailsHeldStockChange extends workbook.faults.DelegatingDataSource {
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch fail = new CountDownLatch(1);

    FailsHeldStockChange(DataSource real) { super(real); }

    @Override protected Connection connection(Connection c) {
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> {
            Object made = invoke(c, method, args);
            if (!(made instanceof java.sql.PreparedStatement s) || !(args[0] instanceof String sql)
                || !sql.strip().toUpperCase(java.util.Locale.ROOT).startsWith("UPDATE STOCK")
                || !Thread.currentThread().getName().equals("inventory-1")) {
              return made;
            }
            return Proxy.newProxyInstance(java.sql.PreparedStatement.class.getClassLoader(), new Class<?>[] {java.sql.PreparedStatement.class},
                (sp, sm, sargs) -> {
                  if (sm.getName().startsWith("execute") && held.getCount() > 0) {
                    held.countDown();
                    if (!fail.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("the test never let inventory-1's stock change go on");
                    Timeline.note("inventory-1's stock change fails (a failure the test injects): its transaction rolls back");
                    throw new SQLException("the stock change failed (a failure the test injects)", "08006");
                  }
                  return invoke(s, sm, sargs);
                });
          });
    }
  }

  /** The stock change's failure in the stand-in store: an SQLException, without the cost of a stack trace. */
  static final class StockChangeFailed extends SQLException {
    StockChangeFailed() { super("the stock change failed (a failure the test injected)", "08006"); }

    @Override public synchronized Throwable fillInStackTrace() { return this; }
  }

  /**
   * A stand-in for the inventory's database, for the tests that fail an event a hundred thousand times: every stock change
   * (UPDATE stock) fails at once with an SQLException; the insert of an event's id into processed_events works; what a
   * connection commits, or writes with auto-commit on, is kept in {@link #committedIds}, and a second insert of a kept
   * id is refused as a duplicate key (23505), as a count of it says 1. No SQL engine: the statements of apply() and
   * recordOnce(); any other statement changes nothing. Its connections and statements are handed out again once
   * closed, so that a failure costs no more than a few calls. One thread at a time.
   */
  static final class StandInStore {
    final java.util.Set<String> committedIds = new java.util.HashSet<>();
    /** Stock changes tried (every one failed). */
    int stockChanges;
    private final java.util.ArrayDeque<Tx> idle = new java.util.ArrayDeque<>();

    DataSource dataSource() {
      return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
          (proxy, m, args) -> switch (m.getName()) {
            case "getConnection" -> {
              Tx tx = idle.poll();
              yield (tx == null ? new Tx() : tx).open();
            }
            case "isWrapperFor" -> false;
            case "unwrap" -> throw new SQLException("not a wrapper");
            default -> nothing(m.getReturnType());
          });
    }

    static Object nothing(Class<?> type) {
      if (type == boolean.class) return false;
      if (type == int.class) return 0;
      if (type == long.class) return 0L;
      if (type == short.class) return (short) 0;
      if (type == byte.class) return (byte) 0;
      if (type == double.class) return 0d;
      if (type == float.class) return 0f;
      if (type == char.class) return '\0';
      return null;
    }

    /** What each statement's SQL is, worked out once per text (apply() prepares the same few texts again and again). */
    private static final Map<String, Integer> KINDS = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int OTHER = 0, STOCK_CHANGE = 1, ID_INSERT = 2;

    static int kind(String sql) {
      if (sql == null) return OTHER;
      return KINDS.computeIfAbsent(sql, text -> {
        if (text.strip().regionMatches(true, 0, "UPDATE stock", 0, 12)) return STOCK_CHANGE;
        String upper = text.toUpperCase(java.util.Locale.ROOT);
        return upper.contains("INSERT") && upper.contains("PROCESSED_EVENTS") ? ID_INSERT : OTHER;
      });
    }

    static boolean isStockChange(String sql) { return kind(sql) == STOCK_CHANGE; }

    static boolean isIdInsert(String sql) { return kind(sql) == ID_INSERT; }

    SQLException stockChangeFails() {
      stockChanges++;
      return new StockChangeFailed();
    }

    /** One connection: its transaction's inserted ids, kept until commit or rollback. */
    final class Tx implements java.lang.reflect.InvocationHandler {
      final List<String> pending = new ArrayList<>(1);
      final java.util.ArrayDeque<Statement> idleStatements = new java.util.ArrayDeque<>();
      final Connection connection = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
          new Class<?>[] {Connection.class}, this);
      boolean autoCommit;
      boolean closed;

      Connection open() {
        autoCommit = true;
        closed = false;
        return connection;
      }

      @Override public Object invoke(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
        switch (m.getName()) {
          case "setAutoCommit" -> {
            if ((Boolean) args[0] && !autoCommit) commit();
            autoCommit = (Boolean) args[0];
            return null;
          }
          case "getAutoCommit" -> {
            return autoCommit;
          }
          case "commit" -> {
            commit();
            return null;
          }
          case "rollback" -> {
            if (args == null) pending.clear(); // a rollback to a savepoint keeps the transaction as it is
            return null;
          }
          case "close" -> {
            if (!closed) {
              pending.clear();
              closed = true;
              idle.push(this);
            }
            return null;
          }
          case "isClosed" -> {
            return closed;
          }
          case "getTransactionIsolation" -> {
            return Connection.TRANSACTION_READ_COMMITTED;
          }
          case "setSavepoint" -> {
            return Proxy.newProxyInstance(java.sql.Savepoint.class.getClassLoader(), new Class<?>[] {java.sql.Savepoint.class},
                (p, sm, sargs) -> nothing(sm.getReturnType()));
          }
          case "prepareStatement", "createStatement" -> {
            String sql = args != null && args.length > 0 && args[0] instanceof String text ? text : null;
            if (isStockChange(sql)) throw stockChangeFails();
            Statement statement = idleStatements.poll();
            return (statement == null ? new Statement() : statement).open(sql, m.getName().equals("prepareStatement"));
          }
          case "isWrapperFor" -> {
            return false;
          }
          case "unwrap" -> throw new SQLException("not a wrapper");
          default -> {
            return nothing(m.getReturnType());
          }
        }
      }

      void commit() {
        committedIds.addAll(pending);
        pending.clear();
      }

      /** A statement of this connection: the values bound to it, and what executing it does to the store. */
      final class Statement implements java.lang.reflect.InvocationHandler {
        final Object[] values = new Object[4];
        final java.sql.PreparedStatement prepared = (java.sql.PreparedStatement) Proxy.newProxyInstance(
            java.sql.PreparedStatement.class.getClassLoader(), new Class<?>[] {java.sql.PreparedStatement.class}, this);
        final java.sql.Statement plain = (java.sql.Statement) Proxy.newProxyInstance(
            java.sql.Statement.class.getClassLoader(), new Class<?>[] {java.sql.Statement.class}, this);
        String sql;
        boolean closed;

        boolean insertsId;

        Object open(String sql, boolean isPrepared) {
          this.sql = sql;
          insertsId = sql != null && isIdInsert(sql);
          closed = false;
          java.util.Arrays.fill(values, null);
          return isPrepared ? prepared : plain;
        }

        @Override public Object invoke(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
          String name = m.getName();
          if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer i) {
            if (i >= 1 && i <= values.length) values[i - 1] = args[1];
            return null;
          }
          String text = sql != null ? sql : args != null && args.length > 0 && args[0] instanceof String s ? s : "";
          switch (name) {
            case "executeUpdate", "execute", "executeLargeUpdate" -> {
              if (isStockChange(text)) throw stockChangeFails();
              if (sql != null ? insertsId : isIdInsert(text)) {
                String id = String.valueOf(values[0]);
                if (committedIds.contains(id) || pending.contains(id)) {
                  throw new java.sql.SQLIntegrityConstraintViolationException("duplicate key: " + id, "23505");
                }
                if (autoCommit) committedIds.add(id);
                else pending.add(id);
              }
              return name.equals("execute") ? Boolean.FALSE : name.equals("executeLargeUpdate") ? (Object) 1L : (Object) 1;
            }
            case "executeQuery" -> {
              String id = String.valueOf(values[0]);
              String upper = text.toUpperCase(java.util.Locale.ROOT);
              boolean known = upper.contains("PROCESSED_EVENTS") && (committedIds.contains(id) || pending.contains(id));
              return resultSet(upper.contains("COUNT(") ? List.of(known ? 1 : 0) : known ? List.of(id) : List.of());
            }
            case "close" -> {
              if (!closed) {
                closed = true;
                idleStatements.push(this);
              }
              return null;
            }
            case "isClosed" -> {
              return closed;
            }
            case "isWrapperFor" -> {
              return false;
            }
            default -> {
              return nothing(m.getReturnType());
            }
          }
        }
      }

      /** A result of one column, one row per value. */
      Object resultSet(List<?> rows) {
        int[] at = {-1};
        return Proxy.newProxyInstance(ResultSet.class.getClassLoader(), new Class<?>[] {ResultSet.class}, (proxy, m, args) -> {
          switch (m.getName()) {
            case "next" -> {
              return ++at[0] < rows.size();
            }
            case "getInt" -> {
              return ((Number) rows.get(at[0])).intValue();
            }
            case "getLong" -> {
              return ((Number) rows.get(at[0])).longValue();
            }
            case "getString", "getObject" -> {
              return String.valueOf(rows.get(at[0]));
            }
            default -> {
              return nothing(m.getReturnType());
            }
          }
        });
      }
    }
  }

  /**
   * One partition holding one record, e-1 at offset 0, read through Kafka's MockConsumer by one member of the group after
   * another: {@link #startAgain()} is what a new member does, start from the group's committed offset (the record comes
   * again unless it was committed). close() leaves it open for the next member; commits are kept as the group's.
   */
  /**
   * A record of partition 0 as a broker hands it out, stamped with the time its producer wrote it: long ago (1970-01-02),
   * as a topic kept for years or replayed from its start holds them. A record's age is no reason to skip it when its
   * apply fails: the stand-in consumers' records are all this old, so a "poison after so long" rule shows.
   */
  static ConsumerRecord<String, String> stamped(String topic, long offset, String key, String value) {
    return new ConsumerRecord<>(topic, 0, offset, Duration.ofDays(1).toMillis(),
        org.apache.kafka.common.record.TimestampType.CREATE_TIME, ConsumerRecord.NULL_SIZE, ConsumerRecord.NULL_SIZE, key,
        value, new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
  }

  static final class Redelivery extends org.apache.kafka.clients.consumer.MockConsumer<String, String> {
    final TopicPartition partition;
    final ConsumerRecord<String, String> record;

    Redelivery(String topic, String json) {
      super("earliest");
      partition = new TopicPartition(topic, 0);
      record = stamped(topic, 0L, "o-1", json);
      assign(List.of(partition));
      updateBeginningOffsets(Map.of(partition, 0L));
      updateEndOffsets(Map.of(partition, 1L));
    }

    /**
     * A new member of the group takes the partition over, under a member id of its own, from the committed offset
     * (returned, null if none): e-1 comes again unless it was committed.
     */
    Long startAgain() {
      member++;
      if (!committedAny) { // nothing committed yet: the cheap way to the same start, at offset 0
        seek(partition, 0);
        addRecord(record);
        return null;
      }
      Long committed = committedOffset();
      long from = committed == null ? 0 : committed;
      seek(partition, from);
      if (from == 0) addRecord(record);
      return committed;
    }

    private int member;
    /** Whether any commit was made (every commit of MockConsumer goes through one of the two methods below). */
    private boolean committedAny;

    @Override public synchronized void commitSync(
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets) {
      committedAny = true;
      super.commitSync(offsets);
    }

    @Override public synchronized void commitAsync(Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
        org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
      committedAny = true;
      super.commitAsync(offsets, callback);
    }

    @Override public synchronized org.apache.kafka.clients.consumer.ConsumerGroupMetadata groupMetadata() {
      return new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("inventory", member, "inventory-" + member,
          java.util.Optional.empty());
    }

    /** The offset the group committed for the partition, null if none. */
    Long committedOffset() {
      org.apache.kafka.clients.consumer.OffsetAndMetadata committed = committed(java.util.Set.of(partition)).get(partition);
      return committed == null ? null : committed.offset();
    }

    @Override public void close() { }
    @Override public synchronized void close(Duration timeout) { }
    @Override public void close(org.apache.kafka.clients.consumer.CloseOptions options) { }
  }

  /**
   * One partition whose records come in one poll (Kafka's MockConsumer), and whose offset commits fail with
   * {@code failure} if it is not null, as a broker or a group refuses a commit (commitSync() throws it, commitAsync()
   * hands it to its callback); otherwise its commits are kept.
   */
  static final class OnePoll extends org.apache.kafka.clients.consumer.MockConsumer<String, String> {
    final TopicPartition partition;
    final RuntimeException failure;

    OnePoll(String topic, RuntimeException failure, Inventory.OrderConfirmed... events) {
      super("earliest");
      this.failure = failure;
      partition = new TopicPartition(topic, 0);
      assign(List.of(partition));
      updateBeginningOffsets(Map.of(partition, 0L));
      updateEndOffsets(Map.of(partition, (long) events.length));
      seek(partition, 0);
      for (int i = 0; i < events.length; i++) {
        addRecord(stamped(topic, i, events[i].orderId(), Json.write(events[i])));
      }
    }

    @Override public synchronized void commitSync(
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets) {
      if (failure != null) {
        Timeline.note("the offset commit fails with " + failure.getClass().getSimpleName() + " (the test injects it)");
        throw failure;
      }
      super.commitSync(offsets);
    }

    @Override public synchronized void commitAsync(Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
        org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
      if (failure == null) {
        super.commitAsync(offsets, callback);
      } else if (callback != null) {
        callback.onComplete(offsets, failure);
      }
    }

    /** Adds a record of {@code value} as it is (not necessarily an event) at the partition's next offset, in the same poll. */
    void addValue(String key, String value) {
      long offset = endOffsets(List.of(partition)).get(partition);
      updateEndOffsets(Map.of(partition, offset + 1));
      addRecord(stamped(partition.topic(), offset, key, value));
    }

    /** Adds a record of {@code value} at {@code offset}, past the partition's end (the offsets between hold no record), in the same poll. */
    void addAt(long offset, String value) {
      updateEndOffsets(Map.of(partition, offset + 1));
      addRecord(stamped(partition.topic(), offset, "o-" + offset, value));
    }

    /** The offset committed for the partition, null if none. */
    Long committedOffset() {
      org.apache.kafka.clients.consumer.OffsetAndMetadata committed = committed(java.util.Set.of(partition)).get(partition);
      return committed == null ? null : committed.offset();
    }
  }

  /** apply() of {@code event} on a thread of its own named {@code name} (its lane in the story): what it returned, or threw. */
  CompletableFuture<Object> applyOnItsOwnThread(String name, Inventory inventory, Inventory.OrderConfirmed event, Thread... started) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    Thread t = new Thread(() -> result.complete(outcomeOf(() -> inventory.apply(event))), name);
    t.setDaemon(true);
    if (started.length > 0) started[0] = t;
    t.start();
    return result;
  }

  static String described(Object outcome) {
    return outcome instanceof Throwable t ? "threw " + t : "returned " + outcome;
  }

  /** What {@code call} returned, or the exception it threw. */
  static Object outcomeOf(java.util.concurrent.Callable<Object> call) {
    try {
      return call.call();
    } catch (Exception e) {
      return e;
    }
  }

  /**
   * The same database through a driver that behaves as PostgreSQL's does after an error inside a transaction: every
   * statement (and a commit) is refused with SQLState 25P02 until the transaction is rolled back.
   */
  static DataSource abortingOnError(DataSource real) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          Object result = invoke(real, method, args);
          return result instanceof Connection c ? aborting(c, new boolean[1]) : result;
        });
  }

  private static Connection aborting(Connection c, boolean[] aborted) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "rollback" -> aborted[0] = false;
            case "commit" -> {
              if (aborted[0]) {
                c.rollback();
                aborted[0] = false;
                throw abortedError();
              }
            }
            default -> { }
          }
          Object result = invoke(c, method, args);
          if (result instanceof java.sql.Statement s) {
            Class<?> type = s instanceof java.sql.PreparedStatement ? java.sql.PreparedStatement.class : java.sql.Statement.class;
            return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (sp, sm, sargs) -> {
              boolean executes = sm.getName().startsWith("execute");
              if (executes && aborted[0]) throw abortedError();
              try {
                return invoke(s, sm, sargs);
              } catch (SQLException e) {
                if (executes && !c.getAutoCommit()) aborted[0] = true;
                throw e;
              }
            });
          }
          return result;
        });
  }

  private static SQLException abortedError() {
    return new SQLException("ERROR: current transaction is aborted, commands ignored until end of transaction block", "25P02");
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  static Inventory.OrderConfirmed event(String eventId, int quantity) {
    return new Inventory.OrderConfirmed(eventId, "order.confirmed", "o-" + eventId.substring(2), SKU, quantity);
  }

  void publish(String topic, Inventory.OrderConfirmed... events) {
    try (KafkaProducer<String, String> producer = Clients.producer("order-service")) {
      for (Inventory.OrderConfirmed e : events) {
        producer.send(new ProducerRecord<>(topic, e.orderId(), Json.write(e))).get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not publish the test's events: " + e.getMessage(), e);
    }
  }

  /** A consumer that commits only when told to (and here it never is). */
  KafkaConsumer<String, String> manualCommitConsumer(String topic, String group, String name) {
    KafkaConsumer<String, String> consumer = manualCommitConsumer(group, name);
    Clients.subscribe(consumer, topic);
    return consumer;
  }

  /** A member of {@code group} that commits only when told to, not reading anything yet. */
  static KafkaConsumer<String, String> manualCommitConsumer(String group, String name) {
    Map<String, Object> config = Clients.consumerConfig(group, name);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return Clients.consumer(config);
  }

  /** How many sessions of the database are stuck in a statement (100 ms is forever in memory): waiting for a lock. */
  int stuckStatements() {
    Instant stuckSince = Instant.now().minusMillis(100);
    int stuck = 0;
    try (Connection c = db.dataSource().getConnection();
        ResultSet r = c.createStatement().executeQuery("SELECT EXECUTING_STATEMENT_START FROM"
            + " INFORMATION_SCHEMA.SESSIONS WHERE EXECUTING_STATEMENT IS NOT NULL AND SESSION_ID <> SESSION_ID()")) {
      while (r.next()) if (r.getObject(1, OffsetDateTime.class).toInstant().isBefore(stuckSince)) stuck++;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return stuck;
  }

  List<String> processedIds() throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        ResultSet r = c.createStatement().executeQuery("SELECT event_id FROM processed_events ORDER BY event_id")) {
      while (r.next()) ids.add(r.getString(1));
    }
    return ids;
  }

  void pollUntilStockIs(InventoryConsumer consumer, int expected, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (inventory.stock(SKU) != expected && System.nanoTime() < deadline) consumer.pollOnce(Duration.ofMillis(200));
    assertThat(inventory.stock(SKU)).as(what + " (waited 10 s)").isEqualTo(expected);
  }

  /** The highest offset of {@code partition} whose commit the broker acknowledged to {@code client}, or null. */
  static Long acknowledgedCommit(String client, String group, String topic, int partition) {
    Long acknowledged = null;
    for (var e : workbook.story.Story.entries()) {
      if (e.kind() == workbook.story.Story.Kind.COMMITTED && client.equals(e.actor()) && group.equals(e.group())
          && topic.equals(e.topic()) && e.partition() == partition) {
        acknowledged = acknowledged == null ? e.offset() : Math.max(acknowledged, e.offset());
      }
    }
    return acknowledged;
  }

  static int pollUntilRead(InventoryConsumer consumer, int count) throws Exception {
    int read = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (read < count && System.nanoTime() < deadline) read += consumer.pollOnce(Duration.ofMillis(200));
    return read;
  }

  /** Polls until pollOnce() throws (the apply failed); fails if it never does. */
  static void pollUntilFailure(InventoryConsumer consumer) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      Throwable failure = catchThrowable(() -> consumer.pollOnce(Duration.ofMillis(200)));
      if (failure instanceof UnsupportedOperationException todo) throw todo;
      if (failure != null) return;
    }
    fail("TODO 2: pollOnce() never failed although applying every event failed (the stock row was locked):"
        + " let the failure out of pollOnce() instead of catching it, and commit nothing");
  }

  static long done(List<CompletableFuture<Boolean>> results) {
    return results.stream().filter(CompletableFuture::isDone).count();
  }

  static Object outcome(CompletableFuture<Boolean> result) throws Exception {
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause() instanceof IllegalStateException ise && ise.getCause() != null ? ise.getCause() : e.getCause();
    }
  }
}
