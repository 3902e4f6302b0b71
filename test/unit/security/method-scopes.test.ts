/**
 * The scope table covers every method the server serves (each service's definition, read from the same
 * .proto files the server loads, plus reflection), so no served method is refused by accident as "unknown";
 * and the REST routes map to the scopes docs/tenants.md lists.
 */
import { amaasV1Service, healthService, inferenceService, modelRepositoryService } from '../../../src/api/protos';
import { METHOD_ACCESS, httpAccess, methodAccess } from '../../../src/security/method-scopes';

const served = [amaasV1Service(), modelRepositoryService(), inferenceService(), healthService()].flatMap((s) =>
  Object.values(s.service).map((m) => m.path),
);

it('gives every served gRPC method an access, and lists nothing that is not served', () => {
  expect(served.filter((p) => methodAccess(p) === undefined)).toEqual([]);
  const reflection = [...METHOD_ACCESS.keys()].filter((p) => p.startsWith('/grpc.reflection.'));
  expect(reflection).toHaveLength(2);
  expect([...METHOD_ACCESS.keys()].filter((p) => !served.includes(p) && !reflection.includes(p))).toEqual([]);
});

it('puts inference, metadata, admin and health where the issue says', () => {
  expect(methodAccess('/amaas.v1.InferenceService/BatchPredict')).toBe('infer');
  expect(methodAccess('/inference.GRPCInferenceService/ModelStreamInfer')).toBe('infer');
  expect(methodAccess('/amaas.v1.ModelRepositoryService/Rollback')).toBe('admin');
  expect(methodAccess('/inference.GRPCInferenceService/RepositoryModelUnload')).toBe('admin');
  expect(methodAccess('/inference.GRPCInferenceService/RepositoryIndex')).toBe('metadata');
  expect(methodAccess('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo')).toBe('metadata');
  expect(methodAccess('/grpc.health.v1.Health/Watch')).toBe('health');
  expect(methodAccess('/inference.GRPCInferenceService/ServerLive')).toBe('health');
  expect(methodAccess('/some.New/Method')).toBeUndefined();
});

it('maps the REST routes', () => {
  const seg = (p: string) => p.split('/').filter(Boolean);
  expect(httpAccess('GET', seg('/v2/health/live'))).toBe('health');
  expect(httpAccess('GET', seg('/v2/health/ready'))).toBe('health');
  expect(httpAccess('GET', seg('/v2'))).toBe('metadata');
  expect(httpAccess('GET', seg('/v2/models/m'))).toBe('metadata');
  expect(httpAccess('GET', seg('/v2/models/m/versions/2/ready'))).toBe('metadata');
  expect(httpAccess('POST', seg('/v2/models/m/versions/2/infer'))).toBe('infer');
  expect(httpAccess('POST', seg('/v2/models/m/ready'))).toBeUndefined();
  expect(httpAccess('GET', seg('/v2/health/live/extra'))).toBeUndefined();
  expect(httpAccess('GET', seg('/elsewhere'))).toBeUndefined();
});
