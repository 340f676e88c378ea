package workbook.grpc.orders;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class OrdersGrpc {

  private OrdersGrpc() {}

  public static final java.lang.String SERVICE_NAME = "orders.v1.Orders";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<workbook.grpc.orders.PlaceOrderRequest,
      workbook.grpc.orders.PlaceOrderReply> getPlaceOrderMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "PlaceOrder",
      requestType = workbook.grpc.orders.PlaceOrderRequest.class,
      responseType = workbook.grpc.orders.PlaceOrderReply.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<workbook.grpc.orders.PlaceOrderRequest,
      workbook.grpc.orders.PlaceOrderReply> getPlaceOrderMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.orders.PlaceOrderRequest, workbook.grpc.orders.PlaceOrderReply> getPlaceOrderMethod;
    if ((getPlaceOrderMethod = OrdersGrpc.getPlaceOrderMethod) == null) {
      synchronized (OrdersGrpc.class) {
        if ((getPlaceOrderMethod = OrdersGrpc.getPlaceOrderMethod) == null) {
          OrdersGrpc.getPlaceOrderMethod = getPlaceOrderMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.orders.PlaceOrderRequest, workbook.grpc.orders.PlaceOrderReply>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "PlaceOrder"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.orders.PlaceOrderRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.orders.PlaceOrderReply.getDefaultInstance()))
              .setSchemaDescriptor(new OrdersMethodDescriptorSupplier("PlaceOrder"))
              .build();
        }
      }
    }
    return getPlaceOrderMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static OrdersStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OrdersStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OrdersStub>() {
        @java.lang.Override
        public OrdersStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OrdersStub(channel, callOptions);
        }
      };
    return OrdersStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static OrdersBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OrdersBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OrdersBlockingV2Stub>() {
        @java.lang.Override
        public OrdersBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OrdersBlockingV2Stub(channel, callOptions);
        }
      };
    return OrdersBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static OrdersBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OrdersBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OrdersBlockingStub>() {
        @java.lang.Override
        public OrdersBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OrdersBlockingStub(channel, callOptions);
        }
      };
    return OrdersBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static OrdersFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OrdersFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OrdersFutureStub>() {
        @java.lang.Override
        public OrdersFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OrdersFutureStub(channel, callOptions);
        }
      };
    return OrdersFutureStub.newStub(factory, channel);
  }

  /**
   */
  public interface AsyncService {

    /**
     * <pre>
     * Stores an order for one product. Fails with INVALID_ARGUMENT for a quantity below 1,
     * NOT_FOUND for an unknown product, and UNAVAILABLE when the order could not be stored.
     * </pre>
     */
    default void placeOrder(workbook.grpc.orders.PlaceOrderRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.orders.PlaceOrderReply> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getPlaceOrderMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service Orders.
   */
  public static abstract class OrdersImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return OrdersGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service Orders.
   */
  public static final class OrdersStub
      extends io.grpc.stub.AbstractAsyncStub<OrdersStub> {
    private OrdersStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OrdersStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OrdersStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores an order for one product. Fails with INVALID_ARGUMENT for a quantity below 1,
     * NOT_FOUND for an unknown product, and UNAVAILABLE when the order could not be stored.
     * </pre>
     */
    public void placeOrder(workbook.grpc.orders.PlaceOrderRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.orders.PlaceOrderReply> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getPlaceOrderMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service Orders.
   */
  public static final class OrdersBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<OrdersBlockingV2Stub> {
    private OrdersBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OrdersBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OrdersBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores an order for one product. Fails with INVALID_ARGUMENT for a quantity below 1,
     * NOT_FOUND for an unknown product, and UNAVAILABLE when the order could not be stored.
     * </pre>
     */
    public workbook.grpc.orders.PlaceOrderReply placeOrder(workbook.grpc.orders.PlaceOrderRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getPlaceOrderMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service Orders.
   */
  public static final class OrdersBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<OrdersBlockingStub> {
    private OrdersBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OrdersBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OrdersBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores an order for one product. Fails with INVALID_ARGUMENT for a quantity below 1,
     * NOT_FOUND for an unknown product, and UNAVAILABLE when the order could not be stored.
     * </pre>
     */
    public workbook.grpc.orders.PlaceOrderReply placeOrder(workbook.grpc.orders.PlaceOrderRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getPlaceOrderMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service Orders.
   */
  public static final class OrdersFutureStub
      extends io.grpc.stub.AbstractFutureStub<OrdersFutureStub> {
    private OrdersFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OrdersFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OrdersFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores an order for one product. Fails with INVALID_ARGUMENT for a quantity below 1,
     * NOT_FOUND for an unknown product, and UNAVAILABLE when the order could not be stored.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<workbook.grpc.orders.PlaceOrderReply> placeOrder(
        workbook.grpc.orders.PlaceOrderRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getPlaceOrderMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_PLACE_ORDER = 0;

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
        case METHODID_PLACE_ORDER:
          serviceImpl.placeOrder((workbook.grpc.orders.PlaceOrderRequest) request,
              (io.grpc.stub.StreamObserver<workbook.grpc.orders.PlaceOrderReply>) responseObserver);
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
          getPlaceOrderMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              workbook.grpc.orders.PlaceOrderRequest,
              workbook.grpc.orders.PlaceOrderReply>(
                service, METHODID_PLACE_ORDER)))
        .build();
  }

  private static abstract class OrdersBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    OrdersBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return workbook.grpc.orders.OrdersProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Orders");
    }
  }

  private static final class OrdersFileDescriptorSupplier
      extends OrdersBaseDescriptorSupplier {
    OrdersFileDescriptorSupplier() {}
  }

  private static final class OrdersMethodDescriptorSupplier
      extends OrdersBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    OrdersMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (OrdersGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new OrdersFileDescriptorSupplier())
              .addMethod(getPlaceOrderMethod())
              .build();
        }
      }
    }
    return result;
  }
}
