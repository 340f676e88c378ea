package workbook.grpc.measure;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class StockReportsGrpc {

  private StockReportsGrpc() {}

  public static final java.lang.String SERVICE_NAME = "workbook.measure.StockReports";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<workbook.grpc.measure.StockQuery,
      workbook.grpc.measure.StockReport> getGetStockMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetStock",
      requestType = workbook.grpc.measure.StockQuery.class,
      responseType = workbook.grpc.measure.StockReport.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<workbook.grpc.measure.StockQuery,
      workbook.grpc.measure.StockReport> getGetStockMethod() {
    io.grpc.MethodDescriptor<workbook.grpc.measure.StockQuery, workbook.grpc.measure.StockReport> getGetStockMethod;
    if ((getGetStockMethod = StockReportsGrpc.getGetStockMethod) == null) {
      synchronized (StockReportsGrpc.class) {
        if ((getGetStockMethod = StockReportsGrpc.getGetStockMethod) == null) {
          StockReportsGrpc.getGetStockMethod = getGetStockMethod =
              io.grpc.MethodDescriptor.<workbook.grpc.measure.StockQuery, workbook.grpc.measure.StockReport>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetStock"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.measure.StockQuery.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  workbook.grpc.measure.StockReport.getDefaultInstance()))
              .setSchemaDescriptor(new StockReportsMethodDescriptorSupplier("GetStock"))
              .build();
        }
      }
    }
    return getGetStockMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static StockReportsStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<StockReportsStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<StockReportsStub>() {
        @java.lang.Override
        public StockReportsStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new StockReportsStub(channel, callOptions);
        }
      };
    return StockReportsStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static StockReportsBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<StockReportsBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<StockReportsBlockingV2Stub>() {
        @java.lang.Override
        public StockReportsBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new StockReportsBlockingV2Stub(channel, callOptions);
        }
      };
    return StockReportsBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static StockReportsBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<StockReportsBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<StockReportsBlockingStub>() {
        @java.lang.Override
        public StockReportsBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new StockReportsBlockingStub(channel, callOptions);
        }
      };
    return StockReportsBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static StockReportsFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<StockReportsFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<StockReportsFutureStub>() {
        @java.lang.Override
        public StockReportsFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new StockReportsFutureStub(channel, callOptions);
        }
      };
    return StockReportsFutureStub.newStub(factory, channel);
  }

  /**
   */
  public interface AsyncService {

    /**
     * <pre>
     * One unary call that returns a whole warehouse's stock, like GET /stock/{warehouse}.
     * </pre>
     */
    default void getStock(workbook.grpc.measure.StockQuery request,
        io.grpc.stub.StreamObserver<workbook.grpc.measure.StockReport> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetStockMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service StockReports.
   */
  public static abstract class StockReportsImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return StockReportsGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service StockReports.
   */
  public static final class StockReportsStub
      extends io.grpc.stub.AbstractAsyncStub<StockReportsStub> {
    private StockReportsStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected StockReportsStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new StockReportsStub(channel, callOptions);
    }

    /**
     * <pre>
     * One unary call that returns a whole warehouse's stock, like GET /stock/{warehouse}.
     * </pre>
     */
    public void getStock(workbook.grpc.measure.StockQuery request,
        io.grpc.stub.StreamObserver<workbook.grpc.measure.StockReport> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetStockMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service StockReports.
   */
  public static final class StockReportsBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<StockReportsBlockingV2Stub> {
    private StockReportsBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected StockReportsBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new StockReportsBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * One unary call that returns a whole warehouse's stock, like GET /stock/{warehouse}.
     * </pre>
     */
    public workbook.grpc.measure.StockReport getStock(workbook.grpc.measure.StockQuery request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetStockMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service StockReports.
   */
  public static final class StockReportsBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<StockReportsBlockingStub> {
    private StockReportsBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected StockReportsBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new StockReportsBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * One unary call that returns a whole warehouse's stock, like GET /stock/{warehouse}.
     * </pre>
     */
    public workbook.grpc.measure.StockReport getStock(workbook.grpc.measure.StockQuery request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetStockMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service StockReports.
   */
  public static final class StockReportsFutureStub
      extends io.grpc.stub.AbstractFutureStub<StockReportsFutureStub> {
    private StockReportsFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected StockReportsFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new StockReportsFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * One unary call that returns a whole warehouse's stock, like GET /stock/{warehouse}.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<workbook.grpc.measure.StockReport> getStock(
        workbook.grpc.measure.StockQuery request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetStockMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GET_STOCK = 0;

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
        case METHODID_GET_STOCK:
          serviceImpl.getStock((workbook.grpc.measure.StockQuery) request,
              (io.grpc.stub.StreamObserver<workbook.grpc.measure.StockReport>) responseObserver);
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
          getGetStockMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              workbook.grpc.measure.StockQuery,
              workbook.grpc.measure.StockReport>(
                service, METHODID_GET_STOCK)))
        .build();
  }

  private static abstract class StockReportsBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    StockReportsBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return workbook.grpc.measure.StockReportOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("StockReports");
    }
  }

  private static final class StockReportsFileDescriptorSupplier
      extends StockReportsBaseDescriptorSupplier {
    StockReportsFileDescriptorSupplier() {}
  }

  private static final class StockReportsMethodDescriptorSupplier
      extends StockReportsBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    StockReportsMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (StockReportsGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new StockReportsFileDescriptorSupplier())
              .addMethod(getGetStockMethod())
              .build();
        }
      }
    }
    return result;
  }
}
