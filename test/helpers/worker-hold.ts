/**
 * The test side of workers/test-hold.ts: hold every worker of servers started with `env` (a server process) or
 * after `install()` (an in-process server: worker threads copy process.env when they start), and learn how many
 * runs are being held. Waits are bounded only to catch hangs; nothing here measures time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './model-repository';
import { until } from './until';

export class WorkerHold {
  readonly dir = tempDir('amaas-hold-');
  private readonly gate = path.join(this.dir, 'hold');

  /** The environment a server process needs for the hook. */
  get env(): NodeJS.ProcessEnv {
    return { AMAAS_TEST_HOLD_DIR: this.dir };
  }

  /** For in-process servers: call before the server starts its workers. */
  install(): void {
    process.env.AMAAS_TEST_HOLD_DIR = this.dir;
  }

  /** From now on, every run waits in its worker until release(). */
  hold(): void {
    for (const f of fs.readdirSync(this.dir)) if (f.startsWith('held-')) fs.rmSync(path.join(this.dir, f));
    fs.writeFileSync(this.gate, '');
  }

  release(): void {
    fs.rmSync(this.gate, { force: true });
  }

  /** Runs that have reached a worker while held, since this hold was made. */
  held(): number {
    return fs.readdirSync(this.dir).filter((f) => f.startsWith('held-')).length;
  }

  /** Waits until `count` runs have reached a worker and are held. */
  async waitHeld(count: number): Promise<void> {
    await until(() => this.held() >= count, `${count} held runs`);
  }

  cleanup(): void {
    this.release();
    if (process.env.AMAAS_TEST_HOLD_DIR === this.dir) delete process.env.AMAAS_TEST_HOLD_DIR;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
