/**
 * A submit pumps at the end of the event-loop turn, so requests submitted in one turn (one socket read held
 * them all) merge into one batch instead of the first going alone to an idle worker. The turn's end is injected
 * here and fired by hand; the last test uses the production default, setImmediate.
 */
import type { RunTask, TensorPayload } from '../../../src/pool/messages';
import { BatchRunner, DynamicBatcher, DynamicBatcherOptions } from '../../../src/scheduling/dynamic-batcher';
import type { InferenceJob } from '../../../src/scheduling/scheduler';

/** Records every run and answers it at once, as the model y = x would. */
class EchoPool implements BatchRunner {
  readonly instances = 1;
  readonly rows: number[] = [];

  async run(task: RunTask): Promise<Record<string, TensorPayload>> {
    this.rows.push(task.inputs.x.dims[0]);
    return { y: task.inputs.x };
  }
}

/** Callbacks due at the end of the turn, run when the test says the turn is over. */
class ManualTurns {
  private due: (() => void)[] = [];
  readonly schedule = (callback: () => void): void => void this.due.push(callback);
  get pending(): number {
    return this.due.length;
  }
  end(): void {
    const now = this.due;
    this.due = [];
    for (const c of now) c();
  }
}

const options = (extra: Partial<DynamicBatcherOptions> = {}): DynamicBatcherOptions => ({
  maxBatchSize: 8,
  maxQueueDelayMicroseconds: 0,
  preferredBatchSizes: [],
  maxQueueSize: 100,
  ...extra,
});

function job(value: number): InferenceJob {
  return { inputs: { x: { type: 'float32', dims: [1, 1], data: new Float32Array([value]) } }, outputNames: ['y'] };
}

it('merges the requests of one turn into one batch, launched when the turn ends', async () => {
  const pool = new EchoPool();
  const turns = new ManualTurns();
  const batcher = new DynamicBatcher(pool, options({ turnEnd: turns.schedule }));
  const answers = [1, 2, 3].map((v) => batcher.submit(job(v)));
  // Nothing went to the idle worker while the turn was still submitting, and one pump is due, not three.
  expect(pool.rows).toEqual([]);
  expect(turns.pending).toBe(1);
  turns.end();
  expect(pool.rows).toEqual([3]);
  const outputs = await Promise.all(answers);
  expect(outputs.map((o) => Array.from(o.y.data as Float32Array))).toEqual([[1], [2], [3]]);
});

it('a lone request goes at the end of its turn, without waiting for companions', async () => {
  const pool = new EchoPool();
  const turns = new ManualTurns();
  const batcher = new DynamicBatcher(pool, options({ turnEnd: turns.schedule }));
  const answer = batcher.submit(job(7));
  turns.end();
  expect(pool.rows).toEqual([1]);
  await expect(answer).resolves.toEqual({ y: expect.objectContaining({ dims: [1, 1] }) });
  // The next turn's request schedules a pump of its own.
  void batcher.submit(job(8));
  expect(turns.pending).toBe(1);
});

it('by default the turn ends with setImmediate: requests submitted in one synchronous step share a batch', async () => {
  const pool = new EchoPool();
  const batcher = new DynamicBatcher(pool, options());
  const answers = [1, 2, 3, 4].map((v) => batcher.submit(job(v)));
  expect(pool.rows).toEqual([]);
  await Promise.all(answers);
  expect(pool.rows).toEqual([4]);
});
