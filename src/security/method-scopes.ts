/**
 * The one table of what each call needs: a full gRPC method path (or a REST route) -> the scope it requires,
 * or 'health' for the probes, which stay open unless auth.public_health is false. A method missing from the
 * table is refused whenever auth is on, so a service added later is closed until someone decides its scope.
 *
 * RepositoryIndex is `metadata`, not `admin`: it only lists, like ListModels, and is filtered the same way
 * (a tenant sees the models its patterns cover), so it tells an infer+metadata tenant nothing ListModels does
 * not. RepositoryModelLoad/Unload change what is served and are `admin`, like amaas.v1's ModelRepositoryService.
 */
import type { Scope } from './types';

/** What a call needs: a scope, or 'health' (open while auth.public_health is true, else any valid caller). */
export type Access = Scope | 'health';

const AMAAS = '/amaas.v1.InferenceService/';
const AMAAS_REPOSITORY = '/amaas.v1.ModelRepositoryService/';
const OIP = '/inference.GRPCInferenceService/';

export const METHOD_ACCESS: ReadonlyMap<string, Access> = new Map<string, Access>([
  [`${AMAAS}Predict`, 'infer'],
  [`${AMAAS}BatchPredict`, 'infer'],
  [`${AMAAS}ListModels`, 'metadata'],
  [`${AMAAS}GetModelMetadata`, 'metadata'],
  [`${AMAAS_REPOSITORY}LoadModel`, 'admin'],
  [`${AMAAS_REPOSITORY}UnloadModel`, 'admin'],
  [`${AMAAS_REPOSITORY}SetDefaultVersion`, 'admin'],
  [`${AMAAS_REPOSITORY}Rollback`, 'admin'],
  // Metadata, not admin: the handler shows a caller without admin only its own tenant's usage.
  [`${AMAAS_REPOSITORY}GetUsage`, 'metadata'],
  [`${AMAAS_REPOSITORY}SetTrafficSplit`, 'admin'],
  [`${OIP}ModelInfer`, 'infer'],
  [`${OIP}ModelStreamInfer`, 'infer'],
  [`${OIP}ServerLive`, 'health'],
  [`${OIP}ServerReady`, 'health'],
  [`${OIP}ServerMetadata`, 'metadata'],
  [`${OIP}ModelReady`, 'metadata'],
  [`${OIP}ModelMetadata`, 'metadata'],
  [`${OIP}ModelConfig`, 'metadata'],
  [`${OIP}ModelStatistics`, 'metadata'],
  [`${OIP}RepositoryIndex`, 'metadata'],
  [`${OIP}RepositoryModelLoad`, 'admin'],
  [`${OIP}RepositoryModelUnload`, 'admin'],
  ['/grpc.health.v1.Health/Check', 'health'],
  ['/grpc.health.v1.Health/Watch', 'health'],
  // Reflection describes every served service: as much as metadata reveals, no more.
  ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', 'metadata'],
  ['/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', 'metadata'],
]);

/** The access a gRPC method needs; undefined for a method the table does not know (refused when auth is on). */
export function methodAccess(path: string): Access | undefined {
  return METHOD_ACCESS.get(path);
}

/**
 * The access a REST request needs, from its method and path segments (`/v2/...`). undefined for a path that
 * is no endpoint: it still needs a valid caller, who then gets the router's 400.
 */
export function httpAccess(method: string, segments: readonly string[]): Access | undefined {
  if (segments[0] !== 'v2') return undefined;
  if (segments.length === 1) return 'metadata';
  if (segments[1] === 'health') return segments.length === 3 ? 'health' : undefined;
  if (segments[1] !== 'models' || segments.length < 3) return undefined;
  const last = segments[segments.length - 1];
  if (method === 'POST') return last === 'infer' ? 'infer' : undefined;
  return 'metadata';
}
