import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.util.concurrent.TimeUnit;
import workbook.grpc.catalogold.Product;
import workbook.grpc.catalogold.ProductRequest;

/**
 * Code built from the OLD contract (catalog_old.proto), still running while the new one ships: a
 * client, a server, and a job that edits stored products. It has never heard of weights or Money.
 */
final class OldCatalog {
  /**
   * The old stub's one method, as protoc-gen-grpc-java writes it in CatalogGrpc: a path and two
   * marshallers. The path names package, service and method; it and the bytes are all that go on
   * the wire, so this old stub calls the very method the new server serves.
   */
  static final MethodDescriptor<ProductRequest, Product> GET_PRODUCT =
      MethodDescriptor.<ProductRequest, Product>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("workbook.catalog.v1.Catalog", "GetProduct"))
          .setRequestMarshaller(ProtoUtils.marshaller(ProductRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Product.getDefaultInstance()))
          .build();

  /** The one product the old server knows, as the old contract describes it. */
  static final Product MUG = Product.newBuilder()
      .setSku("MUG-350").setName("Enamel mug").setPriceCents(1299).setColour("blue").build();

  private OldCatalog() {}

  /** The old client: GetProduct with a deadline, as the old stub does it. */
  static Product getProduct(Channel channel, String sku) {
    return ClientCalls.blockingUnaryCall(channel, GET_PRODUCT,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), ProductRequest.newBuilder().setSku(sku).build());
  }

  /** The old server: answers MUG for its sku, NOT_FOUND for any other. */
  static BindableService server() {
    return () -> ServerServiceDefinition.builder("workbook.catalog.v1.Catalog")
        .addMethod(GET_PRODUCT, ServerCalls.asyncUnaryCall((request, reply) -> {
          if (!request.getSku().equals(MUG.getSku())) {
            reply.onError(Status.NOT_FOUND.withDescription("no product " + request.getSku()).asRuntimeException());
            return;
          }
          reply.onNext(MUG);
          reply.onCompleted();
        }))
        .build();
  }

  /** An old admin job: renames a product stored as bytes (perhaps by newer code) and stores it back. */
  static byte[] rename(byte[] stored, String newName) throws InvalidProtocolBufferException {
    Product product = Product.parseFrom(stored);
    // TODO 1: return the bytes of the same product with only its name changed, keeping the fields
    // this old code does not know.
    throw new UnsupportedOperationException("TODO 1: rename the product and keep what you do not know (see hint 1)");
  }
}
