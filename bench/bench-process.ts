/** What the bench scripts that start `amaas serve` themselves share: their flags, and the server's address. */
import type { ChildProcess } from 'node:child_process';

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
