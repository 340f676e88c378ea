///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ProtoEvolution.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workbook.grpc.LocalGrpc;
import workbook.grpc.catalog.CatalogGrpc;
import workbook.grpc.catalog.CatalogProto;
import workbook.grpc.catalog.Money;
import workbook.grpc.catalog.Product;
import workbook.grpc.catalog.ProductRequest;
import workbook.grpc.catalogold.CatalogOldProto;

@DisplayName("Lab 07: evolving a .proto")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
@SuppressWarnings("deprecation") // price_cents is deprecated on purpose: old clients still read it
class ProtoEvolutionTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ProtoEvolutionTest.class, args); }

  /** A product as new code writes it: built here, so the given tests need no step done. */
  static final Product NEW_MUG = Product.newBuilder().setSku("MUG-350").setName("Enamel mug").setPriceCents(1299)
      .setWeightGrams(350).setPrice(Money.newBuilder().setMinorUnits(1299).setCurrency("EUR")).build();
  static Server newServer, oldServer;
  static ManagedChannel toNew, toOld;

  @BeforeAll
  static void start() {
    newServer = LocalGrpc.serve(0, new NewCatalog.Server());
    oldServer = LocalGrpc.serve(0, OldCatalog.server());
    toNew = LocalGrpc.channel(newServer.getPort());
    toOld = LocalGrpc.channel(oldServer.getPort());
    // Connect before the first test: on a loaded machine the first connection alone can eat the
    // old stub's 5 s deadline. Bounded polling, no fixed sleep.
    for (ManagedChannel channel : List.of(toNew, toOld)) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (channel.getState(true) != ConnectivityState.READY && System.nanoTime() < until) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  @AfterAll
  static void stop() {
    LocalGrpc.close(toNew);
    LocalGrpc.close(toOld);
    LocalGrpc.stop(newServer);
    LocalGrpc.stop(oldServer);
  }

  static workbook.grpc.catalogold.Product readAsOld(byte[] bytes) throws Exception {
    return workbook.grpc.catalogold.Product.parseFrom(bytes);
  }

  static Product newClientGets(ManagedChannel channel) {
    return CatalogGrpc.newBlockingStub(channel).getProduct(ProductRequest.newBuilder().setSku("MUG-350").build());
  }

  @Nested
  @Order(1)
  @DisplayName("Given: old code reads a new product")
  class OldReadsNew {
    @Test
    @DisplayName("it reads the fields it knows")
    void knownFields() throws Exception {
      var old = readAsOld(NEW_MUG.toByteArray());
      assertThat(List.of(old.getSku(), old.getName(), old.getPriceCents())).as("sku, name, price_cents")
          .containsExactly("MUG-350", "Enamel mug", 1299L);
    }

    @Test
    @DisplayName("it skips weight_grams (5) and price (6), yet keeps them as unknown fields")
    void keepsUnknownFields() throws Exception {
      var old = readAsOld(NEW_MUG.toByteArray());
      assertThat(old.getUnknownFields().asMap().keySet()).as("unknown field numbers").containsExactly(5, 6);
    }

    @Test
    @DisplayName("it writes them back when it serializes the message again")
    void writesThemBack() throws Exception {
      Product again = Product.parseFrom(readAsOld(NEW_MUG.toByteArray()).toByteArray());
      assertThat(again).as("the new product after a trip through old code").isEqualTo(NEW_MUG);
    }
  }

  @Nested
  @Order(2)
  @DisplayName("Given: new code reads an old product")
  class NewReadsOld {
    @Test
    @DisplayName("colour (4, reserved now) arrives as an unknown field, weight as absent, not 0")
    void oldProduct() throws Exception {
      Product read = Product.parseFrom(OldCatalog.MUG.toByteArray());
      assertThat(read.getUnknownFields().hasField(4)).as("colour kept as unknown field 4").isTrue();
      assertThat(read.hasWeightGrams()).as("hasWeightGrams() of an old product").isFalse();
      assertThat(read.hasPrice()).as("hasPrice() of an old product").isFalse();
    }

    @Test
    @DisplayName("old and new stubs call the same method: each gets the other side's product")
    void stubsTalk() {
      assertThat(OldCatalog.getProduct(toNew, "MUG-350").getName()).as("old client, new server")
          .isEqualTo("Enamel mug");
      assertThat(newClientGets(toOld).getName()).as("new client, old server").isEqualTo("Enamel mug");
    }
  }

  @Nested
  @Order(3)
  @DisplayName("Given: the checker's parts that are written for you")
  class GivenChecker {
    @Test
    @DisplayName("a reservation dropped with no field taking it is flagged: a later field could take it")
    void liftedReservation() {
      assertThat(SchemaCheck.lifted(product("string sku = 1; reserved 4; reserved \"colour\""), product("string sku = 1"))
          .stream().map(f -> f.rule() + " " + f.number()).toList()).as("lifted(), number 4 and name colour dropped")
          .containsExactlyInAnyOrder("RESERVATION_LIFTED 4", "RESERVATION_LIFTED 0");
    }

    @Test
    @DisplayName("a reservation kept, or taken by a field (removals() flags that), is not 'lifted'")
    void keptReservation() {
      assertThat(SchemaCheck.lifted(product("string sku = 1; reserved 4; reserved \"colour\""),
          product("string sku = 1; reserved 4; reserved \"colour\"; reserved 9"))).as("all kept").isEmpty();
      assertThat(SchemaCheck.lifted(product("string sku = 1; reserved 4"), product("string sku = 1; int32 weight_grams = 4")))
          .as("number 4 taken by a field").isEmpty();
    }

    @Test
    @DisplayName("oneofOf names a real oneof, and not the one protoc makes for `optional`")
    void oneofOf() {
      Descriptor product = product("oneof contact: string email = 3; optional int32 weight_grams = 5; string sku = 1");
      assertThat(List.of(SchemaCheck.oneofOf(product.findFieldByNumber(3)), SchemaCheck.oneofOf(product.findFieldByNumber(5)),
          SchemaCheck.oneofOf(product.findFieldByNumber(1)))).as("oneofOf email, weight_grams, sku").containsExactly("contact", "", "");
    }
  }

  @Nested
  @Order(4)
  @Tag("step1")
  @DisplayName("Step 1: an old job rewrites a new product")
  class Step1 {
    @Test
    @DisplayName("the product gets its new name")
    void renames() throws Exception {
      Product renamed = Product.parseFrom(OldCatalog.rename(NEW_MUG.toByteArray(), "Blue enamel mug"));
      assertThat(renamed.getName()).as("TODO 1: the name after rename (see hint 1)").isEqualTo("Blue enamel mug");
    }

    @Test
    @DisplayName("the rewritten product keeps every field the old code does not know")
    void keepsWhatItDoesNotKnow() throws Exception {
      Product renamed = Product.parseFrom(OldCatalog.rename(NEW_MUG.toByteArray(), "Blue enamel mug"));
      assertThat(renamed.getWeightGrams()).as("TODO 1: weight_grams (field 5, unknown to old code) after an old "
          + "job rewrote the product; build from product.toBuilder(), not a new builder (see hint 1)").isEqualTo(350);
      assertThat(renamed.getPrice()).as("TODO 1: price (field 6, unknown to old code) after the rewrite")
          .isEqualTo(NEW_MUG.getPrice());
      assertThat(renamed.getPriceCents()).as("TODO 1: price_cents after the rewrite").isEqualTo(1299);
    }

    @Test
    @DisplayName("any new name (empty, accented, long, spaces around it) replaces the old one, and nothing else changes, in new, newer and old products")
    void anyNameOnly() throws Exception {
      // A product written by code newer still than the new contract: fields 7, 20 and 1000 are unknown to both.
      Product newer = NEW_MUG.toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
          .mergeField(7, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(42).build())
          .mergeField(20, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
              .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("gift-wrapped")).build())
          .mergeField(1000, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addFixed64(7L).build()).build()).build();
      for (String name : List.of("", "Blue enamel mug", " Blue enamel mug ", "  ", "\tmug\n", "Émaillebecher ☕ 350 ml",
          "x".repeat(300))) {
        for (Product stored : List.of(NEW_MUG, NEW_MUG.toBuilder().setName("").build(), newer)) {
          assertThat(Product.parseFrom(OldCatalog.rename(stored.toByteArray(), name)))
              .as("TODO 1: rename(a new product named '%s' with fields %s, '%s'): the same product with only its name"
                  + " changed, exactly as given, every field kept, unknown ones too, whatever their number: build from"
                  + " product.toBuilder(), which keeps every field it parsed (see hint 1)", stored.getName(),
                  stored.getUnknownFields().asMap().keySet(), name)
              .isEqualTo(stored.toBuilder().setName(name).build());
        }
        assertThat(readAsOld(OldCatalog.rename(OldCatalog.MUG.toByteArray(), name)))
            .as("TODO 1: rename(an old product, '%s'): the same product with only its name changed", name)
            .isEqualTo(OldCatalog.MUG.toBuilder().setName(name).build());
        byte[] newerAsStored = newer.toByteArray();
        assertThat(readAsOld(OldCatalog.rename(newerAsStored, name)).getUnknownFields())
            .as("TODO 1: the fields old code does not know (5, 6, 7, 20, 1000) after it renamed a product to '%s': all"
                + " of them, as they came (see hint 1)", name).isEqualTo(readAsOld(newerAsStored).getUnknownFields());
      }
    }
  }

  @Nested
  @Order(5)
  @Tag("step2")
  @DisplayName("Step 2: the new server keeps old clients working")
  class Step2 {
    @Test
    @DisplayName("an old client calling the new server still sees a price")
    void oldClientSeesPrice() {
      var mug = OldCatalog.getProduct(toNew, "MUG-350");
      assertThat(mug.getPriceCents()).as("TODO 2: price_cents as an old client reads it from the new server; 0 is "
          + "no error, just the default of a field nobody filled (see hint 2)").isEqualTo(1299);
    }

    @Test
    @DisplayName("a new client calling the new server sees the price as Money")
    void newClientSeesMoney() {
      assertThat(newClientGets(toNew).getPrice()).as("TODO 2: price from the new server")
          .isEqualTo(NewCatalog.MUG_PRICE);
    }
  }

  @Nested
  @Order(6)
  @Tag("step3")
  @DisplayName("Step 3: the new client reads old servers too")
  class Step3 {
    @Test
    @DisplayName("from an old server: the price comes from price_cents, the weight is unknown")
    void fromOldServer() {
      Product fromOld = newClientGets(toOld);
      assertThat(NewCatalog.priceOf(fromOld)).as("TODO 3: priceOf a product from an old server, which never sets "
          + "price (hasPrice() is false) but sends price_cents (see hint 3)").isEqualTo(euros(1299));
      assertThat(NewCatalog.weightOf(fromOld)).as("TODO 3: weightOf a product from an old server: it never said, "
          + "so empty, not 0 g (see hint 3)").isEmpty();
    }

    @Test
    @DisplayName("from the new server: the price comes from Money, the weight is 350 g")
    void fromNewServer() {
      Product fromNew = newClientGets(toNew);
      assertThat(NewCatalog.priceOf(fromNew)).as("TODO 3: priceOf a product from the new server")
          .isEqualTo(euros(1299));
      assertThat(NewCatalog.weightOf(fromNew)).as("TODO 3: weightOf a product from the new server").contains(350);
    }

    @Test
    @DisplayName("a product weighed at 0 g (a gift card) weighs 0 g, not 'unknown'")
    void zeroIsAWeight() {
      Product giftCard = NEW_MUG.toBuilder().setWeightGrams(0).build();
      assertThat(NewCatalog.weightOf(giftCard)).as("TODO 3: weightOf a product whose weight_grams was SET to 0: "
          + "hasWeightGrams() tells 'sent as 0' from 'not sent', 0 itself does not (see hint 3)").contains(0);
    }

    @Test
    @DisplayName("when both price fields are sent, the new one wins")
    void newFieldWins() {
      Product both = NEW_MUG.toBuilder().setPrice(Money.newBuilder().setMinorUnits(1500).setCurrency("CHF")).build();
      assertThat(NewCatalog.priceOf(both)).as("TODO 3: priceOf with price 15.00 CHF and a stale price_cents")
          .isEqualTo(Money.newBuilder().setMinorUnits(1500).setCurrency("CHF").build());
    }

    @Test
    @DisplayName("a price sent is the price whatever its amount (0, negative, the largest) and currency (even none); price_cents alone is euro cents")
    void anyPrice() throws Exception {
      for (long units : new long[] {0, -1, 1, 1299, Long.MAX_VALUE, Long.MIN_VALUE}) {
        // "" too: a Money sent with no currency (0 and "" is Money's default instance) was still sent, and on the wire
        // it is still there (field 6, 0 bytes long); only hasPrice() tells it from a price never sent.
        for (String currency : List.of("CHF", "EUR", "JPY", "")) {
          Money price = units == 0 && currency.isEmpty() ? Money.getDefaultInstance()
              : Money.newBuilder().setMinorUnits(units).setCurrency(currency).build();
          Product built = NEW_MUG.toBuilder().setPrice(price).build();
          // as received (parsed from the wire) and as built in this process (a server, a test): presence is the same
          for (Product sent : List.of(Product.parseFrom(built.toByteArray()), built)) {
            assertThat(NewCatalog.priceOf(sent))
                .as("TODO 3: priceOf a product %s with price %d '%s' and a stale price_cents 1299: hasPrice() says it was "
                    + "sent, its amount and currency do not, nor a comparison with getPrice()'s default, by value or by"
                    + " reference (see hint 3)", sent == built ? "built here" : "received", units, currency)
                .isEqualTo(price);
          }
        }
        assertThat(NewCatalog.priceOf(Product.newBuilder().setSku("MUG-350").setPriceCents(units).build()))
            .as("TODO 3: priceOf an old server's product with price_cents %d and no price", units).isEqualTo(euros(units));
      }
    }

    @Test
    @DisplayName("a weight sent is the weight whatever its value (0, negative, the largest); none sent is empty")
    void anyWeight() {
      for (int grams : new int[] {0, -1, 1, 350, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
        assertThat(NewCatalog.weightOf(NEW_MUG.toBuilder().setWeightGrams(grams).build()))
            .as("TODO 3: weightOf a product sent with weight_grams %d (see hint 3)", grams).contains(grams);
      }
      assertThat(NewCatalog.weightOf(NEW_MUG.toBuilder().clearWeightGrams().build()))
          .as("TODO 3: weightOf a new product sent without weight_grams").isEmpty();
    }

    private Money euros(long cents) {
      return Money.newBuilder().setMinorUnits(cents).setCurrency("EUR").build();
    }
  }

  @Nested
  @Order(7)
  @Tag("step4")
  @DisplayName("Step 4: what is removed stays reserved")
  class Step4 {
    @ParameterizedTest(name = "{0}")
    @DisplayName("removals() judges each change")
    @MethodSource("ProtoEvolutionTest#removalCases")
    void removals(String change, String before, String after, List<String> expected) {
      assertFindings("TODO 4", SchemaCheck::removals, change, before, after, expected);
    }

    @Test
    @DisplayName("a reservation covers exactly its numbers: 'reserved 4 to 6' is 4, 5 and 6; 3 and 7 stay free")
    void reservedRanges() {
      for (String range : List.of("reserved 4", "reserved 4 to 6")) {
        int last = range.endsWith("6") ? 6 : 4;
        for (int n = 2; n <= 9; n++) {
          boolean covered = 4 <= n && n <= last;
          assertFindings("TODO 4", SchemaCheck::removals, "field " + n + " removed, after '" + range + "; reserved \"stock\"'",
              "string sku = 1; int32 stock = " + n, "string sku = 1; " + range + "; reserved \"stock\"",
              covered ? List.of() : List.of("REMOVED_NOT_RESERVED " + n));
          assertFindings("TODO 4", SchemaCheck::removals, "a new field " + n + ", before '" + range + "'",
              "string sku = 1; " + range, "string sku = 1; int32 stock = " + n,
              covered ? List.of("RESERVED_REUSED " + n) : List.of());
        }
      }
    }

    @Test
    @DisplayName("every reservation of a message counts, not only its first: several ranges and names, in any order")
    void everyReservationCounts() {
      // {reservations, the numbers they hold}: ranges of one number and of several, in either order, with gaps between.
      String[][] layouts = {{"reserved 2; reserved 4 to 6; reserved 9", "2 4 5 6 9"},
          {"reserved 9; reserved 4 to 6; reserved 2", "2 4 5 6 9"}, {"reserved 2 to 3; reserved 5; reserved 7 to 9", "2 3 5 7 8 9"},
          {"reserved 10; reserved 3", "3 10"}};
      for (String[] layout : layouts) {
        List<String> held = List.of(layout[1].split(" "));
        for (int n = 2; n <= 11; n++) {
          boolean covered = held.contains(String.valueOf(n));
          assertFindings("TODO 4", SchemaCheck::removals, "field " + n + " removed, after '" + layout[0] + "; reserved \"stock\"'"
              + " (every range of the message counts: isReservedNumber asks them all)",
              "string sku = 1; int32 stock = " + n, "string sku = 1; " + layout[0] + "; reserved \"stock\"",
              covered ? List.of() : List.of("REMOVED_NOT_RESERVED " + n));
          assertFindings("TODO 4", SchemaCheck::removals, "a new field " + n + ", before '" + layout[0] + "' (every range of"
              + " the message counts: isReservedNumber asks them all)", "string sku = 1; " + layout[0],
              "string sku = 1; int32 stock = " + n, covered ? List.of("RESERVED_REUSED " + n) : List.of());
        }
      }
      for (String names : List.of("reserved \"colour\"; reserved \"stock\"", "reserved \"stock\"; reserved \"colour\"",
          "reserved \"colour\"; reserved \"size\"; reserved \"stock\"")) {
        assertFindings("TODO 4", SchemaCheck::removals, "field 4 'stock' removed, after 'reserved 4; " + names + "' (every"
            + " reserved name counts: isReservedName asks them all)", "string sku = 1; int32 stock = 4",
            "string sku = 1; reserved 4; " + names, List.of());
        assertFindings("TODO 4", SchemaCheck::removals, "a new field 12 'stock', before '" + names + "'", "string sku = 1; "
            + names, "string sku = 1; int32 stock = 12", List.of("RESERVED_REUSED 12"));
      }
    }

    @Test
    @DisplayName("a field of every shape (plain, optional, repeated, message, oneof member) and name removed is judged by its reservations alone")
    void everyShapeRemoved() {
      // A reservation holds a name as the .proto spells it: 'shelf_colour', never its JSON name 'shelfColour'.
      for (String name : List.of("colour", "shelf_colour")) {
        for (String shape : List.of("string %s = 4", "bytes %s = 4", "optional int32 %s = 4", "repeated string %s = 4",
            "Money %s = 4", "oneof look: string %s = 4")) {
          String field = String.format(shape, name), json = name.equals("colour") ? "colour" : "shelfColour";
          String otherCase = Character.toUpperCase(name.charAt(0)) + name.substring(1); // names are case-sensitive
          for (String reserved : List.of("", "; reserved 4", "; reserved \"" + name + "\"", "; reserved 4; reserved \"" + name
              + "\"", "; reserved 4; reserved \"" + json + "\"", "; reserved 4; reserved \"" + otherCase + "\"")) {
            String change = "'" + field + "' removed" + (reserved.isEmpty() ? ", nothing reserved" : ", then" + reserved);
            assertFindings("TODO 4", SchemaCheck::removals, change,
                "string sku = 1; " + field, "string sku = 1" + reserved,
                reserved.contains("4") && reserved.contains("\"" + name + "\"") ? List.of() : List.of("REMOVED_NOT_RESERVED 4"));
          }
        }
      }
    }

    @Test
    @DisplayName("a reserved name or number taken back is flagged once, by a new field or a kept one renamed, whatever its spelling")
    void everyReuse() {
      for (String name : List.of("colour", "shelf_colour")) {
        String was = "string sku = 1; string title = 2; reserved 4; reserved \"" + name + "\"";
        assertFindings("TODO 4", SchemaCheck::removals, "a new field 7 takes the reserved name '" + name + "'",
            was, "string sku = 1; string title = 2; reserved 4; string " + name + " = 7", List.of("RESERVED_REUSED 7"));
        assertFindings("TODO 4", SchemaCheck::removals, "field 2 (kept) is renamed to the reserved name '" + name + "'",
            was, "string sku = 1; string " + name + " = 2; reserved 4", List.of("RESERVED_REUSED 2"));
        assertFindings("TODO 4", SchemaCheck::removals, "one new field takes back both the reserved number 4 and name '"
            + name + "': one change, one finding", was, "string sku = 1; string title = 2; string " + name + " = 4",
            List.of("RESERVED_REUSED 4"));
        String otherCase = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        assertFindings("TODO 4", SchemaCheck::removals, "a new field 7 named '" + otherCase + "', not the reserved '" + name
            + "': names are case-sensitive, so it takes nothing reserved", was,
            "string sku = 1; string title = 2; reserved 4; reserved \"" + name + "\"; string " + otherCase + " = 7", List.of());
        assertFindings("TODO 4", SchemaCheck::removals, "a new field 4 takes the reserved number, under another name",
            was, "string sku = 1; string title = 2; int32 stock = 4; reserved \"" + name + "\"", List.of("RESERVED_REUSED 4"));
      }
    }

    @Test
    @DisplayName("catalog_old.proto -> catalog.proto: colour removed with its number and name reserved")
    void realContract() {
      assertThat(SchemaCheck.removals(CatalogOldProto.getDescriptor().findMessageTypeByName("Product"),
          CatalogProto.getDescriptor().findMessageTypeByName("Product")))
          .as("TODO 4: removals() for the lab's two .proto files: colour (4) is gone, and catalog.proto reserves "
              + "both 4 and \"colour\" (see hint 4)").isEmpty();
    }
  }

  @Nested
  @Order(8)
  @Tag("step5")
  @DisplayName("Step 5: a number keeps its name and its type")
  class Step5 {
    @ParameterizedTest(name = "{0}")
    @DisplayName("changes() judges each change")
    @MethodSource("ProtoEvolutionTest#changeCases")
    void changes(String change, String before, String after, List<String> expected) {
      assertFindings("TODO 5", SchemaCheck::changes, change, before, after, expected);
    }

    @ParameterizedTest(name = "{0}, the other way round")
    @DisplayName("changes() judges each change the same the other way round: a number's meaning is one, read by old or new")
    @MethodSource("ProtoEvolutionTest#changeCases")
    void changesReversed(String change, String before, String after, List<String> expected) {
      assertFindings("TODO 5", SchemaCheck::changes, change + ", the other way round (new version first)", after, before, expected);
    }

    @Test
    @DisplayName("catalog_old.proto -> catalog.proto, this lab's real change, breaks nothing")
    void realContract() {
      assertThat(SchemaCheck.check(CatalogOldProto.getDescriptor(), CatalogProto.getDescriptor()))
          .as("TODO 5: findings for the lab's two .proto files (added 5 and 6, reserved 4, kept 3)").isEmpty();
    }

    @Test
    @DisplayName("the package is left out: the same contract in another package (as this lab's two files) changes no field's type")
    void packageLeftOut() {
      String same = "string sku = 1; Money price = 6; Status state = 10; Dimensions size = 7; in Dimensions: int32 width_mm = 1;"
          + " in Dimensions: Colour colour = 2; repeated Money history = 8";
      for (String[] pkgs : new String[][] {{"lab07.v1", "lab07.v2"}, {"lab07", "shop.catalog.v2"}}) {
        List<SchemaCheck.Finding> findings = SchemaCheck.compare(productIn(pkgs[0], same), productIn(pkgs[1], same));
        assertThat(findings.stream().map(f -> f.rule() + " " + f.number()).toList()).as("TODO 5: findings for one message"
            + " kept as it was, its package renamed from %s to %s%n  message: %s%n  findings: %s%nexpected none: the checker"
            + " leaves the package out, as catalog_old.proto and catalog.proto must differ in theirs; a message or enum type"
            + " is named within its package (typeOf is given code: keep it; compare typeOf, never the descriptors' full"
            + " names) (see hint 5)", pkgs[0], pkgs[1], same, findings).isEmpty();
      }
      assertThat(SchemaCheck.changes(productIn("lab07.v1", "Money price = 6; Status state = 10"),
          productIn("lab07.v2", "Money price = 6; in Money: int64 minor_units = 1; Status state = 10; enum Status"))
          .stream().map(f -> f.rule() + " " + f.number()).toList()).as("TODO 5: changes() when a package is renamed AND"
          + " price (6) and state (10) now use a nested Money and a nested Status: the package is left out, the nesting"
          + " is not (see hint 5)").containsExactlyInAnyOrder("TYPE_CHANGED 6", "TYPE_CHANGED 10");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("compare() looks inside nested messages too")
    @MethodSource("ProtoEvolutionTest#nestedCases")
    void nested(String change, String before, String after, List<String> expected) {
      assertFindings("TODO 5", SchemaCheck::compare, change, before, after, expected);
    }

    @Test
    @DisplayName("each change is reported on its own: name, type or JSON name, and a oneof move, in every combination")
    void everyCombination() {
      // {before, after, finding}: what happens to field 3 itself...
      String[][] identities = {
          {"string email = 3", "string email = 3", null},
          {"string email = 3", "string mail = 3", "RENAMED 3"},
          {"string e_mail = 3", "string eMail = 3", "RENAMED 3"}, // the same JSON name 'eMail', another name
          {"string email = 3", "string Email = 3", "RENAMED 3"},   // names are case-sensitive
          {"string email = 3", "bytes email = 3", "TYPE_CHANGED 3"},
          {"int32 email = 3", "uint32 email = 3", "TYPE_CHANGED 3"}, // the bytes parse; -1 reads as 4294967295
          {"string email = 3", "bytes mail = 3", "NUMBER_REUSED 3"},
          {"string email = 3", "string email = 3 [json_name = \"mail\"]", "JSON_NAME_CHANGED 3"},
          {"string email = 3 [json_name = \"mail\"]", "string email = 3 [json_name = \"Mail\"]", "JSON_NAME_CHANGED 3"}};
      // ...and to its oneof: {before, after}
      String[][] oneofs = {{"", ""}, {"", "oneof contact: "}, {"oneof contact: ", ""}, {"oneof contact: ", "oneof reach: "},
          {"oneof contact: ", "oneof contact: "}};
      for (String[] identity : identities) {
        for (String[] oneof : oneofs) {
          List<String> expected = new java.util.ArrayList<>();
          if (identity[2] != null) expected.add(identity[2]);
          if (!oneof[0].equals(oneof[1])) expected.add("ONEOF_CHANGED 3");
          assertFindings("TODO 5", SchemaCheck::changes, "field 3 changed and its oneof too",
              "string sku = 1; " + oneof[0] + identity[0], "string sku = 1; " + oneof[1] + identity[1], expected);
        }
      }
    }

    @Test
    @DisplayName("compare() flags a reservation lifted once per range, by its first number set free, and not where a field takes it")
    void liftedRanges() {
      String[][] cases = { // {before, after, findings}
          {"reserved 4 to 6", "", "RESERVATION_LIFTED 4"},
          {"reserved 4 to 6", "reserved 4", "RESERVATION_LIFTED 5"},
          {"reserved 4 to 6", "reserved 4; reserved 6", "RESERVATION_LIFTED 5"},
          {"reserved 4 to 6", "reserved 5 to 6", "RESERVATION_LIFTED 4"},
          {"reserved 4 to 6", "reserved 4 to 5", "RESERVATION_LIFTED 6"},
          {"reserved 4 to 6", "reserved 4 to 6", ""},
          {"reserved 4 to 6", "reserved 3 to 9", ""},
          {"reserved 4 to 6", "reserved 4 to 5; int32 stock = 6", "RESERVED_REUSED 6"},
          {"reserved 4; reserved 6", "", "RESERVATION_LIFTED 4, RESERVATION_LIFTED 6"},
          {"reserved \"colour\"; reserved \"shelf_colour\"", "reserved \"colour\"", "RESERVATION_LIFTED 0"},
          // A name taken back by a field is a reuse, not a reservation lifted as well: one change, one finding.
          {"reserved \"colour\"", "string colour = 7", "RESERVED_REUSED 7"},
          {"reserved \"colour\"; reserved \"size\"", "string colour = 7", "RESERVED_REUSED 7, RESERVATION_LIFTED 0"},
          {"reserved 4; reserved \"colour\"", "string colour = 4", "RESERVED_REUSED 4"},
          {"reserved 4; reserved \"colour\"", "reserved 4; string colour = 7", "RESERVED_REUSED 7"}};
      for (String[] c : cases) {
        assertFindings("TODO 5", SchemaCheck::compare, "'" + c[0] + "' became '" + c[1] + "': compare() runs your checks and"
            + " the given lifted(), which reports a range set free once, by its first free number (buf does the same),"
            + " and a number or a name a field takes back not at all (removals() reports that reuse); if you changed"
            + " lifted(), put it back", "string sku = 1; " + c[0],
            "string sku = 1" + (c[1].isEmpty() ? "" : "; " + c[1]), c[2].isEmpty() ? List.of() : List.of(c[2].split(", ")));
      }
    }

    @Test
    @DisplayName("every type change is TYPE_CHANGED, both ways: every pair of the 15 scalar types, an enum and a message, plain, optional or repeated")
    void everyTypeChange() {
      List<String> types = List.of("double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
          "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes", "Status", "Colour", "Money", "Dimensions");
      List<String> labels = List.of("", "optional ", "repeated ");
      List<String[]> fields = new java.util.ArrayList<>(); // {label, type}
      List<Descriptor> versions = new java.util.ArrayList<>();
      for (String type : types) {
        for (String label : labels) {
          fields.add(new String[] {label, type});
          versions.add(product(label + type + " v = 3; in Dimensions: int32 width_mm = 1"));
        }
      }
      List<String> wrong = new java.util.ArrayList<>();
      for (int a = 0; a < fields.size(); a++) {
        for (int b = 0; b < fields.size(); b++) {
          String[] from = fields.get(a), to = fields.get(b);
          boolean message = from[1].equals(to[1]) && (from[1].equals("Money") || from[1].equals("Dimensions"));
          // A message field has presence anyway: `optional` changes nothing there. Any other difference is a type change.
          boolean same = from[1].equals(to[1]) && (from[0].equals(to[0]) || message && !from[0].equals("repeated ")
              && !to[0].equals("repeated "));
          List<String> expected = same ? List.of() : List.of("TYPE_CHANGED 3");
          List<String> found = SchemaCheck.changes(versions.get(a), versions.get(b)).stream().map(f -> f.rule() + " " + f.number())
              .toList();
          if (!found.equals(expected)) wrong.add(from[0] + from[1] + " -> " + to[0] + to[1] + ": " + found);
        }
      }
      assertThat(wrong)
          .as("TODO 5: field 3 'v' kept its name and changed its type or label: every such change is TYPE_CHANGED, both"
              + " ways, even where the bytes still parse (fixed32 and sfixed32, sint32 and sint64, bool and a varint, a"
              + " message and bytes: JSON and generated code change, a -1 or a 2 reads otherwise), and nothing else; only"
              + " `optional` on a message field changes nothing. Compare typeOf(old) with typeOf(now), nothing less (see"
              + " hint 5). Pairs judged otherwise (of %d)", fields.size() * fields.size())
          .isEmpty();
    }

    @Test
    @DisplayName("a careless version of it is flagged three times")
    void carelessContract() {
      assertFindings("TODO 5", SchemaCheck::compare, "rename 2, retype 3, reuse 4",
          "string sku = 1; string name = 2; int64 price_cents = 3; string colour = 4",
          "string sku = 1; string title = 2; string price_cents = 3; int32 weight_grams = 4",
          List.of("RENAMED 2", "TYPE_CHANGED 3", "NUMBER_REUSED 4"));
    }
  }

  static Stream<Arguments> removalCases() {
    return Stream.of(
        safe("adding a field is safe", "string sku = 1", "string sku = 1; optional int32 weight_grams = 5"),
        safe("removing a field, reserving its number and name, is safe",
            "string sku = 1; string colour = 4", "string sku = 1; reserved 4; reserved \"colour\""),
        safe("reserving a number never used is safe", "string sku = 1", "string sku = 1; reserved 9"),
        flagged("removing a field and reserving nothing", "string sku = 1; string colour = 4", "string sku = 1",
            "REMOVED_NOT_RESERVED 4"),
        flagged("reserving the number but not the name", "string sku = 1; string colour = 4",
            "string sku = 1; reserved 4", "REMOVED_NOT_RESERVED 4"),
        flagged("reserving the name but not the number", "string sku = 1; string colour = 4",
            "string sku = 1; reserved \"colour\"", "REMOVED_NOT_RESERVED 4"),
        flagged("renumbering a field to tidy up (2 becomes 7)", "string sku = 1; string name = 2",
            "string sku = 1; string name = 7", "REMOVED_NOT_RESERVED 2"),
        flagged("renumbering a field and reserving its old number: its name moved with it, so the name is not reserved",
            "string sku = 1; string colour = 4", "string sku = 1; reserved 4; string colour = 7", "REMOVED_NOT_RESERVED 4"),
        flagged("dropping a reservation to reuse its number", "string sku = 1; reserved 4; reserved \"colour\"",
            "string sku = 1; int32 weight_grams = 4; reserved \"colour\"", "RESERVED_REUSED 4"),
        flagged("giving a reserved name to a new field", "string sku = 1; reserved 4; reserved \"colour\"",
            "string sku = 1; reserved 4; string colour = 7", "RESERVED_REUSED 7"),
        flagged("giving a reserved number to a new field of another name", "string sku = 1; reserved 4; reserved \"colour\"",
            "string sku = 1; string material = 4; reserved \"colour\"", "RESERVED_REUSED 4"),
        safe("removing a member of a oneof, reserving its number and name, is safe",
            "oneof contact: string email = 3; oneof contact: string phone = 4",
            "oneof contact: string email = 3; reserved 4; reserved \"phone\""),
        flagged("removing a member of a oneof and reserving nothing", "oneof contact: string email = 3; oneof contact: string phone = 4",
            "oneof contact: string email = 3", "REMOVED_NOT_RESERVED 4"));
  }

  static Stream<Arguments> changeCases() {
    return Stream.of(
        safe("adding fields is safe", "string sku = 1",
            "string sku = 1; optional int32 weight_grams = 5; Money price = 6"),
        safe("moving a line is safe: numbers count, not order", "string sku = 1; string name = 2",
            "string name = 2; string sku = 1"),
        safe("a removed field is left to removals()", "string sku = 1; string colour = 4", "string sku = 1"),
        flagged("reusing a removed field's number for a new field", "string sku = 1; string colour = 4",
            "string sku = 1; int32 weight_grams = 4", "NUMBER_REUSED 4"),
        flagged("changing a type: int64 to string", "int64 price_cents = 3", "string price_cents = 3",
            "TYPE_CHANGED 3"),
        flagged("widening a type: int32 to int64", "int32 weight_grams = 5", "int64 weight_grams = 5",
            "TYPE_CHANGED 5"),
        flagged("a single value becoming repeated", "string tag = 8", "repeated string tag = 8", "TYPE_CHANGED 8"),
        flagged("a field becoming optional", "int32 weight_grams = 5", "optional int32 weight_grams = 5",
            "TYPE_CHANGED 5"),
        flagged("a Money field becoming a number", "Money price = 6", "int64 price = 6", "TYPE_CHANGED 6"),
        flagged("renaming a field", "string sku = 1; string name = 2", "string sku = 1; string title = 2",
            "RENAMED 2"),
        flagged("int32 to sint32: the same int in Java, another encoding on the wire", "int32 stock = 9", "sint32 stock = 9",
            "TYPE_CHANGED 9"),
        flagged("a field of message type Money becoming another message", "Money price = 6; in Price: int64 cents = 1",
            "Price price = 6; in Price: int64 cents = 1", "TYPE_CHANGED 6"),
        flagged("a Money field becoming a nested message of the same shape, also named Money", "Money price = 6",
            "Money price = 6; in Money: int64 minor_units = 1; in Money: string currency = 2", "TYPE_CHANGED 6"),
        safe("a message field gaining `optional` is safe: it has presence anyway", "Money price = 6", "optional Money price = 6"),
        // An enum is a named type too: its values travel as numbers, which another enum names otherwise (buf: FIELD_SAME_TYPE).
        flagged("an enum field swapped for another enum (Status to Colour): the same numbers, other meanings",
            "Status state = 10", "Colour state = 10", "TYPE_CHANGED 10"),
        flagged("an enum field becoming a nested enum of the same shape, also named Status", "Status state = 10",
            "Status state = 10; enum Status", "TYPE_CHANGED 10"),
        flagged("an enum field becoming int32: the bytes parse, JSON's names do not", "Status state = 10", "int32 state = 10",
            "TYPE_CHANGED 10"),
        safe("an enum field kept as it was is safe", "Status state = 10", "Status state = 10; string sku = 1"),
        flagged("int32 to uint32: the bytes parse, but -1 reads as 4294967295", "int32 stock = 9", "uint32 stock = 9",
            "TYPE_CHANGED 9"),
        flagged("changing a field's JSON name: JSON readers look for 'name'", "string name = 2",
            "string name = 2 [json_name = \"title\"]", "JSON_NAME_CHANGED 2"),
        flagged("dropping a json_name: the JSON name is 'name' again, old JSON says 'title'",
            "string name = 2 [json_name = \"title\"]", "string name = 2", "JSON_NAME_CHANGED 2"),
        flagged("a json_name changing only its case: JSON names are case-sensitive, old JSON says 'title'",
            "string name = 2 [json_name = \"title\"]", "string name = 2 [json_name = \"Title\"]", "JSON_NAME_CHANGED 2"),
        flagged("spelling out the JSON name in another case: old JSON says 'priceCents'", "string price_cents = 3",
            "string price_cents = 3 [json_name = \"PriceCents\"]", "JSON_NAME_CHANGED 3"),
        safe("spelling out the JSON name a field already had is safe", "string price_cents = 3",
            "string price_cents = 3 [json_name = \"priceCents\"]"),
        flagged("moving a field into a oneof", "string email = 3", "oneof contact: string email = 3", "ONEOF_CHANGED 3"),
        flagged("moving a field out of a oneof", "oneof contact: string email = 3; oneof contact: string phone = 4",
            "string email = 3; oneof contact: string phone = 4", "ONEOF_CHANGED 3"),
        flagged("moving a field to another oneof", "oneof contact: string email = 3", "oneof reach: string email = 3",
            "ONEOF_CHANGED 3"),
        safe("a field staying in its oneof is safe", "oneof contact: string email = 3",
            "oneof contact: string email = 3; string sku = 1"),
        safe("adding a member to a oneof is safe", "oneof contact: string email = 3",
            "oneof contact: string email = 3; oneof contact: string phone = 4"),
        safe("declaring a new oneof before a field's own is safe: a oneof is known by its name, not its place",
            "oneof contact: string email = 3", "oneof reach: string phone = 4; oneof contact: string email = 3"),
        flagged("moving a field to a oneof in another place, of another name",
            "oneof contact: string email = 3; oneof reach: string phone = 4",
            "oneof reach: string phone = 4; oneof reach2: string email = 3", "ONEOF_CHANGED 3"));
  }

  static Stream<Arguments> nestedCases() {
    return Stream.of(
        flagged("a type change inside a nested message", "Dimensions size = 7; in Dimensions: int32 width_mm = 1",
            "Dimensions size = 7; in Dimensions: int64 width_mm = 1", "TYPE_CHANGED 1"),
        flagged("a field removed from a nested message, nothing reserved",
            "Dimensions size = 7; in Dimensions: int32 width_mm = 1; in Dimensions: int32 depth_mm = 2",
            "Dimensions size = 7; in Dimensions: int32 width_mm = 1", "REMOVED_NOT_RESERVED 2"),
        safe("a field added to a nested message is safe", "Dimensions size = 7; in Dimensions: int32 width_mm = 1",
            "Dimensions size = 7; in Dimensions: int32 width_mm = 1; in Dimensions: int32 depth_mm = 2"));
  }

  static Arguments safe(String change, String before, String after) {
    return Arguments.of(change, before, after, List.of());
  }

  static Arguments flagged(String change, String before, String after, String... expected) {
    return Arguments.of(change, before, after, List.of(expected));
  }

  /** Runs one part of the checker on two versions written as .proto lines, and compares "RULE number"s. */
  static void assertFindings(String todo, BiFunction<Descriptor, Descriptor, List<SchemaCheck.Finding>> check,
      String change, String before, String after, List<String> expected) {
    List<SchemaCheck.Finding> findings = check.apply(product(before), product(after));
    assertThat(findings.stream().map(f -> f.rule() + " " + f.number()).toList())
        .as("%s: %s%n  before: %s%n  after:  %s%n  findings: %s (see hint %s)", todo, change, before, after,
            findings, todo.substring(5))
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  static Descriptor product(String lines) {
    return Schemas.product(Arrays.stream(lines.split(";")).map(String::strip).toArray(String[]::new));
  }

  static Descriptor productIn(String pkg, String lines) {
    return Schemas.productIn(pkg, Arrays.stream(lines.split(";")).map(String::strip).toArray(String[]::new));
  }
}
