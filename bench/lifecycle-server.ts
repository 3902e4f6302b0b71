/** Shared by the lifecycle benches: a repository holding mlp_large, and `amaas serve` on it as a child process. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { writeModelRepository } from '../tools/modelgen/repository-writer';

export interface ChildServer {
  readonly child: ChildProcess;
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * A fresh repository with mlp_large (25 MB, 6.3M parameters) as version 1 and the given model config, plus
 * `scale` (tiny), which a bench may serve first so that the server's and its own request path are warm.
 */
export async function mlpLargeRepository(config: object): Promise<string> {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-lifecycle-'));
  await writeModelRepository(repo, [{ model: 'mlp_large', config }, { model: 'scale' }]);
  return repo;
}

/** Starts `amaas serve` in explicit mode with only `preload` loaded, so the bench decides when mlp_large loads. */
export function startChildServer(repo: string, preload: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const cli = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
  const loads = preload.flatMap((name) => ['--load-model', name]);
  const child = spawn(process.execPath, [cli, 'serve', '--model-repository', repo, '--port', '0', '--model-control-mode', 'explicit', ...loads], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /amaas serving on (\S+)/.exec(out);
      if (m) {
        resolve({
          child,
          address: m[1],
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    void exited.then(() => reject(new Error('the server exited before serving')));
  });
}
