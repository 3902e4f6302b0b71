/**
 * gRPC server reflection: a minimal reflection client (built from the reflection.proto shipped inside
 * @grpc/reflection, not from amaas's files) lists every served service and fetches the descriptor of the
 * inference service, as grpcurl does before it can call anything.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import * as protobuf from 'protobufjs';
import { makeRepository } from '../helpers/model-repository';
import { TestServer, startTestServer } from '../helpers/test-server';

const REFLECTION_PROTO = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');

let ts: TestServer;
let client: grpc.Client & Record<string, any>;

beforeAll(async () => {
  ts = await startTestServer(await makeRepository([{ model: 'scale' }]));
  const definition = protoLoader.loadSync(REFLECTION_PROTO, { keepCase: true, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  client = new pkg.grpc.reflection.v1.ServerReflection(ts.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await ts.stop();
});

/** One request on the bidirectional reflection stream, one answer. */
function ask(request: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (answer: any) => {
      resolve(answer);
      call.end();
    });
    call.on('error', reject);
    call.write(request);
  });
}

it('lists the amaas, inference and health services', async () => {
  const answer = await ask({ list_services: '*' });
  const names = answer.list_services_response.service.map((s: { name: string }) => s.name);
  expect(names).toEqual(expect.arrayContaining(['amaas.v1.InferenceService', 'inference.GRPCInferenceService', 'grpc.health.v1.Health']));
});

it('serves the descriptor of inference.GRPCInferenceService with its RPCs', async () => {
  const answer = await ask({ file_containing_symbol: 'inference.GRPCInferenceService' });
  const files: Buffer[] = answer.file_descriptor_response.file_descriptor_proto;
  expect(files.length).toBeGreaterThan(0);
  // FileDescriptorProto: field 2 is the package, field 6 the services; decode just what we check.
  const FileDescriptor = protobuf.Root.fromJSON({
    nested: {
      F: { fields: { name: { type: 'string', id: 1 }, package: { type: 'string', id: 2 }, service: { rule: 'repeated', type: 'S', id: 6 } } },
      S: { fields: { name: { type: 'string', id: 1 }, method: { rule: 'repeated', type: 'M', id: 2 } } },
      M: { fields: { name: { type: 'string', id: 1 } } },
    },
  }).lookupType('F');
  const decoded = files.map((f) => FileDescriptor.toObject(FileDescriptor.decode(f), { defaults: true, arrays: true }));
  const service = decoded.flatMap((f) => f.service.map((s: any) => ({ pkg: f.package, ...s }))).find((s) => s.name === 'GRPCInferenceService');
  expect(service.pkg).toBe('inference');
  expect(service.method.map((m: { name: string }) => m.name)).toEqual(
    expect.arrayContaining(['ServerLive', 'ModelInfer', 'ModelStreamInfer', 'ModelStatistics', 'RepositoryModelLoad']),
  );
});
