/**
 * `amaas usage [--tenant NAME]`: usage per tenant, model and version from a running server (GetUsage): requests
 * answered, OK, rows, refusals for load, compute time and tensor bytes. A table on a terminal, JSON otherwise
 * (--json / --table force one). Every tenant's with an admin key, else the key's own tenant's.
 */
import { Command } from 'commander';
import type { AmaasCallError, TenantUsage } from '../client/amaas-client';
import { ClientFlags, clientFrom, withClientOptions } from './client-options';
import { FormatFlags, printResult, withFormatOptions } from './output-format';
import { Column, TableOptions, renderTable } from './table';

const COLUMNS: readonly Column[] = [
  { header: 'TENANT', shrink: true },
  { header: 'MODEL' },
  { header: 'VERSION', align: 'right' },
  { header: 'REQUESTS', align: 'right' },
  { header: 'OK', align: 'right' },
  { header: 'ROWS', align: 'right' },
  { header: 'REFUSED', align: 'right' },
  { header: 'COMPUTE_MS', align: 'right' },
  { header: 'BYTES_IN', align: 'right' },
  { header: 'BYTES_OUT', align: 'right' },
];

/** REFUSED: the total, then the reasons that are not zero (`3 (rate_limit 2, queue_full 1)`). */
function refused(r: Readonly<Record<string, number>>): string {
  const parts = Object.entries(r).filter(([, n]) => n > 0);
  const total = parts.reduce((a, [, n]) => a + n, 0);
  return parts.length === 0 ? '0' : `${total} (${parts.map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

export function renderUsage(rows: readonly TenantUsage[], options: TableOptions = {}): string {
  if (rows.length === 0) return 'no inference requests yet\n';
  return renderTable(
    COLUMNS,
    rows.map((u) => [u.tenant, u.model, String(u.version), String(u.requests), String(u.succeeded), String(u.rows), refused(u.refused), u.computeMs.toFixed(1), String(u.bytesIn), String(u.bytesOut)]),
    options,
  );
}

export function registerUsageCommand(program: Command): void {
  withFormatOptions(
    withClientOptions(
      program
        .command('usage')
        .description("usage per tenant, model and version since the server started (every tenant's with an admin key, else your own)")
        .option('--tenant <name>', "one tenant's usage (another tenant's needs the admin scope)"),
    ),
  ).action(async (o: ClientFlags & FormatFlags & { tenant?: string }) => {
    const client = clientFrom(o);
    try {
      printResult(await client.getUsage(o.tenant ?? ''), o, renderUsage);
    } catch (err) {
      const e = err as AmaasCallError;
      process.stderr.write(`amaas: ${e.errorCode ? `${e.errorCode}: ` : ''}${e.details ?? e.message}\n`);
      process.exitCode = typeof e.code === 'number' && e.code > 0 ? Math.min(e.code, 125) : 1;
    } finally {
      client.close();
    }
  });
}
