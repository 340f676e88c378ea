package workbook.faults;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * A real consumer on a real broker whose group coordinator answers late, as a loaded broker does:
 * closed with less time than {@code answer}, it gives up waiting for the coordinator (the commit of
 * what it consumed, its leaving the group) before the answer comes, as {@code close(Duration.ZERO)}
 * does; closed with that long or longer (KafkaConsumer's default is 30 s), it closes as usual. On
 * a quiet localhost the answer comes within a millisecond, so a test cannot tell close(50 ms) from
 * close(); with this one it can, every time. Nothing else is changed.
 */
public class SlowCoordinatorAnswers<K, V> extends KafkaConsumer<K, V> {
  /** The limit of KafkaConsumer's close() without one. */
  private static final Duration DEFAULT_CLOSE = Duration.ofSeconds(30);
  private final Duration answer;

  public SlowCoordinatorAnswers(Map<String, Object> config, Duration answer) {
    super(config);
    this.answer = answer;
  }

  @Override public void close() { close(CloseOptions.timeout(DEFAULT_CLOSE)); }

  @Deprecated
  @Override public void close(Duration timeout) { close(CloseOptions.timeout(timeout)); }

  @Override
  public void close(CloseOptions options) {
    if (options.timeout().orElse(DEFAULT_CLOSE).compareTo(answer) >= 0) {
      super.close(options);
    } else { // the limit runs out before the coordinator answers: nothing it sends now is heard back
      super.close(CloseOptions.timeout(Duration.ZERO).withGroupMembershipOperation(options.groupMembershipOperation()));
    }
  }
}
