/**
 * Warm-up against the real server. The generated warm-up is best effort: a version whose generated requests
 * all fail is still READY, carries a note in metadata and ListModels, logs a warning, and answers real requests
 * exactly as onnxruntime run directly does. A sample the user put in warmup/ that fails still fails the load.
 * The models reflect-pad a [batch, samples] waveform: reflect_pad runs for 16 samples but not for 1 (the first
 * try is enough), reflect_pad_wide needs more than 20 (both generated tries fail).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseLogLines } from '../helpers/log-lines';
import { makeRepository, modelPath } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { TestServer, startTestServer } from '../helpers/test-server';

let repo: string;
let ts: TestServer;
const logged: string[] = [];
const logLevel = process.env.AMAAS_LOG_LEVEL;

const waveform = (rows: number, samples: number) => Float32Array.from({ length: rows * samples }, (_, i) => Math.sin(i / 3) * 2);
const sample = (samples: number) => ({ x: [Array.from(waveform(1, samples))] });

function writeSample(model: string, file: string, body: object): void {
  fs.mkdirSync(path.join(repo, model, '1', 'warmup'), { recursive: true });
  fs.writeFileSync(path.join(repo, model, '1', 'warmup', file), JSON.stringify(body));
}

beforeAll(async () => {
  repo = await makeRepository([
    { model: 'reflect_pad', name: 'pad_narrow' },
    { model: 'reflect_pad_wide', name: 'pad_wide' },
    { model: 'reflect_pad_wide', name: 'pad_short_sample' },
    { model: 'reflect_pad_wide', name: 'pad_long_sample' },
  ]);
  writeSample('pad_short_sample', 'short.json', sample(8));
  writeSample('pad_long_sample', 'long.json', sample(32));
  // The warning goes to the server log (stderr) at warn level; keep those lines to look for it.
  process.env.AMAAS_LOG_LEVEL = 'warn';
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  ts = await startTestServer(repo);
});

afterAll(async () => {
  await ts.stop();
  jest.restoreAllMocks();
  if (logLevel === undefined) delete process.env.AMAAS_LOG_LEVEL;
  else process.env.AMAAS_LOG_LEVEL = logLevel;
  await releaseDirectSessions();
});

async function expectSameAsDirect(model: string, rows: number, samples: number): Promise<void> {
  const data = waveform(rows, samples);
  const expected = await runDirect(modelPath(repo, model), { x: { type: 'float32', dims: [rows, samples], data } });
  const result = await ts.client.predict(model, { x: { data, dims: [rows, samples] } });
  expect(result.outputs.y.dims).toEqual(expected.y.dims);
  expect(values(result.outputs.y.data)).toEqual(expected.y.values);
}

it('a model whose generated warm-up fails for both tries is READY with a note, and serves real input correctly', async () => {
  const m = await ts.client.getModelMetadata('pad_wide');
  expect(m.versions).toHaveLength(1);
  expect(m.versions[0]).toMatchObject({ version: 1, state: 'READY', reason: '', executionProvider: 'cpu' });
  expect(m.versions[0].notes).toHaveLength(1);
  const [note] = m.versions[0].notes;
  expect(note).toMatch(/^generated warm-up failed; the version serves without it/);
  expect(note).toMatch(
    /generated \(dynamic dimensions 16, batch 1\): onnxruntime failed to run the model: .*Pad.*; generated \(dynamic dimensions 1\): onnxruntime failed to run the model: .*Pad/,
  );
  expect(note).not.toContain(repo);
  // The session that failed both tries is the one that serves: it answers as onnxruntime does, run after run.
  for (const [rows, samples] of [
    [1, 21],
    [2, 100],
    [3, 333],
  ]) {
    await expectSameAsDirect('pad_wide', rows, samples);
  }
  // Too short a request fails on its own, and the version keeps serving.
  await expect(ts.client.predict('pad_wide', { x: { data: waveform(1, 16), dims: [1, 16] } })).rejects.toMatchObject({
    errorCode: 'AMAAS_ERR_RUNTIME_FAILURE',
  });
  await expectSameAsDirect('pad_wide', 1, 50);
});

it('ListModels shows the note too, and the server log has a warning naming the model and version', async () => {
  const models = await ts.client.listModels();
  const wide = models.find((m) => m.name === 'pad_wide')!;
  expect(wide.versions[0].notes).toEqual((await ts.client.getModelMetadata('pad_wide')).versions[0].notes);
  const warning = parseLogLines(logged.join('')).find(
    (l) => l.level === 'warn' && l.module === 'repository' && l.msg.startsWith('generated warm-up failed') && l.model === 'pad_wide' && l.version === 1,
  );
  expect(warning).toBeDefined();
  expect(warning!.msg).toMatch(/Pad/);
});

it('the first generated try (dynamic dimensions 16) warms a model that fails with all-1: READY with no note', async () => {
  const m = await ts.client.getModelMetadata('pad_narrow');
  expect(m.versions[0]).toMatchObject({ version: 1, state: 'READY', reason: '', notes: [] });
  expect(parseLogLines(logged.join('')).some((l) => /generated warm-up failed/.test(l.msg) && l.model === 'pad_narrow')).toBe(false);
  await expectSameAsDirect('pad_narrow', 2, 16);
});

it('a warm-up sample that fails still fails the load, with the reason; one that runs warms a READY version', async () => {
  const short = await ts.client.getModelMetadata('pad_short_sample');
  expect(short.versions[0]).toMatchObject({ version: 1, state: 'UNAVAILABLE', executionProvider: '', notes: [] });
  expect(short.versions[0].reason).toMatch(/^warm-up failed: short\.json request: onnxruntime failed to run the model: .*Pad/);
  expect(short.versions[0].reason).not.toContain(repo);
  await expect(ts.client.predict('pad_short_sample', { x: { data: waveform(1, 64), dims: [1, 64] } })).rejects.toMatchObject({
    code: grpc.status.UNAVAILABLE,
    errorCode: 'AMAAS_ERR_MODEL_UNAVAILABLE',
  });

  // The sample runs after the generated warm-up failed; the note still says the generated one did not.
  const long = await ts.client.getModelMetadata('pad_long_sample');
  expect(long.versions[0]).toMatchObject({ version: 1, state: 'READY', reason: '' });
  expect(long.versions[0].notes).toEqual([expect.stringMatching(/^generated warm-up failed/)]);
  await expectSameAsDirect('pad_long_sample', 1, 32);
});
