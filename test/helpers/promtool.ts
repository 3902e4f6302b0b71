/** Runs Debian's promtool (installed by scripts/install-test-deps.sh) the way CI and operators do. */
import { spawnSync } from 'node:child_process';
import { PROMTOOL_BIN, prometheusMissing } from './prometheus-server';

export interface PromtoolResult {
  status: number | null;
  /** stdout and stderr together: promtool prints its findings on either. */
  output: string;
}

export function promtool(args: readonly string[], input?: string): PromtoolResult {
  if (!PROMTOOL_BIN) throw new Error(prometheusMissing());
  const run = spawnSync(PROMTOOL_BIN, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
