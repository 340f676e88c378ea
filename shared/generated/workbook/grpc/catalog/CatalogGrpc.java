package workbook.grpc.catalog;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class CatalogGrpc {

  private CatalogGrpc() {}

  public static final java.lang.String SERVICE_NAME = "workbook.catalog.v1.Catalog";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<workbook.grpc.catalog.ProductRequest,
      workbook.grpc.catalog.Product> getGetProductMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetProduct",
      requestType = workbook.grpc.catalog.ProductRequest.class,
      responseType = workbook.grpc.catalog.Product.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<workbook.grpc.catalog.ProductRequest,
      workbook.grpc.catalog.Product> getGetProductMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.catalog.ProductRequest, workbook.grpc.catalog.Product> getGetProductMethod;
    if ((getGetProductMethod = CatalogGrpc.getGetProductMethod) == null) {
      synchronized (CatalogGrpc.class) {
        if ((getGetProductMethod = CatalogGrpc.getGetProductMethod) == null) {
          CatalogGrpc.getGetProductMethod = getGetProductMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.catalog.ProductRequest, workbook.grpc.catalog.Product>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetProduct"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.catalog.ProductRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.catalog.Product.getDefaultInstance()))
              .setSchemaDescriptor(new CatalogMethodDescriptorSupplier("GetProduct"))
              .build();
        }
      }
    }
    return getGetProductMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static CatalogStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CatalogStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CatalogStub>() {
        @java.lang.Override
        public CatalogStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CatalogStub(channel, callOptions);
        }
      };
    return CatalogStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static CatalogBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CatalogBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CatalogBlockingV2Stub>() {
        @java.lang.Override
        public CatalogBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CatalogBlockingV2Stub(channel, callOptions);
        }
      };
    return CatalogBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static CatalogBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CatalogBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CatalogBlockingStub>() {
        @java.lang.Override
        public CatalogBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CatalogBlockingStub(channel, callOptions);
        }
      };
    return CatalogBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static CatalogFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CatalogFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CatalogFutureStub>() {
        @java.lang.Override
        public CatalogFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CatalogFutureStub(channel, callOptions);
        }
      };
    return CatalogFutureStub.newStub(factory, channel);
  }

  /**
   */
  public interface AsyncService {

    /**
     */
    default void getProduct(workbook.grpc.catalog.ProductRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.catalog.Product> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetProductMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service Catalog.
   */
  public static abstract class CatalogImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return CatalogGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service Catalog.
   */
  public static final class CatalogStub
      extends io.grpc.stub.AbstractAsyncStub<CatalogStub> {
    private CatalogStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CatalogStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CatalogStub(channel, callOptions);
    }

    /**
     */
    public void getProduct(workbook.grpc.catalog.ProductRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.catalog.Product> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetProductMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service Catalog.
   */
  public static final class CatalogBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<CatalogBlockingV2Stub> {
    private CatalogBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CatalogBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CatalogBlockingV2Stub(channel, callOptions);
    }

    /**
     */
    public workbook.grpc.catalog.Product getProduct(workbook.grpc.catalog.ProductRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetProductMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service Catalog.
   */
  public static final class CatalogBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<CatalogBlockingStub> {
    private CatalogBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CatalogBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CatalogBlockingStub(channel, callOptions);
    }

    /**
     */
    public workbook.grpc.catalog.Product getProduct(workbook.grpc.catalog.ProductRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetProductMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service Catalog.
   */
  public static final class CatalogFutureStub
      extends io.grpc.stub.AbstractFutureStub<CatalogFutureStub> {
    private CatalogFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CatalogFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CatalogFutureStub(channel, callOptions);
    }

    /**
     */
    public com.google.common.util.concurrent.ListenableFuture<workbook.grpc.catalog.Product> getProduct(
        workbook.grpc.catalog.ProductRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetProductMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GET_PRODUCT = 0;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_GET_PRODUCT:
          serviceImpl.getProduct((workbook.grpc.catalog.ProductRequest) request,
              (io.grpc.stub.StreamObserver<workbook.grpc.catalog.Product>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getGetProductMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              workbook.grpc.catalog.ProductRequest,
              workbook.grpc.catalog.Product>(
                service, METHODID_GET_PRODUCT)))
        .build();
  }

  private static abstract class CatalogBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    CatalogBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return workbook.grpc.catalog.CatalogProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Catalog");
    }
  }

  private static final class CatalogFileDescriptorSupplier
      extends CatalogBaseDescriptorSupplier {
    CatalogFileDescriptorSupplier() {}
  }

  private static final class CatalogMethodDescriptorSupplier
      extends CatalogBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    CatalogMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (CatalogGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new CatalogFileDescriptorSupplier())
              .addMethod(getGetProductMethod())
              .build();
        }
      }
    }
    return result;
  }
}
