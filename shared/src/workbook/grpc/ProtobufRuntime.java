// grpc-protobuf brings protobuf-java 3.25, which cannot load code made by protoc 4.33: the runtime
// is pinned here, once, to the version of protoc in Protoc.java (GenerateProtos refuses to run if
// they differ). LocalGrpc (the labs' runtime) and Protoc (the well-known .proto types) source it.
//DEPS com.google.protobuf:protobuf-java:4.33.2
package workbook.grpc;

/** Where the Protobuf runtime's version is pinned: the //DEPS line above, and nowhere else. */
final class ProtobufRuntime {
  private ProtobufRuntime() {}
}
