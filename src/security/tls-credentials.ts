/**
 * grpc-js ServerCredentials for `tls.*`, which reload when the files change.
 *
 * Not grpc-js's experimental FileWatcherCertificateProvider (1.14): it hands whatever it read to the server
 * unchecked, and a read that fails or a file that does not parse (a rename half done) makes the server drop
 * every new connection until the next good read; its first read is asynchronous, so connections right after
 * bind are dropped too; and createCertificateProviderServerCredentials' first parameter is named for the CA
 * but used as the identity. This subclass instead starts from a set checked at startup (tls-files.ts), and a
 * change replaces it only once the new set checks; existing connections keep the certificate they began with.
 *
 * Client certificates (mTLS) are verified against tls.client_ca_file only: `ca` is always given, never left to
 * grpc-js's createSsl(null) or Node's setSecureContext defaults, which fall back to the public roots.
 */
import * as grpc from '@grpc/grpc-js';
import type { TlsConfig } from '../config/security-schema';
import type { SecureContextWatcher } from '@grpc/grpc-js/build/src/server-credentials';
import { TlsMaterial, TlsWatch, loadTlsMaterial, secureContextOptions, watchTlsFiles } from './tls-files';

class ReloadingServerCredentials extends grpc.ServerCredentials {
  private current: TlsMaterial;
  private watch: TlsWatch | null = null;

  constructor(
    private readonly config: TlsConfig,
    initial: TlsMaterial,
    private readonly reloadIntervalMs: number | undefined,
  ) {
    super({ requestCert: config.clientCaFile !== null, rejectUnauthorized: true }, secureContextOptions(initial));
    this.current = initial;
  }

  /** The set in force now. */
  material(): TlsMaterial {
    return this.current;
  }

  // grpc-js adds a watcher per bound port and removes it when that port's server closes: the files are
  // watched exactly while a port serves with these credentials.
  override _addWatcher(watcher: SecureContextWatcher): void {
    super._addWatcher(watcher);
    this.watch ??= watchTlsFiles(
      this.config,
      this.current,
      (m) => {
        this.current = m;
        this.updateSecureContextOptions(secureContextOptions(m));
      },
      this.reloadIntervalMs,
    );
  }

  override _removeWatcher(watcher: SecureContextWatcher): void {
    super._removeWatcher(watcher);
    if (this.getWatcherCount() === 0) {
      this.watch?.stop();
      this.watch = null;
    }
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return this === other;
  }
}

export interface TlsServerCredentials {
  readonly credentials: grpc.ServerCredentials;
  /** The set in force now (its fingerprint goes in the startup log). */
  current(): TlsMaterial;
}

/**
 * Reads and checks the files now (throwing AMAAS_ERR_CONFIG_INVALID naming a bad one). They are watched from
 * when a port is bound with the credentials until that port's server closes: nothing to stop by hand.
 */
export function createTlsServerCredentials(config: TlsConfig, reloadIntervalMs?: number): TlsServerCredentials {
  const credentials = new ReloadingServerCredentials(config, loadTlsMaterial(config), reloadIntervalMs);
  return { credentials, current: () => credentials.material() };
}
