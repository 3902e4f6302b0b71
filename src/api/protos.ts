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

export function loadProto(relativePath: string): grpc.GrpcObject {
  let pkg = cache.get(relativePath);
  if (!pkg) {
    const definition = protoLoader.loadSync(path.join(PROTO_ROOT, relativePath), PROTO_LOADER_OPTIONS);
    pkg = grpc.loadPackageDefinition(definition);
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
