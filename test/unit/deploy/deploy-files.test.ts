/**
 * The deployment files, checked by real tools where they exist here and against the code where they do not:
 *  - deploy/k8s/*.yaml against the Kubernetes, KEDA and prometheus-operator JSON schemas (kubernetes-models'
 *    ajv validators); the KServe ClusterServingRuntime (no schema package) field by field;
 *  - the rendered deploy/nginx/amaas.conf with `nginx -t`, deploy/compose/prometheus.yml with `promtool`;
 *  - what must agree with the code: the config keys (the ConfigMap's amaas.yaml goes through the real
 *    validator), ports, probe service names, the shutdown budget, metric names, the compose services that
 *    nginx and Prometheus name, and the Dockerfile running node as PID 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { SERVER_HEALTH_NAMES } from '../../../src/api/health/health-status';
import { resolveServerConfig } from '../../../src/config/schema';
import { PACKAGE_ROOT } from '../../../src/paths';
import { NGINX_BIN, nginxTest, renderNginxConfig } from '../../helpers/nginx';
import { promtool } from '../../helpers/promtool';
import { PROMTOOL_BIN } from '../../helpers/prometheus-server';

const file = (...p: string[]) => path.join(PACKAGE_ROOT, ...p);
const read = (...p: string[]) => fs.readFileSync(file(...p), 'utf8');
const docs = (...p: string[]) => YAML.parseAllDocuments(read(...p)).map((d) => d.toJSON());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const MODELS: Record<string, new (o: Any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const k8sFiles = ['config.yaml', 'deployment.yaml', 'service.yaml', 'pdb.yaml', 'hpa.yaml', 'servicemonitor.yaml', 'keda/scaled-object.yaml'];
const all = k8sFiles.flatMap((f) => docs('deploy', 'k8s', f).map((d) => ({ file: f, doc: d as Any })));
const find = (kind: string, name?: string) => all.find((o) => o.doc.kind === kind && (name === undefined || o.doc.metadata.name === name))!.doc;
const amaasConfig = () => YAML.parse(find('ConfigMap').data['amaas.yaml']);

it('every Kubernetes object is valid against its JSON schema', () => {
  expect(all.length).toBeGreaterThanOrEqual(8);
  for (const { file: f, doc } of all) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect([f, doc.kind, Model !== undefined]).toEqual([f, doc.kind, true]);
    expect(() => new Model(doc).validate()).not.toThrow();
  }
});

it('the ConfigMap holds a config the server accepts, and the Deployment agrees with it', () => {
  const raw = amaasConfig();
  const config = resolveServerConfig({ model_repository: '/models', ...raw });
  const deployment = find('Deployment');
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];
  const port = (name: string) => c.ports.find((p: Any) => p.name === name).containerPort;
  expect(port('grpc')).toBe(config.port);
  expect(port('http')).toBe(config.httpPort);
  expect(port('metrics')).toBe(config.metricsPort);
  expect(c.args).toEqual(expect.arrayContaining(['serve', '--config', '/etc/amaas/amaas.yaml', '--model-repository', '/models']));
  // The tenants file the config names is where the Secret is mounted.
  const tenantsMount = c.volumeMounts.find((m: Any) => m.name === 'tenants').mountPath;
  expect(raw.auth.tenants_file.startsWith(`${tenantsMount}/`)).toBe(true);
  // Native gRPC probes on the gRPC port, asking for names the server's health service knows.
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
    expect(probe.grpc.port).toBe(config.port);
    expect(SERVER_HEALTH_NAMES).toContain(probe.grpc.service);
  }
  expect(c.readinessProbe.grpc.service).not.toBe('');
  // Readiness notices NOT_SERVING within the shutdown delay.
  expect(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold * 1000).toBeLessThan(config.shutdownDelayMs);
  // The kubelet waits for preStop, the shutdown delay and the drain before it would SIGKILL.
  const preStopSeconds = Number(c.lifecycle.preStop.exec.command[1]);
  expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopSeconds * 1000 + config.shutdownDelayMs + config.drainTimeoutMs);
  // Non-root, read-only root filesystem, resources.
  expect(pod.securityContext.runAsNonRoot).toBe(true);
  expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
  expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
  expect(c.volumeMounts.map((m: Any) => m.mountPath)).toContain('/tmp');
  expect(c.resources.requests.cpu).toBeDefined();
  expect(c.resources.limits.memory).toBeDefined();
});

it('the Services, PDB, autoscalers and ServiceMonitor select the Deployment and name its ports', () => {
  const labels = find('Deployment').spec.template.metadata.labels;
  const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const amaas = find('Service', 'amaas');
  const headless = find('Service', 'amaas-headless');
  expect(selects(amaas.spec.selector)).toBe(true);
  expect(selects(headless.spec.selector)).toBe(true);
  expect(headless.spec.clusterIP).toBe('None');
  expect(headless.spec.ports.map((p: Any) => p.port)).toEqual([amaasConfig().port]);
  expect(selects(find('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
  expect(find('HorizontalPodAutoscaler').spec.scaleTargetRef.name).toBe(find('Deployment').metadata.name);
  expect(find('ScaledObject').spec.scaleTargetRef.name).toBe(find('Deployment').metadata.name);
  const monitor = find('ServiceMonitor');
  expect(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => amaas.metadata.labels[k] === v)).toBe(true);
  expect(amaas.spec.ports.map((p: Any) => p.name)).toContain(monitor.spec.endpoints[0].port);
});

it('KEDA scales on metrics amaas exports (docs/metrics.md)', () => {
  const metricsDoc = read('docs', 'metrics.md');
  const query: string = find('ScaledObject').spec.triggers.find((t: Any) => t.type === 'prometheus').metadata.query;
  const names = query.match(/amaas_[a-z_]+/g)!;
  expect(names.length).toBeGreaterThan(0);
  for (const n of names) expect(metricsDoc).toContain(`\`${n}\``);
});

it('the KServe ClusterServingRuntime serves onnx over v2 and grpc-v2 with flags the CLI has', () => {
  const [runtime] = docs('deploy', 'kserve', 'cluster-serving-runtime.yaml') as Any[];
  expect(runtime.apiVersion).toBe('serving.kserve.io/v1alpha1');
  expect(runtime.kind).toBe('ClusterServingRuntime');
  expect(runtime.spec.supportedModelFormats.map((f: Any) => f.name)).toContain('onnx');
  expect(runtime.spec.protocolVersions).toEqual(expect.arrayContaining(['v2', 'grpc-v2']));
  const c = runtime.spec.containers[0];
  expect(c.name).toBe('kserve-container');
  const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1];
  expect(arg('--model-repository')).toBe('/mnt/models');
  expect(Number(arg('--http-port'))).toBe(c.ports[0].containerPort);
  const cli = read('src', 'cli', 'amaas.ts');
  for (const flag of c.args.filter((a: string) => a.startsWith('--'))) expect(cli).toContain(`'${flag}`);
});

it('docker-compose.yml runs three replicas behind nginx, with Prometheus and Grafana on the shipped files', () => {
  const compose = YAML.parse(read('docker-compose.yml'), { merge: true });
  const replicas = Object.keys(compose.services).filter((s) => /^amaas-\d+$/.test(s));
  expect(replicas).toHaveLength(3);
  const nginxConf = read('deploy', 'nginx', 'amaas.conf');
  const upstreams = [...nginxConf.matchAll(/^\s*server (amaas-\d+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
  expect(upstreams.sort()).toEqual(replicas.map((r) => `${r}:50051`).sort());
  for (const r of replicas) {
    const s = compose.services[r];
    const arg = (flag: string) => s.command[s.command.indexOf(flag) + 1];
    expect(arg('--port')).toBe('50051');
    expect(arg('--metrics-port')).toBe('8002');
    // Docker's stop grace outlasts the shutdown delay plus the (default) drain timeout.
    const grace = Number(/^(\d+)s$/.exec(s.stop_grace_period)![1]) * 1000;
    const defaults = resolveServerConfig({ model_repository: '/models' });
    expect(grace).toBeGreaterThan(Number(s.environment.AMAAS_SHUTDOWN_DELAY_MS) + defaults.drainTimeoutMs);
  }
  expect(compose.services.nginx.volumes).toContain('./deploy/nginx/amaas.conf:/etc/nginx/nginx.conf:ro');
  expect(compose.services.nginx.ports).toEqual(['50051:8080']);
  expect(compose.services.grafana.volumes).toContain('./deploy/grafana/amaas.json:/var/lib/grafana/dashboards/amaas.json:ro');
  const prom = YAML.parse(read('deploy', 'compose', 'prometheus.yml'));
  expect(prom.scrape_configs[0].static_configs[0].targets.sort()).toEqual(replicas.map((r) => `${r}:8002`).sort());
  for (const v of [...compose.services.prometheus.volumes, ...compose.services.grafana.volumes, ...compose.services.nginx.volumes]) {
    expect([v, fs.existsSync(file(v.split(':')[0]))]).toEqual([v, true]);
  }
});

it('nginx passes bodies above max_message_bytes, and the Dockerfile runs node as PID 1', () => {
  const conf = read('deploy', 'nginx', 'amaas.conf');
  const [, size, unit] = /client_max_body_size (\d+)([km]?);/.exec(conf)!;
  const bytes = Number(size) * (unit === 'm' ? 2 ** 20 : unit === 'k' ? 2 ** 10 : 1);
  expect(bytes).toBeGreaterThan(resolveServerConfig({ model_repository: '/m' }).maxMessageBytes);
  expect(read('Dockerfile')).toMatch(/^ENTRYPOINT \["node", "dist\/src\/cli\/amaas\.js"\]$/m);
});

const withNginx = NGINX_BIN ? it : it.skip;
if (!NGINX_BIN) process.stderr.write('nginx is not installed (run scripts/install-test-deps.sh): nginx -t is SKIPPED\n');
withNginx('nginx -t accepts the shipped config, rendered with loopback upstreams', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-nginx-t-'));
  try {
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, renderNginxConfig(read('deploy', 'nginx', 'amaas.conf'), ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], 1, dir));
    const r = nginxTest(conf, dir);
    expect([r.status, r.output]).toEqual([0, expect.stringContaining('test is successful')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const withPromtool = PROMTOOL_BIN ? it : it.skip;
withPromtool('promtool accepts the compose Prometheus config with the shipped rules', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-compose-prom-'));
  try {
    fs.copyFileSync(file('deploy', 'compose', 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
    fs.copyFileSync(file('deploy', 'prometheus', 'rules.yml'), path.join(dir, 'rules.yml'));
    const r = promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect([r.status, r.output]).toEqual([0, expect.any(String)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
