import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import workbook.story.Story;

/**
 * The log every service writes to, collected in one place: one hop per step of work, with the
 * ids that tie the steps of one user action together. In production this is your log
 * aggregator or tracing backend; here it is a list, and {@link #chain} is the one query.
 */
final class TraceLog {
  /**
   * One step: its own id, the user action it belongs to (correlation id), the step that caused
   * it (causation id; null for the first), who did what, and when by that service's clock.
   */
  record Hop(String id, String correlationId, String causationId, String service, String what, Instant at) {
    @Override
    public String toString() {
      return String.format("hop %-8s %-36s id=%s correlation=%s caused by=%s", service, what, id, correlationId,
          causationId == null ? "-" : causationId);
    }
  }

  private final List<Hop> hops = new CopyOnWriteArrayList<>();

  /** Records a step with a new id, now, and returns it. */
  Hop record(String service, String what, String correlationId, String causationId) {
    return add(new Hop(Tracing.newId(), correlationId, causationId, service, what, Instant.now()));
  }

  Hop add(Hop hop) {
    hops.add(hop);
    Story.add(hop.toString());
    return hop;
  }

  /** Everything logged so far, in the order it arrived. */
  List<Hop> all() { return List.copyOf(hops); }

  /** The story of one user action: its hops, each one after the hop that caused it. */
  List<Hop> chain(String correlationId) {
    // TODO 4: keep this correlation id's hops, each after the hop its causationId names (never sort by time).
    throw new UnsupportedOperationException("TODO 4: rebuild the chain of " + correlationId);
  }
}
