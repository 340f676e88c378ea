///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES OldCatalog.java NewCatalog.java SchemaCheck.java Schemas.java ../../shared/src/workbook/demo/*.java

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.TextFormat;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import workbook.demo.Stages;
import workbook.grpc.LocalGrpc;
import workbook.grpc.catalog.CatalogGrpc;
import workbook.grpc.catalog.CatalogProto;
import workbook.grpc.catalog.Product;
import workbook.grpc.catalog.ProductRequest;
import workbook.grpc.catalogold.CatalogOldProto;

/**
 * Lab 07: one contract at two moments. New bytes meet old code, old and new stubs call each other
 * over gRPC, and a checker tells a safe change from a breaking one.
 */
@SuppressWarnings("deprecation") // price_cents is deprecated on purpose: old clients still read it
public class ProtoEvolution {
  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab07@.   (no arguments: it prints what each side sees, then exits)");
      System.exit(2);
    }
    System.out.println("Lab 07: evolving a .proto (catalog_old.proto -> catalog.proto)\n");
    part("1. New code writes a product, old code reads it", ProtoEvolution::oldReadsNew);
    part("2. An old job renames that product, new code reads it back", ProtoEvolution::oldJobRewrites);
    part("3. Old and new stubs call each other over gRPC", ProtoEvolution::stubsTalk);
    part("4. The checker", ProtoEvolution::checker);
  }

  private static void oldReadsNew() throws Exception {
    byte[] bytes = NewCatalog.mug().toByteArray();
    System.out.println("   new code sends " + bytes.length + " bytes: " + line(NewCatalog.mug()));
    workbook.grpc.catalogold.Product old = workbook.grpc.catalogold.Product.parseFrom(bytes);
    System.out.println("   old code reads: " + line(old));
    System.out.println("   (fields 5 and 6 are unknown to it: skipped, yet kept, and written back on toByteArray)");
  }

  private static void oldJobRewrites() throws Exception {
    byte[] renamed = OldCatalog.rename(NewCatalog.mug().toByteArray(), "Blue enamel mug");
    System.out.println("   new code reads: " + line(Product.parseFrom(renamed)));
  }

  private static void stubsTalk() throws Exception {
    Server newServer = LocalGrpc.serve(0, new NewCatalog.Server()), oldServer = LocalGrpc.serve(0, OldCatalog.server());
    ManagedChannel toNew = LocalGrpc.channel(newServer.getPort()), toOld = LocalGrpc.channel(oldServer.getPort());
    try {
      System.out.println("   both sides call " + CatalogGrpc.getGetProductMethod().getFullMethodName());
      System.out.println("   old client <- new server: " + line(OldCatalog.getProduct(toNew, "MUG-350")));
      Product fromOld = CatalogGrpc.newBlockingStub(toOld)
          .getProduct(ProductRequest.newBuilder().setSku("MUG-350").build());
      System.out.println("   new client <- old server: " + line(fromOld));
      System.out.println("   new client makes of it: price " + line(NewCatalog.priceOf(fromOld))
          + ", weight " + NewCatalog.weightOf(fromOld).map(g -> g + " g").orElse("unknown"));
    } finally {
      LocalGrpc.close(toNew);
      LocalGrpc.close(toOld);
      LocalGrpc.stop(newServer);
      LocalGrpc.stop(oldServer);
    }
  }

  private static void checker() {
    var real = SchemaCheck.check(CatalogOldProto.getDescriptor(), CatalogProto.getDescriptor());
    System.out.println("   catalog_old.proto -> catalog.proto: " + (real.isEmpty() ? "no breaking change" : real));
    Descriptor before = Schemas.product("string sku = 1", "string name = 2", "int64 price_cents = 3",
        "string colour = 4");
    Descriptor careless = Schemas.product("string sku = 1", "string title = 2", "string price_cents = 3",
        "int32 weight_grams = 4");
    System.out.println("   a careless change of the old contract (rename 2, retype 3, reuse 4):");
    SchemaCheck.compare(before, careless).forEach(f -> System.out.println("     " + f));
  }

  /** One part of the demo, then a blank line; a part stopped at a TODO says so and the next one runs. */
  private static void part(String title, Stages.Part part) throws Exception {
    Stages.run(title, part);
    System.out.println();
  }

  /** A message on one line, unknown fields shown by number, as protobuf's text format prints them. */
  private static String line(com.google.protobuf.MessageOrBuilder message) {
    return TextFormat.printer().emittingSingleLine(true).printToString(message).strip();
  }
}
