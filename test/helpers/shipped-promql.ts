/**
 * The PromQL amaas ships (deploy/prometheus/rules.yml, deploy/grafana/amaas.json) and what it refers to, so a
 * test can run each expression on a live Prometheus and hold its metric and label names to what /metrics exports.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Scrape } from './prometheus-text';

const DEPLOY = path.resolve(__dirname, '../../../deploy');
export const RULES_FILE = path.join(DEPLOY, 'prometheus', 'rules.yml');
export const DASHBOARD_FILE = path.join(DEPLOY, 'grafana', 'amaas.json');

export interface ShippedExpression {
  /** Where it comes from, for failure messages: `rules.yml record model:...` or `amaas.json panel "Throughput" A`. */
  where: string;
  expr: string;
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

export function ruleExpressions(): ShippedExpression[] {
  const rules = YAML.parse(fs.readFileSync(RULES_FILE, 'utf8')) as RuleFile;
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `rules.yml ${r.record ? `record ${r.record}` : `alert ${r.alert}`}`, expr: String(r.expr) })),
  );
}

/** Names the rules file records, which the other expressions may use like metrics. */
export function recordedNames(): string[] {
  const rules = YAML.parse(fs.readFileSync(RULES_FILE, 'utf8')) as RuleFile;
  return rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
}

interface Panel {
  title?: string;
  targets?: Array<{ refId?: string; expr?: string }>;
  panels?: Panel[];
}

export function readDashboard(): { panels: Panel[]; templating: { list: Array<Record<string, unknown>> }; [k: string]: unknown } {
  return JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
}

/**
 * Every panel query of the dashboard (rows' nested panels included), with Grafana's variables replaced by what
 * Grafana would send: `$model` by the "All" regex, `$__rate_interval` and friends by a window that holds
 * several 1 s scrapes.
 */
export function dashboardExpressions(): ShippedExpression[] {
  const out: ShippedExpression[] = [];
  const visit = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (t.expr) out.push({ where: `amaas.json panel "${p.title}" ${t.refId}`, expr: substituteGrafanaVariables(t.expr) });
      }
      if (p.panels) visit(p.panels);
    }
  };
  visit(readDashboard().panels);
  return out;
}

export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '1m')
    .replace(/\$\{?model\}?/g, '.*');
}

/** The dashboard's query variables as `label_values(metric, label)` pairs. */
export function dashboardLabelValues(): Array<{ variable: string; metric: string; label: string }> {
  const out: Array<{ variable: string; metric: string; label: string }> = [];
  for (const v of readDashboard().templating.list) {
    if (v.type !== 'query') continue;
    const q = v.query as string | { query: string };
    const text = typeof q === 'string' ? q : q.query;
    const m = /^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)$/.exec(text.trim());
    if (!m) throw new Error(`dashboard variable ${String(v.name)}: unexpected query ${text}`);
    out.push({ variable: String(v.name), metric: m[1], label: m[2] });
  }
  return out;
}

/** PromQL without its string literals, so `job="amaas"` or a regex does not read as a name. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/**
 * The metric names an expression selects: identifiers of amaas's and prom-client's families (amaas_, process_,
 * nodejs_), recorded names (level:metric:operation, with colons), and Prometheus' own `up`.
 */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of withoutStrings(expr).matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)/g)) {
    const id = m[1];
    if (/^(amaas|process|nodejs)_/.test(id) || id.includes(':') || id === 'up') names.add(id);
  }
  return [...names];
}

/** Label names an expression groups by or matches on: `by (...)`, `without (...)` and `{label=...}`. */
export function labelNamesIn(expr: string): { grouping: string[]; matchers: Array<{ metric: string; label: string }> } {
  const text = withoutStrings(expr);
  const grouping = new Set<string>();
  for (const m of text.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1].split(',')) if (l.trim()) grouping.add(l.trim());
  }
  const matchers: Array<{ metric: string; label: string }> = [];
  for (const m of text.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    for (const part of m[2].split(',')) {
      const label = /^\s*(\w+)\s*(=~|!~|!=|=)/.exec(part);
      if (label) matchers.push({ metric: m[1], label: label[1] });
    }
  }
  return { grouping: [...grouping], matchers };
}

export interface ExportedFamily {
  type: string;
  /** Label names seen on its samples (empty when it has no samples yet). */
  labels: Set<string>;
  hasSamples: boolean;
}

/**
 * The series names a scrape offers, keyed by the name a query would use (a histogram family `x` offers
 * `x_bucket`, `x_sum` and `x_count`, with or without samples yet), with the label names seen on each.
 */
export function exportedSeries(scrape: Scrape): Map<string, ExportedFamily> {
  const out = new Map<string, ExportedFamily>();
  const suffixes: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };
  for (const [family, type] of scrape.types) {
    for (const s of suffixes[type] ?? ['']) out.set(family + s, { type, labels: new Set(), hasSamples: false });
  }
  for (const sample of scrape.samples) {
    const entry = out.get(sample.name) ?? { type: 'untyped', labels: new Set<string>(), hasSamples: false };
    entry.hasSamples = true;
    for (const l of Object.keys(sample.labels)) entry.labels.add(l);
    out.set(sample.name, entry);
  }
  return out;
}
