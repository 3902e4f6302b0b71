/**
 * node dist/bench/first-server.js MODEL.onnx
 *
 * The reference "first server" (issue 16): the inference server a Node developer would write first, and the one
 * amaas must beat at every load. One InferenceSession with onnxruntime's default options, created at start on
 * the main thread; the Predict handler awaits `session.run` itself; no worker threads, no batching, no
 * admission. It serves amaas.v1 Predict with raw FP32 inputs (other RPCs answer UNIMPLEMENTED), so the bench's
 * load client drives it exactly as it drives amaas. Prints `first server on ADDRESS`.
 */
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { amaasV1Service } from '../src/api/protos';

interface WireTensor {
  name: string;
  shape: string[];
  raw_contents?: Buffer;
}

interface WirePredict {
  model_name: string;
  id: string;
  inputs: WireTensor[];
}

async function main(): Promise<void> {
  const session = await ort.InferenceSession.create(process.argv[2]);
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  server.addService(amaasV1Service().service, {
    Predict: async (call: grpc.ServerUnaryCall<WirePredict, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const request = call.request;
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const t of request.inputs) {
          // A copy into an aligned Float32Array, as the first version of such a handler would do.
          const raw = t.raw_contents ?? Buffer.alloc(0);
          feeds[t.name] = new ort.Tensor('float32', new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), t.shape.map(Number));
        }
        const results = await session.run(feeds);
        const outputs = Object.entries(results).map(([name, v]) => {
          const data = v.data as Float32Array;
          return { name, datatype: 'DATA_TYPE_FP32', shape: v.dims, raw_contents: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
        });
        callback(null, { model_name: request.model_name, id: request.id, outputs });
      } catch (err) {
        callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`first server on 127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => server.forceShutdown());
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
