package workbook.faults;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import workbook.kafka.Timeline;

/**
 * A real producer on a real broker, with faults a schedule injects at counted points instead of
 * stopping the broker (which takes seconds): an outage (every send fails, nothing reaches the
 * broker, until {@link #up()}), and one-shot faults for the next send (see {@link Fault}). The code
 * under test sees what it would see in production: a future that fails with Kafka's
 * TimeoutException, or its process dying (a {@link Crash}).
 */
public class FaultyProducer<K, V> extends KafkaProducer<K, V> {
  /** What happens to the next send. */
  public enum Fault {
    /** Not sent; its future fails (TimeoutException): the broker never saw it. */
    FAILS,
    /** Sent and stored, but the answer is lost: its future fails although the broker has it. */
    ACK_LOST,
    /** The process dies before the record leaves. */
    CRASH_BEFORE_SEND,
    /** The process dies right after the broker acknowledged the record. */
    CRASH_AFTER_ACK,
    /**
     * Not sent, and the answer comes later than any wait: a timed get() times out at once (as it
     * would after however long it waited), and the answer, when it comes (get() without a limit, a
     * callback), is a failure. Silence is not an acknowledgement.
     */
    ANSWERS_LATE_WITH_A_FAILURE
  }

  private record Planned<K, V>(Predicate<ProducerRecord<K, V>> which, Fault fault) {}

  private final List<Planned<K, V>> planned = new CopyOnWriteArrayList<>();
  private final Queue<Runnable> beforeNext = new ConcurrentLinkedQueue<>();
  private record Meanwhile<K, V>(Predicate<ProducerRecord<K, V>> which, Runnable action) {}
  private final List<Meanwhile<K, V>> beforeSendOf = new CopyOnWriteArrayList<>();
  /** The answers to held sends not known yet: flush() waits for them, as a real producer's does for its sends. */
  private final Queue<CompletableFuture<RecordMetadata>> heldAnswers = new ConcurrentLinkedQueue<>();
  private final Queue<Hold> holds = new ConcurrentLinkedQueue<>();
  private volatile boolean down;
  /**
   * The answer to a send the test holds: nothing reaches the broker, and the sender's future stays
   * open, until the test lets the record go ({@link #answer()}: sent to the real broker, its real
   * answer passed on) or refuses it ({@link #refuse}: never sent, the future fails). A slow broker
   * or a refusal after a while, at the moment the test chooses instead of after a sleep.
   */
  public final class Hold {
    private final CompletableFuture<RuntimeException> decision = new CompletableFuture<>();
    private final boolean pastTimedWaits;
    private volatile boolean handed;

    private Hold(boolean pastTimedWaits) { this.pastTimedWaits = pastTimedWaits; }

    /** The held record goes to the broker now; the sender gets the broker's answer. */
    public void answer() { decision.complete(null); }

    /** The held record is refused with {@code why}, never sent. */
    public void refuse(RuntimeException why) { decision.complete(why); }

    /** Whether a send has reached this hold yet. */
    public boolean handed() { return handed; }
  }

  /** Holds the answer to the next send until the test decides (see {@link Hold}). */
  public Hold holdNext() {
    Hold hold = new Hold(false);
    holds.add(hold);
    return hold;
  }

  /**
   * Holds the answer to the next send, as {@link #holdNext()}, and the broker is slower than any
   * wait shorter than the producer's own delivery.timeout.ms: until the test decides, a timed
   * get() with a shorter limit times out at once (as it would after waiting that long). get()
   * without a limit, a limit as long as the producer tries, or a callback get the answer.
   */
  public Hold holdNextPastTimedWaits() {
    Hold hold = new Hold(true);
    holds.add(hold);
    return hold;
  }

  /** Every record handed to send(), in order, faults or not. */
  public final List<ProducerRecord<K, V>> handed = new CopyOnWriteArrayList<>();

  private final long deliveryTimeoutMs;

  public FaultyProducer(Map<String, Object> config) {
    super(config);
    Object limit = config.get(org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
    deliveryTimeoutMs = limit == null ? 120_000 : Long.parseLong(String.valueOf(limit));
  }

  /** An outage from now on: every send fails until up(). */
  public void down() {
    down = true;
    Timeline.note("the broker becomes unreachable (an outage the test injects)");
  }

  public void up() {
    down = false;
    Timeline.note("the broker is reachable again");
  }

  public boolean isDown() { return down; }

  /** The next send (with the broker up) meets {@code fault}; several queue up in order. */
  public void next(Fault fault) { on(record -> true, fault); }

  /** The first send (with the broker up) of a record that matches {@code which} meets {@code fault}. */
  public void on(Predicate<ProducerRecord<K, V>> which, Fault fault) { planned.add(new Planned<>(which, fault)); }

  /** Runs {@code action} when the next record is handed to send(), before anything else: something that happens meanwhile. */
  public void beforeNextSend(Runnable action) { beforeNext.add(action); }

  /**
   * Runs {@code action} once, when the first record that matches {@code which} is handed to send(), before anything
   * else: something that happens meanwhile at a chosen record (another transaction commits, say).
   */
  public void beforeSend(Predicate<ProducerRecord<K, V>> which, Runnable action) {
    beforeSendOf.add(new Meanwhile<>(which, action));
  }

  /** Faults queued and not met yet (a schedule that ends with some left did not prove them). */
  public int faultsPending() { return planned.size(); }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
    handed.add(record);
    for (Runnable action; (action = beforeNext.poll()) != null; ) action.run();
    for (Meanwhile<K, V> m : beforeSendOf) if (m.which().test(record) && beforeSendOf.remove(m)) m.action().run();
    if (down) return failed(record, callback, "not sent: the broker is unreachable (an outage the test injects)");
    Hold hold = holds.poll();
    if (hold != null) return held(hold, record, callback);
    Fault fault = null;
    for (Planned<K, V> p : planned) {
      if (p.which().test(record) && planned.remove(p)) {
        fault = p.fault();
        break;
      }
    }
    if (fault == null) return super.send(record, callback);
    switch (fault) {
      case FAILS:
        return failed(record, callback, "not sent: the send failed (a fault the test injects)");
      case ANSWERS_LATE_WITH_A_FAILURE: {
        Future<RecordMetadata> failure = failed(record, callback,
            "not sent: its answer comes later than any wait, and is a failure (a fault the test injects)");
        return new Future<>() {
          @Override public boolean cancel(boolean mayInterrupt) { return false; }
          @Override public boolean isCancelled() { return false; }
          @Override public boolean isDone() { return false; }
          @Override public RecordMetadata get() throws InterruptedException, ExecutionException { return failure.get(); }
          @Override public RecordMetadata get(long timeout, TimeUnit unit) throws java.util.concurrent.TimeoutException {
            throw new java.util.concurrent.TimeoutException("no answer within " + timeout + " " + unit + " (the test's late answer)");
          }
        };
      }
      case CRASH_BEFORE_SEND:
        Timeline.note("the process dies before sending " + record.key());
        throw new Crash("the process died before sending " + record.key());
      case ACK_LOST:
        acknowledged(record);
        return failed(record, callback, "stored by the broker, but its answer was lost (a fault the test injects)");
      case CRASH_AFTER_ACK:
      default:
        RecordMetadata acked = acknowledged(record);
        Timeline.note("the process dies right after the broker acknowledged " + record.key() + " (offset " + acked.offset() + ")");
        throw new Crash("the process died after the broker acknowledged " + record.key());
    }
  }

  private Future<RecordMetadata> held(Hold hold, ProducerRecord<K, V> record, Callback callback) {
    Timeline.note("the broker's answer to " + record.key() + " is held by the test");
    CompletableFuture<RecordMetadata> answer = new CompletableFuture<>();
    heldAnswers.add(answer);
    answer.whenComplete((m, e) -> heldAnswers.remove(answer));
    hold.handed = true;
    hold.decision.thenAccept(refusal -> {
      if (refusal != null) {
        Timeline.note("send of " + record.key() + " refused: " + refusal.getMessage() + " (a fault the test injects)");
        if (callback != null) callback.onCompletion(null, refusal);
        answer.completeExceptionally(refusal);
        return;
      }
      super.send(record, (metadata, e) -> {
        if (callback != null) callback.onCompletion(metadata, e);
        if (e != null) answer.completeExceptionally(e);
        else answer.complete(metadata);
      });
    });
    if (!hold.pastTimedWaits) return answer;
    return new Future<>() {
      @Override public boolean cancel(boolean mayInterrupt) { return false; }
      @Override public boolean isCancelled() { return false; }
      @Override public boolean isDone() { return answer.isDone(); }
      @Override public RecordMetadata get() throws InterruptedException, ExecutionException { return answer.get(); }
      @Override public RecordMetadata get(long timeout, TimeUnit unit)
          throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        if (!answer.isDone() && unit.toMillis(timeout) < deliveryTimeoutMs) {
          throw new java.util.concurrent.TimeoutException("no answer within " + timeout + " " + unit + " (the broker is"
              + " slower than that; the producer tries for " + deliveryTimeoutMs + " ms)");
        }
        return answer.get(timeout, unit);
      }
    };
  }

  /** Waits, as a real producer's flush() does, until every record sent has its answer: the held ones too. */
  @Override
  public void flush() {
    for (CompletableFuture<RecordMetadata> answer : heldAnswers) {
      try {
        answer.join();
      } catch (RuntimeException failed) {
        // flush() only waits; the sender's future or callback carries the failure
      }
    }
    super.flush();
  }

  private RecordMetadata acknowledged(ProducerRecord<K, V> record) {
    try {
      return super.send(record, null).get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the test's producer sent " + record.key(), e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the test's producer could not send " + record.key() + " with the broker up", e);
    }
  }

  private Future<RecordMetadata> failed(ProducerRecord<K, V> record, Callback callback, String why) {
    Timeline.note("send of " + record.key() + " " + why);
    TimeoutException e = new TimeoutException(why);
    if (callback != null) callback.onCompletion(null, e);
    return CompletableFuture.failedFuture(e);
  }
}
