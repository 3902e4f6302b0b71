/**
 * The options every client command shares (--address, --api-key, --tls, --tls-ca, --tls-cert, --tls-key) and the
 * AmaasClient they make. The key may come from AMAAS_API_KEY instead, which keeps it out of `ps` and shell
 * history; the flag wins when both are set.
 */
import { Command } from 'commander';
import fs from 'node:fs';
import { AmaasClient, ClientTlsOptions } from '../client/amaas-client';

export const DEFAULT_ADDRESS = '127.0.0.1:50051';

export interface ClientFlags {
  address: string;
  apiKey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tls?: boolean;
}

export function withClientOptions(command: Command): Command {
  return command
    .option('--address <address>', 'server address: host:port, a list host:port,host:port (IPs), or dns:///name:port; lists and dns:/// balance round-robin with retries', DEFAULT_ADDRESS)
    .option('--api-key <key>', 'API key, sent as authorization: Bearer (default: $AMAAS_API_KEY)')
    .option('--tls', 'connect over TLS, trusting the public roots unless --tls-ca is given')
    .option('--tls-ca <file>', 'connect over TLS, trusting the CA in this PEM file')
    .option('--tls-cert <file>', 'client certificate (PEM) for mTLS; implies TLS; needs --tls-key')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert');
}

function readPem(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${flag} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function clientFrom(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): AmaasClient {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const useTls = flags.tls === true || flags.tlsCa !== undefined || flags.tlsCert !== undefined;
  const tls: ClientTlsOptions | undefined = useTls
    ? {
        ca: flags.tlsCa === undefined ? undefined : readPem('--tls-ca', flags.tlsCa),
        cert: flags.tlsCert === undefined ? undefined : readPem('--tls-cert', flags.tlsCert),
        key: flags.tlsKey === undefined ? undefined : readPem('--tls-key', flags.tlsKey),
      }
    : undefined;
  const apiKey = flags.apiKey ?? (env.AMAAS_API_KEY || undefined);
  return new AmaasClient(flags.address, { apiKey, tls });
}
