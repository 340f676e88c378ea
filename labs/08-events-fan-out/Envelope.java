import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;
import workbook.kafka.Json;

/**
 * The envelope every event travels in: what happened (eventType, data), which event this is
 * (eventId), which user action it belongs to (correlationId), what caused it (causationId),
 * when and where it happened (timestamp, source). The data is the event's own JSON.
 */
record Envelope(String eventId, String eventType, String correlationId, String causationId,
    Instant timestamp, String source, JsonNode data) {

  /** The first event of a user action; {@code actionId} is that action's id (its HTTP request's). */
  static Envelope first(String eventType, String source, String actionId, Object data) {
    // TODO 1: return an envelope with a new random eventId, the action as both correlation and cause, and the time now.
    throw new UnsupportedOperationException("TODO 1: build the first envelope of a user action (Envelope.first)");
  }

  /** An event that this one caused, e.g. shipping's shipment.requested caused by order.confirmed. */
  Envelope causes(String eventType, String source, Object data) {
    // TODO 1: return an envelope with a new random eventId, this event's correlationId, and this event as its cause.
    throw new UnsupportedOperationException("TODO 1: build an envelope caused by this one (Envelope.causes)");
  }

  /** The data read as the event's own type, e.g. {@code event.data(Shop.Order.class)}. */
  <T> T data(Class<T> type) {
    return Json.convert(data, type);
  }

  String toJson() {
    return Json.write(this);
  }

  static Envelope fromJson(String json) {
    return Json.read(json, Envelope.class);
  }

  /** A short id for printing: the first 8 characters. */
  static String shortId(String id) {
    return id == null || id.length() <= 8 ? String.valueOf(id) : id.substring(0, 8);
  }
}
