/**
 * A real Prometheus server (Debian's `prometheus` package, installed by scripts/install-test-deps.sh) on a free
 * loopback port, with its own temp TSDB and a generated config that scrapes the given targets every second.
 * Tests query it over its HTTP API like an operator's Grafana would.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where a Debian install puts the binaries; PATH is tried first. */
function findTool(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const onPath = found.status === 0 ? found.stdout.trim() : '';
  if (onPath) return onPath;
  const debian = `/usr/bin/${name}`;
  return fs.existsSync(debian) ? debian : undefined;
}

export const PROMETHEUS_BIN = findTool('prometheus');
export const PROMTOOL_BIN = findTool('promtool');

/**
 * Why the Prometheus tests cannot run here, or undefined when they can. CI always has both tools (its script
 * installs them before the tests), so a skip there would be a defect; the caller prints this loudly.
 */
export function prometheusMissing(): string | undefined {
  if (PROMETHEUS_BIN && PROMTOOL_BIN) return undefined;
  return 'prometheus/promtool are not installed (run scripts/install-test-deps.sh): the real-Prometheus tests are SKIPPED';
}

/** A free loopback port: Prometheus takes a fixed --web.listen-address, so the port is picked before it starts. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export type QueryAnswer =
  | { status: 'success'; data: { resultType: string; result: PromSample[] | [number, string] } }
  | { status: 'error'; errorType: string; error: string };

export interface PrometheusServer {
  readonly url: string;
  /** Runs an instant query through /api/v1/query and returns Prometheus' answer as it came (errors included). */
  query(expr: string): Promise<QueryAnswer>;
  /** An instant query that must succeed and return a vector; its samples. */
  vector(expr: string): Promise<PromSample[]>;
  /** Prometheus' stdout and stderr so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
}

export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<PrometheusServer> {
  if (!PROMETHEUS_BIN) throw new Error(prometheusMissing());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: targets.map((t) => ({ job_name: t.job, static_configs: [{ targets: [t.address] }] })),
  };
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      // Debian's default console paths point into /etc/prometheus; the tests need no consoles.
      `--web.console.templates=${dir}`,
      `--web.console.libraries=${dir}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  // If the test process dies before stop(), Prometheus must not outlive it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const query = async (expr: string): Promise<QueryAnswer> => {
    const res = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return (await res.json()) as QueryAnswer;
  };

  try {
    // Bounded: only a hang or a start failure ends it, never a slow machine's ordinary start.
    const giveUp = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`prometheus exited during start:\n${output}`);
      if (Date.now() > giveUp) throw new Error(`prometheus was not ready after 60 s:\n${output}`);
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    query,
    async vector(expr) {
      const answer = await query(expr);
      if (answer.status !== 'success') throw new Error(`query ${expr} failed: ${answer.errorType}: ${answer.error}`);
      if (answer.data.resultType !== 'vector') throw new Error(`query ${expr} gave a ${answer.data.resultType}, not a vector`);
      return answer.data.result as PromSample[];
    },
    log: () => output,
    stop,
  };
}
