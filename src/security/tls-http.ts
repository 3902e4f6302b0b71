/**
 * The HTTP binding's server: node:http in clear text, or node:https with the same `tls.*` files as the gRPC
 * port, reloaded the same way (tls-files.ts) through server.setSecureContext(); connections already open keep
 * their certificate. Under mTLS a client without a certificate signed by tls.client_ca_file is refused in the
 * handshake (requestCert + rejectUnauthorized, ca = that file only, never the public roots).
 */
import http from 'node:http';
import https from 'node:https';
import type { TlsConfig } from '../config/security-schema';
import { TlsWatch, loadTlsMaterial, secureContextOptions, watchTlsFiles } from './tls-files';

/** A clear-text server when tls is null; otherwise HTTPS (throws AMAAS_ERR_CONFIG_INVALID for a bad file). */
export function createHttpTransport(tls: TlsConfig | null, handler: http.RequestListener, reloadIntervalMs?: number): http.Server {
  if (tls === null) return http.createServer(handler);
  const initial = loadTlsMaterial(tls);
  const mutualTls = tls.clientCaFile !== null;
  const server = https.createServer({ ...secureContextOptions(initial), requestCert: mutualTls, rejectUnauthorized: true }, handler);
  // A failed handshake (no client certificate, another CA) is the client's problem: no unhandled 'error'.
  server.on('tlsClientError', () => {});
  // Watched while the server listens: nothing to stop by hand, and nothing left behind when listen() fails.
  let watch: TlsWatch | null = null;
  server.on('listening', () => {
    watch ??= watchTlsFiles(tls, initial, (m) => server.setSecureContext(secureContextOptions(m)), reloadIntervalMs);
  });
  server.on('close', () => {
    watch?.stop();
    watch = null;
  });
  return server;
}
