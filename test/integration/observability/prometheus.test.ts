/**
 * amaas against a real Prometheus server (Debian's package, installed by scripts/install-test-deps.sh): it scrapes
 * a real amaas every second while the test sends a known workload, and the counts, the latency histogram and every
 * shipped PromQL expression (deploy/prometheus/rules.yml, deploy/grafana/amaas.json) are read back over its HTTP
 * API. promtool checks the rules, the example config and amaas's /metrics output.
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type { AmaasCallError } from '../../../src/client/amaas-client';
import type { Scheduler } from '../../../src/scheduling/scheduler';
import { makeRepository } from '../../helpers/model-repository';
import { PrometheusServer, prometheusMissing, startPrometheus } from '../../helpers/prometheus-server';
import { parsePrometheusText } from '../../helpers/prometheus-text';
import { promtool } from '../../helpers/promtool';
import {
  RULES_FILE,
  dashboardExpressions,
  dashboardLabelValues,
  exportedSeries,
  labelNamesIn,
  metricNamesIn,
  readDashboard,
  recordedNames,
  ruleExpressions,
} from '../../helpers/shipped-promql';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';

const missing = prometheusMissing();
if (missing) {
  // CI installs both tools before the tests, so there a missing tool is a failure, never a skip.
  if (process.env.CI) throw new Error(missing);
  console.warn(`\n\n${'!'.repeat(100)}\n!!! ${missing}\n${'!'.repeat(100)}\n`);
}
const describeWithPrometheus = missing ? describe.skip : describe;

/** Generous bounds that only catch a hang: Prometheus scrapes every second. */
const SCRAPE_WAIT_MS = 60_000;
/** How long the held calls are kept in the server at least; a floor for their server-side duration. */
const HOLD_MS = 60;

describeWithPrometheus('promtool on the shipped files', () => {
  it('check rules passes on deploy/prometheus/rules.yml', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    expect(r).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('check config passes on the example deploy/prometheus/prometheus.yml (and the rules it loads)', () => {
    const r = promtool(['check', 'config', RULES_FILE.replace(/rules\.yml$/, 'prometheus.yml')]);
    expect(r).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('the dashboard is a Grafana dashboard with a datasource and a model variable', () => {
    const d = readDashboard();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['model', 'query'],
    ]);
    expect(dashboardExpressions().length).toBeGreaterThan(10);
  });
});

describeWithPrometheus('a real Prometheus scraping a real amaas', () => {
  const hold = new WorkerHold();
  let ts: TestServer;
  let prom: PrometheusServer;
  let metricsAddress: string;

  /** What the client saw, the ground truth Prometheus must reproduce. */
  const sent = { ok: 0, okRows: 0, failed: 0, refused: 0 };
  const mlpClientSeconds: number[] = [];
  let mlpHeldSeconds = 0;

  const scheduler = (model: string): Scheduler => ts.server.registry.get(model)!.versions.get(1)!.ready!.scheduler;
  const mlpInput = (rows: number) => ({ x: { data: Float32Array.from({ length: rows * 64 }, (_, j) => ((j % 17) - 8) / 8), dims: [rows, 64] } });

  async function call(model: string, rows: number, dims?: number[]): Promise<{ code: grpc.status; seconds: number }> {
    const input = mlpInput(rows);
    if (dims) input.x.dims = dims;
    const start = performance.now();
    try {
      await ts.client.predict(model, input);
      const seconds = (performance.now() - start) / 1000;
      sent.ok += 1;
      sent.okRows += rows;
      return { code: grpc.status.OK, seconds };
    } catch (err) {
      const code = (err as AmaasCallError).code;
      if (code === grpc.status.RESOURCE_EXHAUSTED) sent.refused += 1;
      else sent.failed += 1;
      return { code, seconds: (performance.now() - start) / 1000 };
    }
  }

  beforeAll(async () => {
    hold.install();
    const repo = await makeRepository([
      { model: 'mlp', config: { instances: 1 } },
      // A one-place queue, so a held burst is partly refused (amaas_refusals_total gets series).
      { model: 'mlp', name: 'mlp_tight', config: { instances: 1, max_queue_size: 1 } },
    ]);
    ts = await startTestServer(repo, { metrics_port: 0 });
    metricsAddress = `127.0.0.1:${ts.server.metricsPort}`;
    prom = await startPrometheus([{ job: 'amaas', address: metricsAddress }]);
    // One scrape before the traffic, so the series Prometheus later sees grow from a scraped start.
    await until(async () => (await scalarOf('up{job="amaas"}')) === 1, `a first scrape of ${metricsAddress}`, SCRAPE_WAIT_MS, 100);

    // 1. A held burst on mlp: every call is in the server for at least HOLD_MS, whatever the machine's speed.
    const rows = Array.from({ length: 12 }, (_, i) => (i % 4) + 1);
    hold.hold();
    const burst = rows.map((r) => call('mlp', r));
    await until(() => scheduler('mlp').queued + scheduler('mlp').running === rows.length, 'the mlp burst in the scheduler');
    const heldFrom = performance.now();
    await new Promise((r) => setTimeout(r, HOLD_MS));
    mlpHeldSeconds = (performance.now() - heldFrom) / 1000;
    hold.release();
    const outcomes = await Promise.all(burst);
    expect(outcomes.map((o) => o.code)).toEqual(rows.map(() => grpc.status.OK));
    mlpClientSeconds.push(...outcomes.map((o) => o.seconds));

    // 2. Unheld calls of one row, and a call with a wrong shape (INVALID_ARGUMENT, not counted as OK).
    for (let i = 0; i < 5; i++) expect((await call('mlp_tight', 1)).code).toBe(grpc.status.OK);
    expect((await call('mlp', 1, [1, 63])).code).toBe(grpc.status.INVALID_ARGUMENT);

    // 3. A held burst past mlp_tight's one-place queue: some calls are refused with RESOURCE_EXHAUSTED.
    hold.hold();
    const settled: grpc.status[] = [];
    const tight = Array.from({ length: 4 }, () => call('mlp_tight', 2).then((o) => (settled.push(o.code), o)));
    await until(() => scheduler('mlp_tight').queued + scheduler('mlp_tight').running + settled.length === 4, 'the tight burst admitted or refused');
    hold.release();
    await Promise.all(tight);
    expect(sent.refused).toBeGreaterThan(0);
  });

  afterAll(async () => {
    hold.release();
    await prom?.stop();
    await ts?.stop();
    hold.cleanup();
  });

  /** One number from an instant query that returns a single sample. */
  async function scalarOf(expr: string): Promise<number | undefined> {
    const samples = await prom.vector(expr);
    return samples.length === 1 ? Number(samples[0].value[1]) : undefined;
  }

  async function metricsText(): Promise<string> {
    const res = await fetch(`http://${metricsAddress}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  }

  it('promtool check metrics passes on amaas /metrics after the traffic', async () => {
    const text = await metricsText();
    expect(text).toContain('amaas_requests_total{');
    const r = promtool(['check', 'metrics'], text);
    expect(r).toEqual({ status: 0, output: '' });
  });

  it('scrapes exactly the OK calls and rows the client sent', async () => {
    const okQuery = 'sum(amaas_requests_total{code="OK"})';
    const rowsQuery = 'sum(amaas_inferences_total)';
    // The last scrape holds everything once the calls are answered; counters only grow, so wait for the figure.
    await until(
      async () => (await scalarOf(okQuery)) === sent.ok && (await scalarOf(rowsQuery)) === sent.okRows,
      `Prometheus to show ${sent.ok} OK calls and ${sent.okRows} rows (log: ${prom.log()})`,
      SCRAPE_WAIT_MS,
      250,
    );
    // 12 held mlp calls, 5 single calls and the part of the tight burst that was admitted.
    expect(sent.ok).toBeGreaterThanOrEqual(17);
    expect(await scalarOf(okQuery)).toBe(sent.ok);
    expect(await scalarOf(rowsQuery)).toBe(sent.okRows);
    expect(await scalarOf('sum(amaas_requests_total{code="OK", model="mlp"})')).toBe(12);
    expect(await scalarOf('sum(amaas_inferences_total{model="mlp"})')).toBe(1 + 2 + 3 + 4 + 1 + 2 + 3 + 4 + 1 + 2 + 3 + 4);
    // Refused calls are counted, under their own code and as refusals, never as OK.
    expect(await scalarOf('sum(amaas_requests_total{code="RESOURCE_EXHAUSTED"})')).toBe(sent.refused);
    expect(await scalarOf('sum(amaas_refusals_total{model="mlp_tight", reason="queue_full"})')).toBe(sent.refused);
  });

  it('histogram_quantile over the duration buckets lands inside the bucket bounds the client measurements allow', async () => {
    await until(async () => (await scalarOf('sum(amaas_request_duration_seconds_count{model="mlp"})')) === 12, 'the mlp durations scraped', SCRAPE_WAIT_MS, 250);
    const q = await scalarOf('histogram_quantile(0.5, sum by (le) (amaas_request_duration_seconds_bucket{model="mlp"}))');
    const bounds = (await prom.vector('count by (le) (amaas_request_duration_seconds_bucket{model="mlp"})'))
      .map((s) => Number(s.metric.le))
      .sort((a, b) => a - b);
    const sorted = [...mlpClientSeconds].sort((a, b) => a - b);
    const clientP50 = sorted[Math.ceil(sorted.length / 2) - 1];
    const clientMax = sorted[sorted.length - 1];
    // Why these bounds and not [client p50, client max]: Prometheus finds the bucket holding the median rank and
    // interpolates linearly inside it, so its answer can sit anywhere between that bucket's edges: below every
    // observation in the bucket, or above the largest. What the client does know:
    // - each call's server-side duration is at most the client's (the client's clock runs around the server's),
    //   so the server's median is at most the client's p50 and the median bucket ends at or below the first
    //   bucket edge >= client p50 (and so at or below the edge >= client max);
    // - each call stayed in the server at least the held time, so every observation, the median among them, is
    //   in a bucket that ends at or above it, and the estimate is at least the bucket edge just below it.
    const edgeAtOrAbove = (v: number) => bounds.find((b) => b >= v) ?? Infinity;
    const edgeBelow = (v: number) => [0, ...bounds].filter((b) => b < v).pop() ?? 0;
    expect(q).toBeDefined();
    expect(q!).toBeGreaterThanOrEqual(edgeBelow(mlpHeldSeconds));
    expect(q!).toBeLessThanOrEqual(edgeAtOrAbove(clientP50));
    expect(edgeAtOrAbove(clientP50)).toBeLessThanOrEqual(edgeAtOrAbove(clientMax));
    // The held time is a floor the client saw too: the bounds are consistent, so the check can fail only on amaas.
    expect(clientP50).toBeGreaterThanOrEqual(mlpHeldSeconds);
  });

  it('every PromQL expression of rules.yml and amaas.json parses on the live Prometheus and names only what amaas exports', async () => {
    const exported = exportedSeries(parsePrometheusText(await metricsText()));
    const recorded = new Set(recordedNames());
    // Prometheus itself adds `up` per target and `instance`/`job` to every scraped series.
    const known = (name: string) => exported.has(name) || recorded.has(name) || name === 'up';
    const SCRAPE_LABELS = ['instance', 'job'];
    const problems: string[] = [];
    const expressions = [...ruleExpressions(), ...dashboardExpressions()];
    for (const { where, expr } of expressions) {
      const answer = await prom.query(expr);
      if (answer.status !== 'success') problems.push(`${where}: ${answer.errorType}: ${answer.error}`);
      const names = metricNamesIn(expr);
      if (names.length === 0) problems.push(`${where}: selects no amaas metric`);
      for (const n of names) if (!known(n)) problems.push(`${where}: ${n} is not exported by amaas nor recorded by rules.yml`);
      const { grouping, matchers } = labelNamesIn(expr);
      for (const { metric, label } of matchers) {
        const family = exported.get(metric);
        if (family?.hasSamples && !family.labels.has(label) && !SCRAPE_LABELS.includes(label)) {
          problems.push(`${where}: ${metric} has no label ${label}`);
        }
      }
      // Grouping labels must exist on some selected series; only checkable when every selected family has samples.
      const families = names.map((n) => exported.get(n));
      if (families.every((f) => f?.hasSamples)) {
        const labels = new Set([...SCRAPE_LABELS, ...families.flatMap((f) => [...f!.labels])]);
        for (const l of grouping) if (!labels.has(l)) problems.push(`${where}: groups by ${l}, which ${names.join(', ')} lack`);
      }
    }
    for (const { variable, metric, label } of dashboardLabelValues()) {
      if (!exported.get(metric)?.labels.has(label)) problems.push(`amaas.json variable ${variable}: ${metric} has no label ${label}`);
    }
    expect(problems).toEqual([]);
  });
});
