import java.util.List;
import java.util.Optional;

/**
 * What the shop sells. The gateway lists it on the page and the order service checks orders
 * against it; in a bigger system it would be a catalog service of its own. (Nothing to edit here.)
 */
final class Catalog {
  record Product(String id, String name, int priceCents) {}

  static final List<Product> PRODUCTS = List.of(
      new Product("espresso-cup", "Espresso cup", 900),
      new Product("hand-grinder", "Hand grinder", 4900),
      new Product("beans-1kg", "Coffee beans, 1 kg", 1800));

  private Catalog() {}

  static Optional<Product> find(String productId) {
    return PRODUCTS.stream().filter(p -> p.id().equals(productId)).findFirst();
  }
}
