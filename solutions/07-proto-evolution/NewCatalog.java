import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import workbook.grpc.catalog.CatalogGrpc;
import workbook.grpc.catalog.Money;
import workbook.grpc.catalog.Product;
import workbook.grpc.catalog.ProductRequest;

/**
 * Code built from the NEW contract (catalog.proto): a server that old clients still call, and a
 * client that still meets old servers. Both must cope with the other side's version.
 */
@SuppressWarnings("deprecation") // price_cents is deprecated on purpose: old clients still read it
final class NewCatalog {
  /** The one product the new server knows: weighed, and priced in Money. */
  static final Money MUG_PRICE = Money.newBuilder().setMinorUnits(1299).setCurrency("EUR").build();

  private NewCatalog() {}

  /** The product as the new server sends it. */
  static Product mug() {
    Product.Builder mug = Product.newBuilder().setSku("MUG-350").setName("Enamel mug")
        .setWeightGrams(350).setPrice(MUG_PRICE);
    // Old clients read only price_cents: until the last one is gone, the deprecated field carries the price too.
    mug.setPriceCents(MUG_PRICE.getMinorUnits());
    return mug.build();
  }

  /** The price as the new client reads it, whether a new server or an old one answered. */
  static Money priceOf(Product product) {
    // hasPrice() tells "not sent" from "zero": an old server never sends field 6, only euro cents in field 3.
    if (product.hasPrice()) return product.getPrice();
    return Money.newBuilder().setMinorUnits(product.getPriceCents()).setCurrency("EUR").build();
  }

  /** The weight as the new client reads it: empty when the server did not say. */
  static Optional<Integer> weightOf(Product product) {
    // `optional` gives the field presence: without it "not weighed" (old server) and 0 g would both read 0.
    return product.hasWeightGrams() ? Optional.of(product.getWeightGrams()) : Optional.empty();
  }

  /** The new server: answers mug() for its sku, NOT_FOUND for any other. */
  static final class Server extends CatalogGrpc.CatalogImplBase {
    @Override
    public void getProduct(ProductRequest request, StreamObserver<Product> reply) {
      Product mug = mug();
      if (!request.getSku().equals(mug.getSku())) {
        reply.onError(Status.NOT_FOUND.withDescription("no product " + request.getSku()).asRuntimeException());
        return;
      }
      reply.onNext(mug);
      reply.onCompleted();
    }
  }
}
