/**
 * `amaas batch` as a process (node dist/src/cli/amaas.js), against a real server on port 0: killed with SIGKILL
 * at a random point and run again with --resume, it leaves exactly the file an uninterrupted run writes; bad
 * rows make it exit 65 unless --allow-failures.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkpointPath } from '../../src/client/batch-checkpoint';
import { makeRepository, tempDir } from '../helpers/model-repository';
import { CLI } from '../helpers/server-process';
import { TestServer, startTestServer } from '../helpers/test-server';
import { until } from '../helpers/until';
import { WorkerHold } from '../helpers/worker-hold';

const execFileP = promisify(execFile);
const ROWS = 3000;
const hold = new WorkerHold();
let ts: TestServer;
let dir: string;
let input: string;

/** Line i: one scale row of four values that differ from line to line. */
function rowsFile(file: string, rows: number, bad: ReadonlySet<number> = new Set()): void {
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) lines.push(bad.has(i) ? '{"x": [[1, 2' : JSON.stringify({ x: [[i, -i, i / 4, (i % 7) - 3]] }));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  hold.install();
  ts = await startTestServer(await makeRepository([{ model: 'scale' }]));
  dir = tempDir('amaas-batch-e2e-');
  input = path.join(dir, 'rows.jsonl');
  rowsFile(input, ROWS);
});

afterAll(async () => {
  hold.cleanup();
  await ts.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const batch = (...args: string[]) => execFileP(process.execPath, [CLI, 'batch', '--address', ts.address, '--model', 'scale', ...args]);

function startBatch(...args: string[]): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, [CLI, 'batch', '--address', ts.address, '--model', 'scale', ...args], { stdio: 'ignore' });
  return { child, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code))) };
}

function checkpointLines(output: string): number {
  try {
    return (JSON.parse(fs.readFileSync(checkpointPath(output), 'utf8')) as { lines: number }).lines;
  } catch {
    return 0; // not written yet, or being replaced
  }
}

it('SIGKILL at a random point, then --resume, gives exactly the file of an uninterrupted run', async () => {
  const reference = path.join(dir, 'reference.jsonl');
  await batch('--input', input, '--output', reference, '--window', '32');
  const referenceText = fs.readFileSync(reference, 'utf8');
  expect(referenceText.split('\n')).toHaveLength(ROWS + 1);

  const output = path.join(dir, 'killed.jsonl');
  const target = 20 + Math.floor(Math.random() * 300);
  // One request in flight, a checkpoint every few ms: the run advances in small steps to be cut at `target`.
  const run = startBatch('--input', input, '--output', output, '--window', '1', '--checkpoint-ms', '5');
  await until(() => checkpointLines(output) >= target, `a checkpoint past line ${target}`, 150_000);
  // Hold the workers so the run cannot finish before the kill, whatever the machine's speed.
  hold.hold();
  await hold.waitHeld(1);
  run.child.kill('SIGKILL');
  expect(await run.exited).toBe('SIGKILL');
  hold.release();
  const checkpointed = checkpointLines(output);
  expect(checkpointed).toBeGreaterThanOrEqual(target);
  expect(checkpointed).toBeLessThan(ROWS);
  // A torn last line, as a crash in the middle of a write leaves it: the resumed run must drop it.
  fs.appendFileSync(output, '{"line": 999999, "model_na');

  const resumed = await batch('--input', input, '--output', output, '--window', '32', '--resume');
  expect(JSON.parse(resumed.stdout)).toMatchObject({ lines: ROWS, ok: ROWS, failed: 0, resumed_at: checkpointed, rows: ROWS - checkpointed });
  expect(fs.readFileSync(output, 'utf8')).toBe(referenceText);

  // Resuming a complete job writes nothing more.
  const again = await batch('--input', input, '--output', output, '--resume');
  expect(JSON.parse(again.stdout)).toMatchObject({ lines: ROWS, rows: 0 });
  expect(fs.readFileSync(output, 'utf8')).toBe(referenceText);
}, 300_000);

it('exits 65 when rows failed, 0 with --allow-failures, and writes error lines for exactly those rows', async () => {
  const bad = new Set([2, 7, 8]);
  const file = path.join(dir, 'bad.jsonl');
  rowsFile(file, 10, bad);
  const output = path.join(dir, 'bad-out.jsonl');
  await expect(batch('--input', file, '--output', output)).rejects.toMatchObject({ code: 65 });
  const lines = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(lines.filter((l) => l.error).map((l) => l.line)).toEqual([2, 7, 8]);
  expect(lines[1].error.code).toBe('AMAAS_ERR_INVALID_REQUEST');
  const { stdout } = await batch('--input', file, '--output', output, '--allow-failures');
  expect(JSON.parse(stdout)).toMatchObject({ lines: 10, ok: 7, failed: 3 });
});

it('a job that cannot start exits non-zero with the error code', async () => {
  await expect(batch('--input', input, '--output', path.join(dir, 'x.jsonl'), '--model', 'nope')).rejects.toMatchObject({
    code: 5,
    stderr: expect.stringContaining('AMAAS_ERR_MODEL_NOT_FOUND'),
  });
});
