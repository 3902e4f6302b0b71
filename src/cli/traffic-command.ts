/**
 * `amaas traffic <model> [VERSION=PERCENT ...]`: sets the model's canary split (SetTrafficSplit): `3=10` sends
 * 10 % of the requests naming no version to version 3, the rest to the default. No shares ends the split.
 * Prints the model's state afterwards; the JSON output's `traffic` shows the split in force.
 */
import { Command, InvalidArgumentError } from 'commander';
import { clientFrom, withClientOptions } from './client-options';
import { printResult, withFormatOptions } from './output-format';
import { renderModelState } from './models-view';

/** "3=10" -> [3, 10]. */
export function parseShare(text: string): [number, number] {
  const m = /^([1-9][0-9]{0,15})=([0-9]+(?:\.[0-9]+)?)%?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`${text}: give VERSION=PERCENT, like 3=10`);
  return [Number(m[1]), Number(m[2])];
}

export function registerTrafficCommand(program: Command): void {
  withClientOptions(withFormatOptions(program.command('traffic <model> [shares...]')))
    .description('canary: send PERCENT % of the requests naming no version to VERSION (3=10); no shares ends the split')
    .action(async (model: string, shares: string[], o) => {
      const client = clientFrom(o);
      try {
        const split = Object.fromEntries(shares.map(parseShare));
        printResult(await client.setTrafficSplit(model, split), o, (m, options) => {
          const shares = (m.traffic ?? []).map((t) => `version ${t.version} ${t.percent} %`).join(', ');
          const line = shares ? `traffic: ${shares}; the rest to default version ${m.defaultVersion}` : `traffic: all to default version ${m.defaultVersion}`;
          return `${renderModelState(m, options)}${line}\n`;
        });
      } catch (err) {
        const e = err as Error & { errorCode?: string; details?: string };
        process.stderr.write(`amaas: ${e.errorCode ? `${e.errorCode}: ` : ''}${e.details ?? e.message}\n`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
