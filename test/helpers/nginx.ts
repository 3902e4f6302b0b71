/**
 * Debian's nginx (installed by scripts/install-test-deps.sh) with the shipped deploy/nginx/amaas.conf, rendered
 * for loopback: the upstream's `server amaas-N:50051` lines become the given replicas, `listen 8080` a free port,
 * and the access log, temp paths, pid file and prefix live in a temp folder, so nothing needs root or touches /var. It runs
 * in the foreground (daemon off) in its own process group, so stop() ends the master and its workers.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

export const SHIPPED_NGINX_CONF = path.join(PACKAGE_ROOT, 'deploy', 'nginx', 'amaas.conf');

export const NGINX_BIN: string | undefined = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'nginx'))].find((f) => {
  try {
    fs.accessSync(f, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

export function nginxMissing(): string | undefined {
  return NGINX_BIN ? undefined : 'nginx is not installed (run scripts/install-test-deps.sh)';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The shipped config with `upstreams` (host:port each) and `listenPort`; throws if the shape it edits changed. */
export function renderNginxConfig(shipped: string, upstreams: readonly string[], listenPort: number, dir: string): string {
  const serverLine = /^(\s*)server amaas-\d+:50051( [^;]*)?;\n/gm;
  const lines = shipped.match(serverLine);
  if (!lines || lines.length === 0) throw new Error('deploy/nginx/amaas.conf: no `server amaas-N:50051` lines in its upstream');
  const options = /^\s*server amaas-\d+:50051( [^;]*)?;/.exec(lines[0])![1] ?? '';
  let first = true;
  let text = shipped.replace(serverLine, (_m, indent: string) => {
    if (!first) return '';
    first = false;
    return upstreams.map((u) => `${indent}server ${u}${options};\n`).join('');
  });
  if (!/^\s*listen 8080 http2;/m.test(text)) throw new Error('deploy/nginx/amaas.conf: no `listen 8080 http2;`');
  text = text.replace(/^(\s*)listen 8080 http2;/m, `$1listen 127.0.0.1:${listenPort} http2;`);
  // /dev/stdout cannot be opened on a pipe: the log goes to a file in the temp folder.
  text = text.replace(/^(\s*)access_log \/dev\/stdout /m, `$1access_log ${path.join(dir, 'access.log')} `);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  text = text.replace(/^http \{\n/m, `http {\n${temp}\n`);
  return text;
}

/** `nginx -t` on a config file: the exit status and what nginx printed. */
export function nginxTest(configFile: string, dir: string): { status: number | null; output: string } {
  if (!NGINX_BIN) throw new Error(nginxMissing());
  const run = spawnSync(NGINX_BIN, ['-t', '-p', dir, '-c', configFile, '-g', `pid ${path.join(dir, 'nginx.pid')};`], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface NginxProcess {
  readonly address: string;
  readonly child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Renders the shipped config for `upstreams`, checks it with `nginx -t`, and starts nginx in the foreground. */
export async function startNginx(upstreams: readonly string[]): Promise<NginxProcess> {
  if (!NGINX_BIN) throw new Error(nginxMissing());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-nginx-'));
  const port = await freePort();
  const configFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(configFile, renderNginxConfig(fs.readFileSync(SHIPPED_NGINX_CONF, 'utf8'), upstreams, port, dir));
  const checked = nginxTest(configFile, dir);
  if (checked.status !== 0) throw new Error(`nginx -t refused the rendered config:\n${checked.output}`);
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', configFile, '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')};`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Listening once a TCP connect succeeds (bounded only to catch a hang).
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || i > 300) {
      await stop();
      throw new Error(`nginx did not start:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address: `127.0.0.1:${port}`, child, stderr: () => err, stop };
}
