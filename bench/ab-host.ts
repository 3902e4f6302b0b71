/**
 * node dist/bench/ab-host.js '[{"label":"plain","repo":"/tmp/r1","configFile":null}, ...]'
 *
 * Several amaas servers in one Node process, for layer-ab.ts --one-process. Servers in separate processes
 * differ by several per cent in throughput for reasons that have nothing to do with what they run (thread
 * placement, JIT state); servers that share one process, one main thread and one JIT share those too, so an
 * A/B between them measures what their configurations differ in. Only one is under load at a time.
 *
 * Prints `ab-host <label> <address>` per server once all are up, and shuts them down on SIGTERM.
 */
import { loadServerConfig } from '../src/config/load';
import { setLogLevel } from '../src/observability/logging';
import { AmaasServer, startServer } from '../src/server';

interface HostedServer {
  readonly label: string;
  readonly repo: string;
  readonly configFile: string | null;
}

async function main(): Promise<void> {
  const wanted = JSON.parse(process.argv[2]) as HostedServer[];
  setLogLevel('warn');
  const servers: AmaasServer[] = [];
  for (const w of wanted) {
    const config = loadServerConfig({ file: w.configFile ?? undefined, flags: { model_repository: w.repo, port: 0 } });
    servers.push(await startServer(config));
  }
  for (const [i, s] of servers.entries()) process.stdout.write(`ab-host ${wanted[i].label} ${s.address}\n`);
  process.once('SIGTERM', () => {
    void Promise.all(servers.map((s) => s.shutdown())).then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
