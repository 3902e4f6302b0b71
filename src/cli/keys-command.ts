/**
 * `amaas keys create --tenant NAME [--expires ISO] [--id ID]`: makes a new API key. stdout gets exactly two
 * lines, the key and the tenants-file entry to paste (so `amaas keys create --tenant acme | head -1` is the
 * key); the explanation goes to stderr. The key is printed once and stored nowhere: only its SHA-256 goes
 * into the tenants file.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createKey, tenantsFileLine } from '../security';

/** An ISO 8601 date-time with a zone, or a date (midnight UTC), strictly in the future. */
function futureInstant(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const d = new Date(/T/.test(value) ? value : `${value}T00:00:00Z`);
  if (!iso.test(value) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date (2027-06-01) or date-time with a zone (2027-06-01T00:00:00Z)');
  if (d.getTime() <= Date.now()) throw new InvalidArgumentError('must be in the future');
  return d;
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys for the tenants file (auth.tenants_file)');
  keys
    .command('create')
    .description('print a new random API key once, and the tenants-file entry (id, sha256, expires) that admits it')
    .requiredOption('--tenant <name>', 'the tenant the key is for (its entry goes under tenants.<name>.keys)')
    .option('--expires <iso>', 'when the key stops working, e.g. 2027-06-01 or 2027-06-01T00:00:00Z (default: never)', futureInstant)
    .option('--id <id>', 'the key id, shown in logs and the audit trail (default: <tenant>-<yyyymmdd>-<random>)')
    .action((o: { tenant: string; expires?: Date; id?: string }) => {
      let k;
      try {
        k = createKey({ tenant: o.tenant, id: o.id, expires: o.expires ?? null });
      } catch (err) {
        process.stderr.write(`amaas: ${(err as Error).message}\n`);
        process.exit(2);
      }
      process.stdout.write(`${k.key}\n${tenantsFileLine(k)}\n`);
      process.stderr.write(
        `The first line is the key: give it to the client now; it is not stored and will not be shown again.\n` +
          `The second line goes under tenants.${o.tenant}.keys in the tenants file; the server picks it up without a restart.\n`,
      );
    });
}
