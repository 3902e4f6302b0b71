/** A real amaas server on an ephemeral loopback port, with a real client, for integration tests. */
import { AmaasClient } from '../../src/client/amaas-client';
import { ServerConfigInput, resolveServerConfig } from '../../src/config/schema';
import { setLogLevel } from '../../src/observability/logging';
import { AmaasServer, startServer } from '../../src/server';

export interface TestServer {
  readonly server: AmaasServer;
  readonly client: AmaasClient;
  readonly address: string;
  stop(): Promise<void>;
}

export async function startTestServer(repository: string, overrides: Partial<ServerConfigInput> = {}): Promise<TestServer> {
  setLogLevel((process.env.AMAAS_LOG_LEVEL as 'error') ?? 'error');
  const server = await startServer(resolveServerConfig({ model_repository: repository, host: '127.0.0.1', port: 0, shutdown_delay_ms: 0, ...overrides }));
  const client = new AmaasClient(server.address);
  return {
    server,
    client,
    address: server.address,
    stop: async () => {
      client.close();
      await server.shutdown();
    },
  };
}
