/**
 * The transport ceiling: a grpc-js server that echoes the payload back, unary and streaming. The load client
 * drives it with the same payload size and concurrency as the inference server. Prints `echo on ADDRESS`.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';

export const ECHO_PROTO = path.join(PACKAGE_ROOT, 'bench', 'echo.proto');

export function echoService(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(ECHO_PROTO, { keepCase: true, longs: String, defaults: true });
  return (grpc.loadPackageDefinition(def) as any).amaas.bench.EchoService;
}

if (require.main === module) {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  server.addService(echoService().service, {
    Echo: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, call.request),
    EchoStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.on('data', (m) => call.write(m));
      call.on('end', () => call.end());
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`echo on 127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => server.forceShutdown());
}
