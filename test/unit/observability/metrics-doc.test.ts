/**
 * docs/metrics.md cannot drift from the code: its reference tables list exactly the metrics a server's registry
 * holds, with the same types and label names (in order).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { registerMetricFamilies } from '../../../src/observability/metrics';
import { registerTenantUsageMetrics } from '../../../src/observability/tenant-usage-metrics';

const DOC = path.join(__dirname, '..', '..', '..', '..', 'docs', 'metrics.md');

interface Row {
  readonly name: string;
  readonly type: string;
  readonly labels: string;
}

/** Rows of every table whose header is `| name | type | labels | meaning |`. */
function documented(markdown: string): Row[] {
  const rows: Row[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (/^\| name \| type \| labels \| meaning \|$/.test(line)) inTable = true;
    else if (!line.startsWith('|')) inTable = false;
    else if (inTable && !line.startsWith('|---')) {
      const [name, type, labels] = line.split('|').slice(1, 4).map((c) => c.trim());
      rows.push({ name: name.replace(/`/g, ''), type, labels: labels.split(',').map((l) => l.trim()).filter(Boolean).join(',') });
    }
  }
  return rows;
}

it('lists exactly the registered metrics, with their types and labels', async () => {
  const registry = new Registry();
  registerMetricFamilies(registry, () => null);
  registerTenantUsageMetrics(registry, () => []);
  const registered: Row[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; labelNames?: string[]; get(): Promise<{ type: string }> };
    registered.push({ name: m.name, type: String((await m.get()).type), labels: (m.labelNames ?? []).join(',') });
  }
  const byName = (a: Row, b: Row) => a.name.localeCompare(b.name);
  const rows = documented(fs.readFileSync(DOC, 'utf8'));
  expect(rows.length).toBeGreaterThan(14);
  expect([...rows].sort(byName)).toEqual([...registered].sort(byName));
});
