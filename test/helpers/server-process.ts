/**
 * Runs `amaas serve` as a real process (node on the built entry point, as containers and process managers
 * do, so signals reach it) and learns its address from the line it prints once serving.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

export const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'amaas.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** Everything the process wrote to stderr so far (its log). */
  stderr(): string;
  /** Everything the process wrote to stdout so far (the serving lines; the audit trail when audit.file is unset). */
  stdout(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

export function startServerProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    // No shutdown delay unless a test asks for one: nothing balances across these processes.
    env: { ...process.env, AMAAS_LOG_LEVEL: 'info', AMAAS_SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s; log:\n${err}`));
    }, 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /amaas serving on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1], stderr: () => err, stdout: () => out, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving; log:\n${err}`));
    });
  });
}
