/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, from the official @grpc/reflection package), so
 * grpcurl, Postman and other generic tools can list and call every served service without .proto files.
 */
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { SERVED_PROTOS, loadDefinition } from './protos';

export function addReflection(server: grpc.Server): void {
  const definition = Object.assign({}, ...SERVED_PROTOS.map(loadDefinition));
  new ReflectionService(definition).addToServer(server);
}
