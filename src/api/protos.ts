/** Loads the .proto contracts at runtime with proto-loader; one set of options for server, client and tests. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { PROTO_ROOT } from '../paths';

/**
 * keepCase: field names as in the .proto. longs: String keeps int64 exact. enums: String makes enums
 * readable. defaults: repeated fields always present. oneofs: a virtual field names the oneof member set.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

const cache = new Map<string, grpc.GrpcObject>();
const definitions = new Map<string, protoLoader.PackageDefinition>();

/** The proto-loader definition of a contract (server reflection describes services from these). */
export function loadDefinition(relativePath: string): protoLoader.PackageDefinition {
  let definition = definitions.get(relativePath);
  if (!definition) {
    definition = protoLoader.loadSync(path.join(PROTO_ROOT, relativePath), PROTO_LOADER_OPTIONS);
    definitions.set(relativePath, definition);
  }
  return definition;
}

export function loadProto(relativePath: string): grpc.GrpcObject {
  let pkg = cache.get(relativePath);
  if (!pkg) {
    pkg = grpc.loadPackageDefinition(loadDefinition(relativePath));
    cache.set(relativePath, pkg);
  }
  return pkg;
}

export const AMAAS_V1_PROTO = 'amaas/v1/inference.proto';

/** The amaas.v1.InferenceService client constructor (its `.service` is the service definition). */
export function amaasV1Service(): grpc.ServiceClientConstructor {
  const pkg = loadProto(AMAAS_V1_PROTO) as unknown as { amaas: { v1: { InferenceService: grpc.ServiceClientConstructor } } };
  return pkg.amaas.v1.InferenceService;
}

export const MODEL_REPOSITORY_PROTO = 'amaas/v1/model_repository.proto';

/** amaas.v1.ModelRepositoryService: load, unload, default version and rollback. */
export function modelRepositoryService(): grpc.ServiceClientConstructor {
  const pkg = loadProto(MODEL_REPOSITORY_PROTO) as unknown as { amaas: { v1: { ModelRepositoryService: grpc.ServiceClientConstructor } } };
  return pkg.amaas.v1.ModelRepositoryService;
}

/** The Open Inference Protocol (KServe V2 + Triton extensions): package `inference`. */
export const INFERENCE_PROTO = 'inference/grpc_service.proto';

/** grpc.health.v1, the standard health checking protocol. */
export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/** Every contract the server serves, for reflection. */
export const SERVED_PROTOS = [AMAAS_V1_PROTO, MODEL_REPOSITORY_PROTO, INFERENCE_PROTO, HEALTH_PROTO] as const;

/** inference.GRPCInferenceService. */
export function inferenceService(): grpc.ServiceClientConstructor {
  const pkg = loadProto(INFERENCE_PROTO) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
  return pkg.inference.GRPCInferenceService;
}

/** grpc.health.v1.Health. */
export function healthService(): grpc.ServiceClientConstructor {
  const pkg = loadProto(HEALTH_PROTO) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  return pkg.grpc.health.v1.Health;
}
