import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;

/**
 * How a v2 client reads a product. A tolerant reader takes what it needs and ignores the rest,
 * so the server can add fields without breaking it; it defaults what has a safe default and
 * rejects only what it cannot do without.
 */
final class ProductReader {
  record Product(int id, String name, Price price) {}
  record Price(BigDecimal amount, String currency) {}

  // Jackson's default is strict: any field the records do not declare fails the whole read.
  // BigDecimal for every JSON number with a fraction: money must never pass through double.
  // A body is one JSON value: whatever follows it (a second body, an error page) makes it no JSON.
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ProductReader() {}

  /** Reads a v2 product body; throws IllegalArgumentException when it cannot be used. */
  static Product read(String json) {
    // TODO 3: make this reader tolerant: ignore fields it does not know (at any depth), default a missing currency to "EUR", and reject a missing price.amount with an error that names it.
    try {
      return JSON.readValue(json, Product.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("unreadable product: " + e.getOriginalMessage(), e);
    }
  }
}
