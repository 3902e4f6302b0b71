import * as vm from 'vm';

/**
 * Jest evaluates tests in a vm context with its own typed-array constructors
 * (it shares only Uint8Array/ArrayBuffer with Node). onnxruntime-node's
 * native code creates output arrays in Node's main realm, and
 * onnxruntime-common's Tensor constructor then fails its `instanceof
 * Float32Array` check ("A float32 tensor's data must be type of ...").
 * Pointing this context's typed-array globals at the main realm's keeps
 * both sides on the same constructors. Must run before onnxruntime loads.
 */
const NAMES = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

const g = globalThis as unknown as Record<string, unknown>;
for (const name of NAMES) {
  const mainRealm = vm.runInThisContext(name) as unknown;
  if (g[name] !== mainRealm) g[name] = mainRealm;
}

export {};
