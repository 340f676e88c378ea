import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import workbook.grpc.measure.StockLevel;
import workbook.grpc.measure.StockReport;

/**
 * One warehouse's stock, and its two encodings: JSON text (what the REST side sends) and
 * Protocol Buffers binary (what the gRPC side sends). Same data, different bytes.
 */
final class StockCodec {
  /** One line of stock, as both services hold it in memory. */
  record Item(String sku, String name, int onHand, int reserved, long priceCents, boolean discontinued) {}

  /** A warehouse's stock: what GET /stock/{warehouse} and GetStock both return. */
  record Report(String warehouse, List<Item> items) {}

  // One mapper for the whole program: building one is costly, using one is thread-safe.
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] NAMES = {"Espresso cup, white", "Oak cutting board", "Linen tea towel",
      "Cast iron pan 28 cm", "Glass jar 1 l", "Bamboo spoon", "Enamel mug", "Steel whisk"};

  private StockCodec() {}

  /** The fixture: the same {@code count} items on every run, so sizes can be asserted exactly. */
  static Report report(String warehouse, int count) {
    List<Item> items = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      // Locale.ROOT: the same ASCII digits whatever the machine's locale (Arabic or Persian ones write others).
      items.add(new Item(String.format(java.util.Locale.ROOT, "SKU-%05d", i * 7919 % 100_000), NAMES[i % NAMES.length],
          i * 37 % 250, i % 4, 199 + i * 431 % 9_000, i % 11 == 0));
    }
    return new Report(warehouse, items);
  }

  static byte[] toJson(Report report) {
    try {
      return JSON.writeValueAsBytes(report);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Report fromJson(byte[] json) {
    Report report;
    try {
      report = JSON.readValue(json, Report.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // JSON that parses but is no report (null, {}, no items, an item null) is a failure too, not a report to return.
    if (report == null || report.warehouse() == null || report.items() == null || report.items().contains(null)) {
      throw new UncheckedIOException(new IOException("not a stock report: " + (report == null ? "null"
          : report.warehouse() == null ? "no warehouse" : report.items() == null ? "no items" : "an item is null")));
    }
    return report;
  }

  /** The same report as a Protobuf message (StockReport in shared/proto/measure/stock_report.proto). */
  static StockReport toProto(Report report) {
    // Every field of Item, by the numbers the .proto gives them; a field at its default (0, false) costs no byte.
    StockReport.Builder message = StockReport.newBuilder().setWarehouse(report.warehouse());
    for (Item i : report.items()) {
      message.addItems(StockLevel.newBuilder().setSku(i.sku()).setName(i.name()).setOnHand(i.onHand())
          .setReserved(i.reserved()).setPriceCents(i.priceCents()).setDiscontinued(i.discontinued()));
    }
    return message.build();
  }

  static Report fromProto(StockReport message) {
    List<Item> items = new ArrayList<>();
    for (StockLevel l : message.getItemsList()) {
      items.add(new Item(l.getSku(), l.getName(), l.getOnHand(), l.getReserved(), l.getPriceCents(),
          l.getDiscontinued()));
    }
    return new Report(message.getWarehouse(), items);
  }
}
