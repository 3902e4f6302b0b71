/**
 * The SDK's batchFile against a real server on port 0: one line per input line, in order, each equal to the
 * same row sent alone with Predict (with and without --batch-rows merging); bad rows get error lines for
 * exactly those rows; .npy columns; --resume on a first run; a checkpoint of another job is refused; a server
 * that dies mid-job leaves a checkpoint that a resumed job, on a new server, finishes from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AmaasClient, PredictResult } from '../../src/client/amaas-client';
import { DEFAULT_BATCH_ROWS, batchFile } from '../../src/client/batch-file';
import { checkpointPath } from '../../src/client/batch-checkpoint';
import { dataTypeByName } from '../../src/codec/dtypes';
import { tensorJsonValues } from '../../src/codec/json-tensor';
import { makeRepository, tempDir } from '../helpers/model-repository';
import { bytesOf, writeNpy } from '../helpers/npy-file';
import { ServerProcess, startServerProcess } from '../helpers/server-process';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';
import { WorkerHold } from '../helpers/worker-hold';

let ts: TestServer;
let dir: string;

beforeAll(async () => {
  ts = await startTestServer(await makeRepository([{ model: 'scale' }, { model: 'scale', name: 'scale_mb4', config: { max_batch_size: 4 } }, { model: 'multi_io' }, { model: 'identity_int64' }, { model: 'identity_bool' }]));
  dir = tempDir('amaas-batch-file-');
});

afterAll(async () => {
  await ts.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const readLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

/** What `amaas predict` prints for a result, as parsed JSON. */
function printed(r: PredictResult): object {
  const outputs: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(r.outputs)) {
    const data = tensorJsonValues({ name, datatype: dataTypeByName(t.datatype)!, shape: t.dims, data: t.data }).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    outputs[name] = { datatype: t.datatype, shape: t.dims, data };
  }
  return { model_name: r.modelName, model_version: r.modelVersion, outputs };
}

/** Rows of 1 to 3 batch entries each, values that differ per row. */
function scaleRows(n: number): number[][][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => [i, -i, j / 2, i * 0.25 + j]));
}

it.each([1, 16])('answers every line in order, each equal to Predict on that row alone (batchRows %i)', async (batchRows) => {
  const rows = scaleRows(300);
  const input = path.join(dir, `rows-${batchRows}.jsonl`);
  fs.writeFileSync(input, rows.map((x) => JSON.stringify({ x })).join('\n') + '\n');
  const output = path.join(dir, `out-${batchRows}.jsonl`);
  const summary = await batchFile(ts.client, { model: 'scale', input, output, batchRows, window: 8 });
  expect(summary).toMatchObject({ done: 300, total: 300, ok: 300, failed: 0, rows: 300, resumedAt: 0 });
  const lines = readLines(output);
  expect(lines.map((l) => l.line)).toEqual(rows.map((_, i) => i + 1));
  for (let i = 0; i < rows.length; i += 7) {
    const alone = await ts.client.predict('scale', { x: { data: Float32Array.from(rows[i].flat()), dims: [rows[i].length, 4] } });
    const { line, ...rest } = lines[i];
    expect(line).toBe(i + 1);
    expect(rest).toEqual(printed(alone));
  }
});

it('merges DEFAULT_BATCH_ROWS rows per request when no batchRows is given and the model batches on its first dimension', async () => {
  const input = path.join(dir, 'default-rows.jsonl');
  fs.writeFileSync(input, Array.from({ length: 2 * DEFAULT_BATCH_ROWS }, (_, i) => JSON.stringify({ x: [[i, i, i, i]] })).join('\n') + '\n');
  const requestsOf = async () => (await ts.client.getUsage()).filter((u) => u.model === 'scale').reduce((n, u) => n + u.requests, 0);
  const before = await requestsOf();
  const summary = await batchFile(ts.client, { model: 'scale', input, output: path.join(dir, 'default-rows-out.jsonl') });
  expect(summary).toMatchObject({ ok: 2 * DEFAULT_BATCH_ROWS, failed: 0 });
  // The server's own usage counts: two requests of DEFAULT_BATCH_ROWS rows each, not one per row.
  expect((await requestsOf()) - before).toBe(2);
});

it('gives error lines for exactly the bad rows (bad JSON, wrong shape, unknown input, empty), merged or not', async () => {
  const good = (i: number) => JSON.stringify({ x: [[i, i, i, i]] });
  const text = [good(1), '{"x": [[1,2', good(3), JSON.stringify({ x: [[1, 2, 3]] }), good(5), JSON.stringify({ q: [[1]] }), '', good(8), '[1,2]', good(10)];
  const input = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(input, text.join('\n'));
  for (const batchRows of [1, 4]) {
    const output = path.join(dir, `bad-out-${batchRows}.jsonl`);
    const summary = await batchFile(ts.client, { model: 'scale', input, output, batchRows });
    expect(summary).toMatchObject({ done: 10, ok: 5, failed: 5 });
    const lines = readLines(output);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lines.filter((l) => l.error).map((l) => [l.line, l.error.code])).toEqual([
      [2, 'AMAAS_ERR_INVALID_REQUEST'],
      [4, 'AMAAS_ERR_SHAPE_MISMATCH'],
      [6, 'AMAAS_ERR_INPUT_UNKNOWN'],
      [7, 'AMAAS_ERR_INVALID_REQUEST'],
      [9, 'AMAAS_ERR_INVALID_REQUEST'],
    ]);
    expect(lines[7].outputs.y.data).toEqual([17, 17, 17, 17]);
  }
});

it('a merged request the server refuses goes again row by row, so only the bad row fails', async () => {
  // scale_mb4 takes batches of at most 4: the four rows merged (8) are refused, then each alone is answered,
  // except the row of 5, which is refused on its own.
  const sizes = [1, 1, 5, 1];
  const input = path.join(dir, 'merge-retry.jsonl');
  fs.writeFileSync(input, sizes.map((n, i) => JSON.stringify({ x: Array.from({ length: n }, () => [i, i, i, i]) })).join('\n') + '\n');
  const output = path.join(dir, 'merge-retry-out.jsonl');
  const summary = await batchFile(ts.client, { model: 'scale_mb4', input, output, batchRows: 4 });
  expect(summary).toMatchObject({ done: 4, ok: 3, failed: 1 });
  const out = readLines(output);
  expect(out.map((l) => l.error?.code ?? 'ok')).toEqual(['ok', 'ok', 'AMAAS_ERR_SHAPE_MISMATCH', 'ok']);
  expect(out[3].outputs.y).toEqual({ datatype: 'FP32', shape: [1, 4], data: [7, 7, 7, 7] });
});

it('reads .npy columns (format 1.0 and 3.0, big-endian too): row i of each file is request i', async () => {
  const a = Float32Array.from({ length: 5 * 3 }, (_, i) => i);
  const bBig = Buffer.from(bytesOf(Float32Array.from({ length: 5 * 3 }, (_, i) => 10 * i))).swap32();
  const aFile = writeNpy(path.join(dir, 'a.npy'), { descr: '<f4', shape: [5, 3], data: bytesOf(a) });
  const bFile = writeNpy(path.join(dir, 'b.npy'), { descr: '>f4', shape: [5, 3], data: bBig, version: 3 });
  const output = path.join(dir, 'npy-out.jsonl');
  const summary = await batchFile(ts.client, { model: 'multi_io', input: [{ input: 'a', path: aFile }, { input: 'b', path: bFile }], output, batchRows: 2 });
  expect(summary).toMatchObject({ done: 5, ok: 5 });
  const lines = readLines(output);
  expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5]);
  expect(lines[1].outputs.sum).toEqual({ datatype: 'FP32', shape: [1, 3], data: [33, 44, 55] });
  expect(lines[4].outputs.product.data).toEqual([12 * 120, 13 * 130, 14 * 140]);

  // One input: a bare .npy path; INT64 rows of [4] become [1, 4] requests.
  const ids = BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i) * 3n);
  const idsFile = writeNpy(path.join(dir, 'ids.npy'), { descr: '<i8', shape: [2, 4], data: bytesOf(ids), version: 2 });
  await batchFile(ts.client, { model: 'identity_int64', input: idsFile, output });
  expect(readLines(output).map((l) => l.outputs.y.data)).toEqual([
    [0, 3, 6, 9],
    [12, 15, 18, 21],
  ]);

  // A file whose dtype the model does not take fails the job before it starts.
  await expect(batchFile(ts.client, { model: 'identity_bool', input: idsFile, output })).rejects.toMatchObject({ code: 'AMAAS_ERR_DATATYPE_MISMATCH' });
});

it('resume on a first run simply starts; a checkpoint of another job is refused', async () => {
  const input = path.join(dir, 'first.jsonl');
  fs.writeFileSync(input, scaleRows(20).map((x) => JSON.stringify({ x })).join('\n') + '\n');
  const output = path.join(dir, 'first-out.jsonl');
  fs.writeFileSync(output, 'left over from something else\n');
  const summary = await batchFile(ts.client, { model: 'scale', input, output, resume: true });
  expect(summary).toMatchObject({ done: 20, ok: 20, resumedAt: 0 });
  expect(readLines(output).map((l) => l.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(JSON.parse(fs.readFileSync(checkpointPath(output), 'utf8'))).toMatchObject({ lines: 20, complete: true });

  const other = path.join(dir, 'other.jsonl');
  fs.writeFileSync(other, '{"x": [[1,2,3,4]]}\n');
  await expect(batchFile(ts.client, { model: 'scale', input: other, output, resume: true })).rejects.toThrow(/belongs to another job/);
  // Without resume the job starts over, and its checkpoint describes the new output.
  await batchFile(ts.client, { model: 'scale', input: other, output });
  expect(readLines(output)).toHaveLength(1);
  expect(JSON.parse(fs.readFileSync(checkpointPath(output), 'utf8'))).toMatchObject({ lines: 1, complete: true });
});

it('refuses batchRows > 1 for a model without a batch dimension', async () => {
  const input = path.join(dir, 'first.jsonl');
  const ts2 = await startTestServer(await makeRepository([{ model: 'fixed_shape' }]));
  try {
    await expect(batchFile(ts2.client, { model: 'fixed_shape', input, output: path.join(dir, 'fixed.jsonl'), batchRows: 2 })).rejects.toThrow(/variable first \(batch\) dimension/);
  } finally {
    await ts2.stop();
  }
});

it('when the server dies mid-job, the answered lines are checkpointed and resume finishes the file', async () => {
  const repo = await makeRepository([{ model: 'scale' }]);
  const hold = new WorkerHold();
  const rows = scaleRows(400);
  const input = path.join(dir, 'dies.jsonl');
  fs.writeFileSync(input, rows.map((x) => JSON.stringify({ x })).join('\n') + '\n');
  const output = path.join(dir, 'dies-out.jsonl');
  let first: ServerProcess | undefined = await startServerProcess(['--model-repository', repo], hold.env);
  const client = new AmaasClient(first.address);
  try {
    let done = 0;
    // One row per request, so the job is still running when the worker is held (merged, 400 rows are few requests).
    const job = batchFile(client, { model: 'scale', input, output, batchRows: 1, window: 4, checkpointMs: 1, onProgress: (p) => (done = p.done) });
    const failed = expect(job).rejects.toThrow(/run again with resume/);
    await until(() => done >= 50, '50 lines done');
    hold.hold();
    await hold.waitHeld(1);
    first.child.kill('SIGKILL');
    await first.exited;
    first = undefined;
    await failed;
    const checkpointed = (JSON.parse(fs.readFileSync(checkpointPath(output), 'utf8')) as { lines: number }).lines;
    expect(checkpointed).toBeGreaterThanOrEqual(50);
    expect(checkpointed).toBeLessThan(rows.length);
  } finally {
    client.close();
    first?.child.kill('SIGKILL');
    hold.cleanup();
  }
  const second = await startServerProcess(['--model-repository', repo]);
  const client2 = new AmaasClient(second.address);
  try {
    const summary = await batchFile(client2, { model: 'scale', input, output, resume: true });
    expect(summary).toMatchObject({ done: 400, ok: 400, failed: 0 });
    expect(summary.resumedAt).toBeGreaterThanOrEqual(50);
    const lines = readLines(output);
    expect(lines.map((l) => l.line)).toEqual(rows.map((_, i) => i + 1));
    lines.forEach((l, i) => expect(l.outputs.y.data).toEqual(rows[i].flat().map((v) => 2 * Math.fround(v) + 1)));
  } finally {
    client2.close();
    second.child.kill('SIGTERM');
    await second.exited;
    fs.rmSync(repo, { recursive: true, force: true });
  }
}, 180_000);
