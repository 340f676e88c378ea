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
    // TODO 2: also set the deprecated price_cents to the price in cents, so that old clients still see a price.
    return mug.build();
  }

  /** The price as the new client reads it, whether a new server or an old one answered. */
  static Money priceOf(Product product) {
    // TODO 3: return the price field when it is set; an old server sets only price_cents (always euro cents).
    throw new UnsupportedOperationException("TODO 3: read the price from either version (see hint 3)");
  }

  /** The weight as the new client reads it: empty when the server did not say. */
  static Optional<Integer> weightOf(Product product) {
    // TODO 3: return the weight only when the message has one: an old server never sends it.
    throw new UnsupportedOperationException("TODO 3: read the weight only when it is present (see hint 3)");
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
