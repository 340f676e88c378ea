import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
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
    // Read by path, only what we use: whatever else the body holds, at any depth, is never looked at.
    JsonNode product = tree(json);
    JsonNode amount = product.path("price").path("amount");
    // An amount has no safe default (0 would sell the product for free): missing means unusable.
    if (!amount.isNumber()) throw new IllegalArgumentException("price.amount is missing or not a number in " + json);
    // A currency has one: the contract documents EUR as the default.
    String currency = product.path("price").path("currency").asText("EUR");
    return new Product(product.path("id").canConvertToInt() ? product.path("id").asInt() : 0, product.path("name").asText(""),
        new Price(amount.decimalValue(), currency));
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("unreadable product: " + e.getOriginalMessage(), e);
    }
  }
}
