/**
 * The response cache end to end, on a real server and real clients: a hit answers with exactly the bytes a
 * fresh run gave (and those equal onnxruntime-node run directly), on every protocol; requests that differ in
 * shape, bytes or outputs never share an answer; the LRU evicts by bytes; unloading a version drops its
 * entries; a default-version switch under load never answers a request naming no version from the old
 * version's entries; 100 identical concurrent requests run one inference. Runs are counted with ModelStatistics
 * (execution_count counts runs, cache_hit / cache_miss the cache's answers); waits are bounded only to catch hangs.
 */
import type { Message } from '../kserve/oip-client';
import { OipClient } from '../kserve/oip-client';
import { fp32Bytes } from '../kserve/oip-fixtures';
import { makeRepository, modelPath } from '../../helpers/model-repository';
import { runDirect } from '../../helpers/ort-direct';
import { PROMTOOL_BIN } from '../../helpers/prometheus-server';
import { httpGet, scrape } from '../../helpers/prometheus-text';
import { promtool } from '../../helpers/promtool';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';

const CACHED = { response_cache: { max_bytes: '1MiB' } };
/** Room for two scale answers, not three: an entry is its 16 output bytes plus about 400 bytes of overhead (cached-response.ts). */
const TWO_ENTRIES = { response_cache: { max_bytes: 1000 } };

let ts: TestServer;
let oip: OipClient;
let repo: string;
const hold = new WorkerHold();

beforeAll(async () => {
  repo = await makeRepository([
    { model: 'scale', config: { ...CACHED, version_policy: 'all' } },
    { model: 'scale_v2', name: 'scale', version: 2 },
    { model: 'multi_io', config: CACHED },
    { model: 'int64_ops', config: CACHED },
    { model: 'string_echo', config: CACHED },
    { model: 'scale', name: 'small', config: TWO_ENTRIES },
    { model: 'scale', name: 'uncached' },
    { model: 'scale', name: 'twice', config: { ...CACHED, version_policy: 'all' } },
    { model: 'scale_v2', name: 'twice', version: 2 },
  ]);
  hold.install();
  ts = await startTestServer(repo, { http_port: 0, metrics_port: 0 });
  oip = new OipClient(ts.address);
});

afterAll(async () => {
  hold.release();
  oip.close();
  await ts.stop();
  hold.cleanup();
});

interface Counts {
  executions: number;
  hits: number;
  misses: number;
  success: number;
  inferences: number;
}

async function counts(model: string, version: number): Promise<Counts> {
  const { model_stats } = await oip.call('ModelStatistics', { name: model, version: String(version) });
  const s = model_stats[0];
  return {
    executions: Number(s.execution_count),
    inferences: Number(s.inference_count),
    hits: Number(s.inference_stats.cache_hit.count),
    misses: Number(s.inference_stats.cache_miss.count),
    success: Number(s.inference_stats.success.count),
  };
}

async function delta(model: string, version: number, action: () => Promise<unknown>): Promise<Counts> {
  const before = await counts(model, version);
  await action();
  const after = await counts(model, version);
  return {
    executions: after.executions - before.executions,
    inferences: after.inferences - before.inferences,
    hits: after.hits - before.hits,
    misses: after.misses - before.misses,
    success: after.success - before.success,
  };
}

const bytesOf = (data: ArrayLike<unknown> & { buffer?: ArrayBufferLike; byteOffset?: number; byteLength?: number }) =>
  Buffer.from(data.buffer!, data.byteOffset, data.byteLength);

const predictScale = (values: number[], options: { version?: number } = {}, model = 'scale') =>
  ts.client.predict(model, { x: { data: new Float32Array(values), dims: [values.length / 4, 4] } }, options);

async function direct(model: string, version: number, feeds: Parameters<typeof runDirect>[1]) {
  return runDirect(modelPath(repo, model, version), feeds);
}

describe('a hit is the answer a fresh run gives, byte for byte', () => {
  it('on Predict, against onnxruntime-node run directly', async () => {
    const values = [0.1, -2.5, 3.25, 1e-7];
    let miss!: Awaited<ReturnType<typeof predictScale>>;
    let hit!: Awaited<ReturnType<typeof predictScale>>;
    const d1 = await delta('scale', 1, async () => (miss = await predictScale(values, { version: 1 })));
    const d2 = await delta('scale', 1, async () => (hit = await predictScale(values, { version: 1 })));
    expect(d1).toMatchObject({ executions: 1, misses: 1, hits: 0, success: 1, inferences: 1 });
    expect(d2).toMatchObject({ executions: 0, misses: 0, hits: 1, success: 1, inferences: 0 });
    const y = (await direct('scale', 1, { x: { type: 'float32', dims: [1, 4], data: new Float32Array(values) } })).y;
    expect(bytesOf(hit.outputs.y.data as Float32Array)).toEqual(bytesOf(miss.outputs.y.data as Float32Array));
    expect(Array.from(hit.outputs.y.data as Float32Array)).toEqual(y.values);
    expect(hit.outputs.y.dims).toEqual(y.dims);
    expect(hit.modelVersion).toBe(1);
  });

  it('on ModelInfer (raw contents), ModelStreamInfer, REST and BatchPredict items', async () => {
    const values = [4, 3, 2, 1];
    const request = { model_name: 'scale', model_version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [fp32Bytes(values)] };
    const first = await oip.call('ModelInfer', request);
    const d = await delta('scale', 1, async () => {
      const again = await oip.call('ModelInfer', request);
      expect(Buffer.from(again.raw_output_contents[0])).toEqual(Buffer.from(first.raw_output_contents[0]));
      expect(again.outputs).toEqual(first.outputs);

      const stream = oip.stream();
      const answers: Message[] = [];
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (m: Message) => answers.push(m));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      stream.write({ ...request, id: 's1' });
      stream.write({ ...request, id: 's2' });
      stream.end();
      await done;
      expect(answers).toHaveLength(2);
      for (const a of answers) expect(Buffer.from(a.infer_response.raw_output_contents[0])).toEqual(Buffer.from(first.raw_output_contents[0]));

      const res = await fetch(`http://127.0.0.1:${ts.server.httpPort}/v2/models/scale/versions/1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: values }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { outputs: { data: number[] }[] };
      expect(Buffer.from(Float32Array.from(body.outputs[0].data).buffer)).toEqual(Buffer.from(first.raw_output_contents[0]));

      const items = [1, 2, 3].map((i) => ({ id: `b${i}`, model: 'scale', version: 1, inputs: { x: { data: new Float32Array(values), dims: [1, 4] } } }));
      for await (const r of ts.client.batchPredict(items)) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(bytesOf(r.result.outputs.y.data as Float32Array)).toEqual(Buffer.from(first.raw_output_contents[0]));
      }
    });
    // ModelInfer, two stream items, REST and three BatchPredict items: all hits, no run.
    expect(d).toMatchObject({ executions: 0, hits: 7, success: 7 });
  });

  it('for BYTES outputs too', async () => {
    const text = ['héllo', '', 'wörld'];
    const a = await ts.client.predict('string_echo', { text: { data: text, dims: [3] } });
    const d = await delta('string_echo', 1, async () => {
      const b = await ts.client.predict('string_echo', { text: { data: text, dims: [3] } });
      expect(b.outputs.text_out.data).toEqual(a.outputs.text_out.data);
    });
    expect(a.outputs.text_out.data).toEqual(text);
    expect(d).toMatchObject({ executions: 0, hits: 1 });
  });
});

describe('requests that differ never share an answer', () => {
  it('same bytes in another shape', async () => {
    const ids = BigInt64Array.from([1n, 2n, 3n, 4n]);
    const shapes = [
      [1, 4],
      [2, 2],
      [4, 1],
    ];
    const d = await delta('int64_ops', 1, async () => {
      for (const dims of shapes) {
        for (let i = 0; i < 2; i++) {
          const r = await ts.client.predict('int64_ops', { ids: { data: ids, dims } });
          const want = await direct('int64_ops', 1, { ids: { type: 'int64', dims, data: ids } });
          expect(r.outputs.doubled.dims).toEqual(dims);
          expect(Array.from(r.outputs.doubled.data as BigInt64Array).map(String)).toEqual(want.doubled.values.map(String));
          expect(Array.from(r.outputs.as_float.data as Float32Array)).toEqual(want.as_float.values);
        }
      }
    });
    expect(d).toMatchObject({ executions: 3, misses: 3, hits: 3 });
  });

  it('other bytes, another version, another model with the same inputs', async () => {
    const a = await predictScale([1, 2, 3, 4], { version: 1 });
    const b = await predictScale([1, 2, 3, 5], { version: 1 });
    const c = await predictScale([1, 2, 3, 4], { version: 2 });
    const u = await predictScale([1, 2, 3, 4], {}, 'uncached');
    expect(Array.from(a.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    expect(Array.from(b.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 11]);
    expect(Array.from(c.outputs.y.data as Float32Array)).toEqual([4, 7, 10, 13]);
    expect(Array.from(u.outputs.y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    // A model without response_cache never counts in the cache.
    expect(await counts('uncached', 1)).toMatchObject({ hits: 0, misses: 0, executions: 1 });
  });

  it('other outputs; no list shares the entry of every output in model order', async () => {
    const inputs = { a: { data: new Float32Array([1, 2, 3]), dims: [1, 3] }, b: { data: new Float32Array([4, 5, 6]), dims: [1, 3] } };
    const lists: (readonly string[] | undefined)[] = [['sum'], ['product'], ['product', 'sum'], undefined, ['sum', 'product']];
    const answers: string[][] = [];
    const d = await delta('multi_io', 1, async () => {
      for (const outputs of lists) {
        const r = await ts.client.predict('multi_io', inputs, outputs ? { outputs } : {});
        answers.push(Object.keys(r.outputs));
        if (r.outputs.sum) expect(Array.from(r.outputs.sum.data as Float32Array)).toEqual([5, 7, 9]);
        if (r.outputs.product) expect(Array.from(r.outputs.product.data as Float32Array)).toEqual([4, 10, 18]);
      }
    });
    expect(answers).toEqual([['sum'], ['product'], ['product', 'sum'], ['sum', 'product'], ['sum', 'product']]);
    // Four distinct output lists ran; [sum, product] is what no list resolves to, so it was a hit.
    expect(d).toMatchObject({ executions: 4, misses: 4, hits: 1 });
  });
});

it('says in the Open Inference Protocol\'s ModelConfig whether the cache is on', async () => {
  const enabled = async (name: string) => (await oip.call('ModelConfig', { name })).config.response_cache?.enable ?? false;
  expect(await enabled('scale')).toBe(true);
  expect(await enabled('uncached')).toBe(false);
});

it('evicts the least recently used answers by bytes', async () => {
  const x = (n: number) => [n, n, n, n];
  const d = await delta('small', 1, async () => {
    await predictScale(x(1), {}, 'small');
    await predictScale(x(2), {}, 'small');
    await predictScale(x(1), {}, 'small'); // hit: 1 is now the most recent
    await predictScale(x(3), {}, 'small'); // evicts 2
    await predictScale(x(1), {}, 'small'); // hit
    await predictScale(x(2), {}, 'small'); // miss: it was evicted
  });
  expect(d).toMatchObject({ hits: 2, misses: 4, executions: 4 });
  const s = await scrape(ts.server.metricsPort!);
  expect(s.value('amaas_cache_evictions_total', { model: 'small' })).toBe(2);
  expect(s.value('amaas_cache_entries', { model: 'small' })).toBe(2);
  expect(s.value('amaas_cache_bytes', { model: 'small' })).toBeLessThanOrEqual(1000);
  expect(s.value('amaas_cache_hits_total', { model: 'small', version: '1' })).toBe(2);
  // The cache families pass Prometheus' own lint (CI installs promtool; prometheus.test.ts fails without it there).
  if (PROMTOOL_BIN) {
    const { body } = await httpGet(ts.server.metricsPort!, '/metrics');
    expect(body).toContain('amaas_cache_bytes{');
    expect(promtool(['check', 'metrics'], body)).toEqual({ status: 0, output: '' });
  }
});

it('runs one inference for 100 identical concurrent requests (single flight)', async () => {
  const values = [9, 8, 7, 6];
  hold.hold();
  let all!: Promise<Awaited<ReturnType<typeof predictScale>>[]>;
  const d = await delta('scale', 1, async () => {
    all = Promise.all(Array.from({ length: 100 }, () => predictScale(values, { version: 1 })));
    await hold.waitHeld(1);
    hold.release();
    const answers = await all;
    const want = (await direct('scale', 1, { x: { type: 'float32', dims: [1, 4], data: new Float32Array(values) } })).y.values;
    for (const a of answers) expect(Array.from(a.outputs.y.data as Float32Array)).toEqual(want);
  });
  expect(hold.held()).toBe(1);
  expect(d).toMatchObject({ executions: 1, misses: 1, hits: 99, success: 100 });
});

it('never answers a request naming no version from the old default version\'s entries, under load', async () => {
  const EXPECTED: Record<number, number[]> = { 1: [3, 5, 7, 9], 2: [4, 7, 10, 13] };
  const answers: { sentAt: number; version: number }[] = [];
  const failures: string[] = [];
  let running = true;
  const client = async () => {
    while (running) {
      const sentAt = Date.now();
      try {
        const r = await predictScale([1, 2, 3, 4]);
        const y = Array.from(r.outputs.y.data as Float32Array);
        if (JSON.stringify(y) !== JSON.stringify(EXPECTED[r.modelVersion])) failures.push(`version ${r.modelVersion} answered ${y}`);
        answers.push({ sentAt, version: r.modelVersion });
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, client));
  try {
    for (const version of [1, 2, 1, 2]) {
      await ts.client.setDefaultVersion('scale', version);
      const switched = Date.now() + 1;
      await until(() => answers.filter((a) => a.sentAt >= switched).length >= 50, `answers after switching to ${version}`);
      expect(new Set(answers.filter((a) => a.sentAt >= switched).map((a) => a.version))).toEqual(new Set([version]));
    }
  } finally {
    running = false;
    await load;
  }
  expect(failures).toEqual([]);
});

it('drops a version\'s entries when it unloads', async () => {
  const twice = (n: number, version: number) => predictScale([n, n, n, n], { version }, 'twice');
  await twice(5, 1);
  await twice(6, 1);
  await twice(5, 2);
  const entries = async () => (await scrape(ts.server.metricsPort!)).value('amaas_cache_entries', { model: 'twice' });
  expect(await entries()).toBe(3);
  await ts.client.unloadModel('twice', 1);
  expect(await entries()).toBe(1);
  // Version 2's entry still answers.
  expect(await delta('twice', 2, () => twice(5, 2))).toMatchObject({ hits: 1, executions: 0 });
  // Loaded again, version 1 starts with nothing cached.
  await ts.client.loadModel('twice', 1);
  expect(await delta('twice', 1, () => twice(5, 1))).toMatchObject({ misses: 1, executions: 1 });
});
