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

/** A fresh repository with mlp_large (25 MB, 6.3M parameters) as version 1 and the given model config. */
export async function mlpLargeRepository(config: object): Promise<string> {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-lifecycle-'));
  await writeModelRepository(repo, [{ model: 'mlp_large', config }]);
  return repo;
}

/** Starts `amaas serve` in explicit mode with nothing loaded, so the bench decides when the model loads. */
export function startChildServer(repo: string): Promise<ChildServer> {
  const cli = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');
  const child = spawn(process.execPath, [cli, 'serve', '--model-repository', repo, '--port', '0', '--model-control-mode', 'explicit'], {
    env: { ...process.env, AMAAS_LOG_LEVEL: 'warn' },
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
