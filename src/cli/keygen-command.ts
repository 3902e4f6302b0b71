/**
 * `amaas keygen --out FILE [--force]`: writes a new random master key for encrypted models (docs/encryption.md),
 * readable only by its owner (mode 0600). It never overwrites a key file unless --force: losing a master key
 * loses every model sealed under it. stdout gets the key id, never the key.
 */
import { Command } from 'commander';
import fs from 'node:fs';
import { generateMasterKey, keyIdText, masterKeyText } from '../repository/model-key';

export function writeKeyFile(file: string, text: string, force: boolean): void {
  // 'wx' refuses an existing file atomically; with --force the mode is set again, as an old file keeps its own.
  fs.writeFileSync(file, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
  fs.chmodSync(file, 0o600);
}

export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('write a new random master key for encrypted models (mode 0600) and print its key id')
    .requiredOption('--out <file>', 'the key file to write')
    .option('--force', 'overwrite an existing key file (models sealed under the old key can no longer be opened)')
    .action((o: { out: string; force?: boolean }) => {
      const key = generateMasterKey();
      try {
        writeKeyFile(o.out, masterKeyText(key), o.force === true);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EEXIST' ? `${o.out} exists; keygen never overwrites a key without --force` : `cannot write ${o.out}: ${e.message}`;
        process.stderr.write(`amaas: ${why}\n`);
        process.exit(1);
      } finally {
        key.bytes.fill(0);
      }
      process.stdout.write(`${keyIdText(key.id)}\n`);
      process.stderr.write(`Wrote a new master key to ${o.out} (key id above). Keep a copy somewhere safe: without it, models encrypted under it cannot be opened.\n`);
    });
}
