/**
 * node dist/bench/gate-cost.js [--ms 1000]
 *
 * CPU of the auth decision itself, without the network: Gate.check on an infer method for a valid API key,
 * an unknown key and a missing one, with tenants files of 1, 10 and 100 keys (every stored hash is compared,
 * in constant time, so the cost grows with the file). Each case runs for --ms milliseconds after a warm-up;
 * prints microseconds per decision. The end-to-end cost on the request path is bench/layer-ab.ts.
 */
import { performance } from 'node:perf_hooks';
import { hashKeyHex } from '../src/security/api-keys';
import { Gate } from '../src/security/gate';
import { methodAccess } from '../src/security/method-scopes';
import { policyFromObject } from '../src/security/tenants-file';

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Microseconds per call of `fn`, run in batches for about `ms` milliseconds. */
function usPer(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 10_000; i++) fn(); // warm-up: JIT
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
  }
  return ((performance.now() - start) * 1000) / calls;
}

const ms = Number(arg('--ms', '1000'));
const access = methodAccess('/amaas.v1.InferenceService/Predict');
const lines = [`gate cost: Gate.check for /amaas.v1.InferenceService/Predict (${access}), µs per decision, ${ms} ms per case`];
for (const keys of [1, 10, 100]) {
  const tenants: Record<string, unknown> = {};
  for (let k = 0; k < keys; k++) {
    tenants[`t${k}`] = { keys: [{ id: `t${k}-1`, sha256: hashKeyHex(`amaas_bench_key_${k}`) }], models: ['*'], scopes: ['infer', 'metadata'] };
  }
  const policy = policyFromObject({ tenants }, 'bench');
  const gate = new Gate({ policy: () => policy, tenantFrom: null, publicHealth: true });
  const valid = `Bearer amaas_bench_key_${keys - 1}`;
  const check = (authorization: string | undefined) => () => gate.check(access, { authorization, peerCertificate: null }, 'Predict');
  lines.push(
    `  ${String(keys).padStart(3)} keys: valid ${usPer(check(valid), ms).toFixed(2)}, unknown ${usPer(check('Bearer amaas_not_a_key'), ms).toFixed(2)}, ` +
      `missing ${usPer(check(undefined), ms).toFixed(2)}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
