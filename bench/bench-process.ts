/** What the bench scripts that start `amaas serve` themselves share: their flags, and the server's address. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** The value after `name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The host:port an `amaas serve` child prints once it serves; rejects if it exits first. */
export function waitForAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /amaas serving on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

/** Stops an `amaas serve` child (SIGTERM, then waits for it to exit) and removes the folders made for it. */
export async function stopServer(child: ChildProcess, ...dirs: string[]): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

/** Runs a bench script's main: a failure prints its stack and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
