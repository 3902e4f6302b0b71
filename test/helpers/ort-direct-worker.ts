/**
 * Runs onnxruntime-node directly in a plain worker thread. Jest evaluates tests in a separate realm whose
 * typed-array constructors differ from those onnxruntime's native code uses, so the reference run lives
 * here, where onnxruntime behaves exactly as it does in any Node program.
 */
import * as ort from 'onnxruntime-node';
import { parentPort } from 'node:worker_threads';

interface Request {
  id: number;
  modelPath: string;
  options: ort.InferenceSession.SessionOptions;
  feeds: Record<string, { type: ort.Tensor.Type; dims: number[]; data: ArrayLike<unknown> }>;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

parentPort!.on('message', async (req: Request) => {
  try {
    const key = `${req.modelPath}:${JSON.stringify(req.options)}`;
    let session = sessions.get(key);
    if (!session) {
      session = ort.InferenceSession.create(req.modelPath, req.options);
      sessions.set(key, session);
    }
    const s = await session;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) {
      feeds[name] = new ort.Tensor(t.type, rebuild(t.type, t.data) as ort.Tensor.DataType, t.dims);
    }
    const results = await s.run(feeds);
    const outputs: Record<string, { type: string; dims: number[]; values: unknown[] }> = {};
    for (const [name, t] of Object.entries(results)) outputs[name] = { type: t.type, dims: [...t.dims], values: Array.from(t.data as ArrayLike<unknown>) };
    parentPort!.postMessage({ id: req.id, outputs });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});

/** Typed arrays arrive as plain arrays (the test realm's arrays are not this realm's); rebuild them here. */
function rebuild(type: ort.Tensor.Type, data: ArrayLike<unknown>): unknown {
  switch (type) {
    case 'float32': return Float32Array.from(data as ArrayLike<number>);
    case 'float64': return Float64Array.from(data as ArrayLike<number>);
    case 'float16': return Uint16Array.from(data as ArrayLike<number>);
    case 'int8': return Int8Array.from(data as ArrayLike<number>);
    case 'int16': return Int16Array.from(data as ArrayLike<number>);
    case 'int32': return Int32Array.from(data as ArrayLike<number>);
    case 'int64': return BigInt64Array.from(data as ArrayLike<bigint>);
    case 'uint8': return Uint8Array.from(data as ArrayLike<number>);
    case 'uint16': return Uint16Array.from(data as ArrayLike<number>);
    case 'uint32': return Uint32Array.from(data as ArrayLike<number>);
    case 'uint64': return BigUint64Array.from(data as ArrayLike<bigint>);
    case 'bool': return Uint8Array.from(data as ArrayLike<number>);
    case 'string': return Array.from(data as ArrayLike<string>);
    default: throw new Error(`unsupported type ${type}`);
  }
}
