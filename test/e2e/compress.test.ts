/**
 * `amaas quantize`, `amaas convert` and `amaas compare` as an operator runs them: real CLI processes on a
 * generated model, with the exit status a release script reads (0 pass, 3 gate failed, 1 error, 2 usage).
 */
import '../unit/modelgen/jest-realm';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI } from '../helpers/server-process';
import { denseModel, floatInput, idsInput, tempDir, writeSamples } from '../unit/artifacts/fixtures';

const run = promisify(execFile);
const amaas = (...args: string[]) => run(process.execPath, [CLI, ...args]);

const dir = tempDir('amaas-compress-cli-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const original = path.join(dir, 'dense.onnx');
fs.writeFileSync(original, denseModel());
const samples = writeSamples(path.join(dir, 'samples'), [1, 2, 3].map((s) => ({ x: floatInput(s, [2, 64]), ids: idsInput(s, [2, 4], 100) })));

async function status(p: Promise<unknown>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = (await p) as { stdout: string; stderr: string };
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('amaas quantize / convert / compare', () => {
  test('quantize, then compare with a gate it meets: JSON, exit 0', async () => {
    const out = path.join(dir, 'dense-int8.onnx');
    const q = await amaas('quantize', original, out, '--mode', 'dynamic-int8', '--reduce-range', 'off');
    expect(q.stderr).toMatch(/dynamic-int8: 3 nodes quantized, 0 left in float/);
    const r = await amaas('compare', original, out, '--samples', samples, '--gate', 'sqnr=30,top1=0.5', '--json', '--iterations', '1');
    const result = JSON.parse(r.stdout);
    expect(result.passed).toBe(true);
    expect(result.outputs.map((o: { name: string }) => o.name)).toEqual(['logits', 'embedded']);
    expect(result.outputs[0].top1Agreement).toBeGreaterThanOrEqual(0.5);
    expect(result.size.ratio).toBeLessThan(0.5);
    expect(result.timings.map((t: { batch: number }) => t.batch)).toEqual([1, 8]);
  });

  test('a gate the candidate misses exits 3 and says which output failed', async () => {
    const out = path.join(dir, 'dense-fp16.onnx');
    await amaas('convert', original, out, '--fp16');
    const r = await status(amaas('compare', original, out, '--samples', samples, '--gate', 'sqnr=200', '--iterations', '0'));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/gate: FAIL\n {2}logits: SQNR [\d.]+ dB < 200 dB/);
  });

  test('static-int8 without --calibration and convert without --fp16 are refused', async () => {
    const q = await status(amaas('quantize', original, path.join(dir, 'x.onnx'), '--mode', 'static-int8'));
    expect(q.code).toBe(1);
    expect(q.stderr).toMatch(/needs --calibration DIR/);
    const c = await status(amaas('convert', original, path.join(dir, 'y.onnx')));
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/--fp16/);
    const m = await status(amaas('quantize', original, path.join(dir, 'z.onnx'), '--mode', 'int4'));
    expect(m.code).not.toBe(0);
    expect(m.stderr).toMatch(/Allowed choices are dynamic-int8, static-int8/);
  });
});
