/**
 * One Piscina pool per loaded model version: `instances` worker threads, each with its own InferenceSession.
 * The pool opens every worker's session before it reports ready, and closes by letting running tasks finish.
 */
import { Piscina } from 'piscina';
import type { PiscinaLoadBalancer } from 'piscina/dist/worker_pool/balancer';
import { AmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import { SESSION_WORKER_PATH } from '../paths';
import type { DescribeReply, ReleaseTask, RunReply, RunTask, SessionDescription, TensorPayload, WorkerConfig } from './messages';
import { fromPoolRejection, fromWorkerFailure } from './worker-errors';

const log = createLogger('pool');

/**
 * Tasks a serving worker may hold: the one it runs and the next. The next one waits in the worker's own port,
 * so the worker starts it without going back to sleep; waking a sleeping worker is one of the larger costs
 * per batch on a VM (measured on the development VM: about 10 % less server CPU per BatchPredict item).
 * A worker that dies fails both tasks it holds; each of their requests is answered with that failure.
 */
const PIPELINED_TASKS = 2;

/**
 * Least-busy worker below `limit.tasks` (null keeps the task in Piscina's queue). The limit is 1 while the
 * pool opens and closes: 'describe' and 'release' must reach every worker once, and a worker holding two of
 * them would leave another worker without one.
 */
function leastBusyBelow(limit: { tasks: number }): PiscinaLoadBalancer {
  return (_task, workers) => {
    let best: (typeof workers)[number] | null = null;
    for (const w of workers) {
      if (w.currentUsage < limit.tasks && (best === null || w.currentUsage < best.currentUsage)) best = w;
    }
    return best;
  };
}

export class SessionPool {
  private closing = false;

  private constructor(
    private readonly piscina: Piscina,
    readonly description: SessionDescription,
    readonly instances: number,
    /** The balancer's task limit per worker: PIPELINED_TASKS while serving, 1 while closing. */
    private readonly limit: { tasks: number },
  ) {}

  /**
   * Starts the workers and waits until each has opened its session; rejects with the load failure otherwise.
   * `onWorkerReplaced`: told each time a worker of the open pool dies and Piscina starts another in its place.
   */
  static async open(config: WorkerConfig, instances: number, label: string, onWorkerReplaced?: () => void): Promise<SessionPool> {
    const limit = { tasks: 1 };
    const piscina = new Piscina({
      filename: SESSION_WORKER_PATH,
      minThreads: instances,
      maxThreads: instances,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: PIPELINED_TASKS,
      loadBalancer: leastBusyBelow(limit),
      // Piscina's own run/wait histograms are unused (ModelStatistics keeps amaas's timings) and cost per task.
      recordTiming: false,
      workerData: config,
      // Node's default is the process's real environment; naming this module's process.env lets a test that runs
      // the server in-process (jest gives each test file its own copy) reach the workers' test hook.
      env: process.env,
    });
    // A worker that dies outside a task is replaced by Piscina; without a listener the error would be fatal.
    piscina.on('error', (err: Error) => log.error('worker error; Piscina replaces the worker', { model: label, error: err.message }));
    try {
      // One describe per worker: each waits for its own session, so all sessions are open before we return.
      const replies: DescribeReply[] = await Promise.all(
        Array.from({ length: instances }, () => piscina.run({ kind: 'describe' })),
      );
      const failed = replies.find((r) => !r.ok);
      if (failed && !failed.ok) throw fromWorkerFailure(failed);
      const first = replies[0];
      if (!first.ok) throw new AmaasError('AMAAS_ERR_INTERNAL', 'no worker described the session');
      limit.tasks = PIPELINED_TASKS;
      const pool = new SessionPool(piscina, first.description, instances, limit);
      // Piscina destroys a worker that exits or throws and keeps minThreads alive, so every destroy outside
      // close() is a replacement.
      if (onWorkerReplaced) piscina.on('workerDestroy', () => pool.closing || onWorkerReplaced());
      return pool;
    } catch (err) {
      await piscina.destroy();
      throw err instanceof AmaasError ? err : fromPoolRejection(err);
    }
  }

  /** Runs one task; `transferList` names the input buffers to move into the worker (they are detached here). */
  async run(task: RunTask, transferList: ArrayBuffer[]): Promise<Record<string, TensorPayload>> {
    let reply: RunReply;
    try {
      reply = await this.piscina.run(task, { transferList });
    } catch (err) {
      throw fromPoolRejection(err);
    }
    if (!reply.ok) throw fromWorkerFailure(reply);
    return reply.outputs;
  }

  /**
   * Lets running tasks finish, has every worker release its session (native memory is not reliably freed by
   * terminating the thread), then terminates the workers. Call it once the scheduler has drained.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.limit.tasks = 1;
    const arrived = new SharedArrayBuffer(4);
    const workers = this.piscina.threads.length;
    const task: ReleaseTask = { kind: 'release', arrived, workers };
    try {
      await Promise.all(Array.from({ length: workers }, () => this.piscina.run(task)));
    } catch (err) {
      log.warn('a worker did not release its session before closing', { error: (err as Error).message });
    }
    await this.piscina.close();
  }

  /** Worker threads alive now (Piscina replaces dead ones). */
  get threadCount(): number {
    return this.piscina.threads.length;
  }

  /** The worker threads themselves: for tests that kill one to prove it is replaced. */
  get threads(): readonly import('node:worker_threads').Worker[] {
    return this.piscina.threads;
  }
}
