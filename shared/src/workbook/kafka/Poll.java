package workbook.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Bounded waits for tests and demos: every wait on a broker ends, either with what was expected
 * or with an AssertionError saying what did happen. No bare sleeps, no hanging runs.
 */
public final class Poll {
  private static final Duration STEP = Duration.ofMillis(100);

  private Poll() {}

  /**
   * Polls {@code consumer} (already subscribed or assigned) until at least {@code count} records
   * arrived; fails after {@code within}, listing the ones that did arrive.
   */
  public static List<ConsumerRecord<String, String>> records(Consumer<String, String> consumer, int count,
      Duration within) {
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    long deadline = System.nanoTime() + within.toNanos();
    while (got.size() < count && System.nanoTime() < deadline) {
      consumer.poll(STEP).forEach(got::add);
    }
    if (got.size() < count) {
      throw new AssertionError(String.format(Locale.ROOT, "expected %d record(s) within %s, but %d arrived%s",
          count, seconds(within), got.size(), describe(got)));
    }
    return got;
  }

  /**
   * Checks {@code condition} every 20 ms until it holds; after {@code within} fails with
   * {@code whyNot}'s answer at that moment (e.g. "stock is 97, expected 95").
   */
  public static void until(BooleanSupplier condition, Duration within, Supplier<String> whyNot) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(whyNot.get() + " (waited " + seconds(within) + ")");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting: " + whyNot.get());
      }
    }
  }

  /** One short line per record, as in the timeline: "p1@0 order-1 order.confirmed". */
  public static String describe(List<ConsumerRecord<String, String>> records) {
    if (records.isEmpty()) return ": none (is anything sending to this topic, and does the group start at"
        + " the earliest offset?)";
    String lines = records.stream().limit(10)
        .map(r -> "\n  " + Timeline.where(r.partition(), r.offset()) + " " + Timeline.key(r.key()) + " "
            + Timeline.what(r.value(), r.headers()))
        .collect(Collectors.joining());
    return ":" + lines + (records.size() > 10 ? "\n  ... and " + (records.size() - 10) + " more" : "");
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
