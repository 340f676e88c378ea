package workbook.grpc.inventory;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Stock levels of the products in one warehouse.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class InventoryGrpc {

  private InventoryGrpc() {}

  public static final java.lang.String SERVICE_NAME = "inventory.v1.Inventory";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<workbook.grpc.inventory.CheckStockRequest,
      workbook.grpc.inventory.StockLevel> getCheckStockMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckStock",
      requestType = workbook.grpc.inventory.CheckStockRequest.class,
      responseType = workbook.grpc.inventory.StockLevel.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<workbook.grpc.inventory.CheckStockRequest,
      workbook.grpc.inventory.StockLevel> getCheckStockMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.inventory.CheckStockRequest, workbook.grpc.inventory.StockLevel> getCheckStockMethod;
    if ((getCheckStockMethod = InventoryGrpc.getCheckStockMethod) == null) {
      synchronized (InventoryGrpc.class) {
        if ((getCheckStockMethod = InventoryGrpc.getCheckStockMethod) == null) {
          InventoryGrpc.getCheckStockMethod = getCheckStockMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.inventory.CheckStockRequest, workbook.grpc.inventory.StockLevel>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckStock"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.CheckStockRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.StockLevel.getDefaultInstance()))
              .setSchemaDescriptor(new InventoryMethodDescriptorSupplier("CheckStock"))
              .build();
        }
      }
    }
    return getCheckStockMethod;
  }

  private static volatile io.grpc.MethodDescriptor<workbook.grpc.inventory.WatchStockLevelsRequest,
      workbook.grpc.inventory.StockLevel> getWatchStockLevelsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchStockLevels",
      requestType = workbook.grpc.inventory.WatchStockLevelsRequest.class,
      responseType = workbook.grpc.inventory.StockLevel.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<workbook.grpc.inventory.WatchStockLevelsRequest,
      workbook.grpc.inventory.StockLevel> getWatchStockLevelsMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.inventory.WatchStockLevelsRequest, workbook.grpc.inventory.StockLevel> getWatchStockLevelsMethod;
    if ((getWatchStockLevelsMethod = InventoryGrpc.getWatchStockLevelsMethod) == null) {
      synchronized (InventoryGrpc.class) {
        if ((getWatchStockLevelsMethod = InventoryGrpc.getWatchStockLevelsMethod) == null) {
          InventoryGrpc.getWatchStockLevelsMethod = getWatchStockLevelsMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.inventory.WatchStockLevelsRequest, workbook.grpc.inventory.StockLevel>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchStockLevels"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.WatchStockLevelsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.StockLevel.getDefaultInstance()))
              .setSchemaDescriptor(new InventoryMethodDescriptorSupplier("WatchStockLevels"))
              .build();
        }
      }
    }
    return getWatchStockLevelsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<workbook.grpc.inventory.StockAdjustment,
      workbook.grpc.inventory.BulkUpdateSummary> getBulkUpdateStockMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "BulkUpdateStock",
      requestType = workbook.grpc.inventory.StockAdjustment.class,
      responseType = workbook.grpc.inventory.BulkUpdateSummary.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<workbook.grpc.inventory.StockAdjustment,
      workbook.grpc.inventory.BulkUpdateSummary> getBulkUpdateStockMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.inventory.StockAdjustment, workbook.grpc.inventory.BulkUpdateSummary> getBulkUpdateStockMethod;
    if ((getBulkUpdateStockMethod = InventoryGrpc.getBulkUpdateStockMethod) == null) {
      synchronized (InventoryGrpc.class) {
        if ((getBulkUpdateStockMethod = InventoryGrpc.getBulkUpdateStockMethod) == null) {
          InventoryGrpc.getBulkUpdateStockMethod = getBulkUpdateStockMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.inventory.StockAdjustment, workbook.grpc.inventory.BulkUpdateSummary>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "BulkUpdateStock"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.StockAdjustment.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.BulkUpdateSummary.getDefaultInstance()))
              .setSchemaDescriptor(new InventoryMethodDescriptorSupplier("BulkUpdateStock"))
              .build();
        }
      }
    }
    return getBulkUpdateStockMethod;
  }

  private static volatile io.grpc.MethodDescriptor<workbook.grpc.inventory.ReserveStockRequest,
      workbook.grpc.inventory.ReserveStockReply> getReserveStockMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ReserveStock",
      requestType = workbook.grpc.inventory.ReserveStockRequest.class,
      responseType = workbook.grpc.inventory.ReserveStockReply.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<workbook.grpc.inventory.ReserveStockRequest,
      workbook.grpc.inventory.ReserveStockReply> getReserveStockMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.inventory.ReserveStockRequest, workbook.grpc.inventory.ReserveStockReply> getReserveStockMethod;
    if ((getReserveStockMethod = InventoryGrpc.getReserveStockMethod) == null) {
      synchronized (InventoryGrpc.class) {
        if ((getReserveStockMethod = InventoryGrpc.getReserveStockMethod) == null) {
          InventoryGrpc.getReserveStockMethod = getReserveStockMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.inventory.ReserveStockRequest, workbook.grpc.inventory.ReserveStockReply>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ReserveStock"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.ReserveStockRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.inventory.ReserveStockReply.getDefaultInstance()))
              .setSchemaDescriptor(new InventoryMethodDescriptorSupplier("ReserveStock"))
              .build();
        }
      }
    }
    return getReserveStockMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static InventoryStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InventoryStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InventoryStub>() {
        @java.lang.Override
        public InventoryStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InventoryStub(channel, callOptions);
        }
      };
    return InventoryStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static InventoryBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InventoryBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InventoryBlockingV2Stub>() {
        @java.lang.Override
        public InventoryBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InventoryBlockingV2Stub(channel, callOptions);
        }
      };
    return InventoryBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static InventoryBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InventoryBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InventoryBlockingStub>() {
        @java.lang.Override
        public InventoryBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InventoryBlockingStub(channel, callOptions);
        }
      };
    return InventoryBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static InventoryFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InventoryFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InventoryFutureStub>() {
        @java.lang.Override
        public InventoryFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InventoryFutureStub(channel, callOptions);
        }
      };
    return InventoryFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Unary: how many units of one product are in stock now.
     * Fails with NOT_FOUND for an unknown product and INVALID_ARGUMENT for a blank product id.
     * </pre>
     */
    default void checkStock(workbook.grpc.inventory.CheckStockRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckStockMethod(), responseObserver);
    }

    /**
     * <pre>
     * Server streaming: the current level of each requested product, then every change to
     * them, in order, for as long as the client keeps the call open.
     * </pre>
     */
    default void watchStockLevels(workbook.grpc.inventory.WatchStockLevelsRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchStockLevelsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Client streaming: many adjustments (a delivery, a stock take), one summary after the
     * client has sent the last one.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockAdjustment> bulkUpdateStock(
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.BulkUpdateSummary> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getBulkUpdateStockMethod(), responseObserver);
    }

    /**
     * <pre>
     * Bidirectional streaming: each reservation is answered as soon as it arrives, while the
     * client is still sending.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<workbook.grpc.inventory.ReserveStockRequest> reserveStock(
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.ReserveStockReply> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getReserveStockMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service Inventory.
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public static abstract class InventoryImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return InventoryGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service Inventory.
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public static final class InventoryStub
      extends io.grpc.stub.AbstractAsyncStub<InventoryStub> {
    private InventoryStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InventoryStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InventoryStub(channel, callOptions);
    }

    /**
     * <pre>
     * Unary: how many units of one product are in stock now.
     * Fails with NOT_FOUND for an unknown product and INVALID_ARGUMENT for a blank product id.
     * </pre>
     */
    public void checkStock(workbook.grpc.inventory.CheckStockRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCheckStockMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Server streaming: the current level of each requested product, then every change to
     * them, in order, for as long as the client keeps the call open.
     * </pre>
     */
    public void watchStockLevels(workbook.grpc.inventory.WatchStockLevelsRequest request,
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchStockLevelsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Client streaming: many adjustments (a delivery, a stock take), one summary after the
     * client has sent the last one.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockAdjustment> bulkUpdateStock(
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.BulkUpdateSummary> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getBulkUpdateStockMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Bidirectional streaming: each reservation is answered as soon as it arrives, while the
     * client is still sending.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<workbook.grpc.inventory.ReserveStockRequest> reserveStock(
        io.grpc.stub.StreamObserver<workbook.grpc.inventory.ReserveStockReply> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getReserveStockMethod(), getCallOptions()), responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service Inventory.
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public static final class InventoryBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<InventoryBlockingV2Stub> {
    private InventoryBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InventoryBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InventoryBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Unary: how many units of one product are in stock now.
     * Fails with NOT_FOUND for an unknown product and INVALID_ARGUMENT for a blank product id.
     * </pre>
     */
    public workbook.grpc.inventory.StockLevel checkStock(workbook.grpc.inventory.CheckStockRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCheckStockMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Server streaming: the current level of each requested product, then every change to
     * them, in order, for as long as the client keeps the call open.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, workbook.grpc.inventory.StockLevel>
        watchStockLevels(workbook.grpc.inventory.WatchStockLevelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchStockLevelsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Client streaming: many adjustments (a delivery, a stock take), one summary after the
     * client has sent the last one.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<workbook.grpc.inventory.StockAdjustment, workbook.grpc.inventory.BulkUpdateSummary>
        bulkUpdateStock() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getBulkUpdateStockMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Bidirectional streaming: each reservation is answered as soon as it arrives, while the
     * client is still sending.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<workbook.grpc.inventory.ReserveStockRequest, workbook.grpc.inventory.ReserveStockReply>
        reserveStock() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getReserveStockMethod(), getCallOptions());
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service Inventory.
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public static final class InventoryBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<InventoryBlockingStub> {
    private InventoryBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InventoryBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InventoryBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Unary: how many units of one product are in stock now.
     * Fails with NOT_FOUND for an unknown product and INVALID_ARGUMENT for a blank product id.
     * </pre>
     */
    public workbook.grpc.inventory.StockLevel checkStock(workbook.grpc.inventory.CheckStockRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCheckStockMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Server streaming: the current level of each requested product, then every change to
     * them, in order, for as long as the client keeps the call open.
     * </pre>
     */
    public java.util.Iterator<workbook.grpc.inventory.StockLevel> watchStockLevels(
        workbook.grpc.inventory.WatchStockLevelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchStockLevelsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service Inventory.
   * <pre>
   * Stock levels of the products in one warehouse.
   * </pre>
   */
  public static final class InventoryFutureStub
      extends io.grpc.stub.AbstractFutureStub<InventoryFutureStub> {
    private InventoryFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InventoryFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InventoryFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Unary: how many units of one product are in stock now.
     * Fails with NOT_FOUND for an unknown product and INVALID_ARGUMENT for a blank product id.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<workbook.grpc.inventory.StockLevel> checkStock(
        workbook.grpc.inventory.CheckStockRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckStockMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHECK_STOCK = 0;
  private static final int METHODID_WATCH_STOCK_LEVELS = 1;
  private static final int METHODID_BULK_UPDATE_STOCK = 2;
  private static final int METHODID_RESERVE_STOCK = 3;

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
        case METHODID_CHECK_STOCK:
          serviceImpl.checkStock((workbook.grpc.inventory.CheckStockRequest) request,
              (io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel>) responseObserver);
          break;
        case METHODID_WATCH_STOCK_LEVELS:
          serviceImpl.watchStockLevels((workbook.grpc.inventory.WatchStockLevelsRequest) request,
              (io.grpc.stub.StreamObserver<workbook.grpc.inventory.StockLevel>) responseObserver);
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
        case METHODID_BULK_UPDATE_STOCK:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.bulkUpdateStock(
              (io.grpc.stub.StreamObserver<workbook.grpc.inventory.BulkUpdateSummary>) responseObserver);
        case METHODID_RESERVE_STOCK:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.reserveStock(
              (io.grpc.stub.StreamObserver<workbook.grpc.inventory.ReserveStockReply>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCheckStockMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              workbook.grpc.inventory.CheckStockRequest,
              workbook.grpc.inventory.StockLevel>(
                service, METHODID_CHECK_STOCK)))
        .addMethod(
          getWatchStockLevelsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              workbook.grpc.inventory.WatchStockLevelsRequest,
              workbook.grpc.inventory.StockLevel>(
                service, METHODID_WATCH_STOCK_LEVELS)))
        .addMethod(
          getBulkUpdateStockMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              workbook.grpc.inventory.StockAdjustment,
              workbook.grpc.inventory.BulkUpdateSummary>(
                service, METHODID_BULK_UPDATE_STOCK)))
        .addMethod(
          getReserveStockMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              workbook.grpc.inventory.ReserveStockRequest,
              workbook.grpc.inventory.ReserveStockReply>(
                service, METHODID_RESERVE_STOCK)))
        .build();
  }

  private static abstract class InventoryBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    InventoryBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return workbook.grpc.inventory.InventoryProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Inventory");
    }
  }

  private static final class InventoryFileDescriptorSupplier
      extends InventoryBaseDescriptorSupplier {
    InventoryFileDescriptorSupplier() {}
  }

  private static final class InventoryMethodDescriptorSupplier
      extends InventoryBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    InventoryMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (InventoryGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new InventoryFileDescriptorSupplier())
              .addMethod(getCheckStockMethod())
              .addMethod(getWatchStockLevelsMethod())
              .addMethod(getBulkUpdateStockMethod())
              .addMethod(getReserveStockMethod())
              .build();
        }
      }
    }
    return result;
  }
}
