/**
 * The certificate files of `tls.*`: read and checked as one set (certificate, private key, optional client CA),
 * and watched, so that a renamed-in pair is picked up without a restart. Both transports (gRPC in
 * tls-credentials.ts, HTTPS in tls-http.ts) build on this one loader, so they accept and refuse the same files.
 *
 * At startup a bad file stops the server with a message naming the setting, its file and what is wrong (no
 * fallback to clear text). On a reload a bad set (half-written, mismatched pair, unreadable) is logged and the
 * previous set stays in force: the server never stops serving TLS, and never serves something unchecked.
 * Messages never include the contents of a file (the key is a secret).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import type { TlsConfig } from '../config/security-schema';
import { AmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import { fileSignature } from './file-signature';

const log = createLogger('tls');

/** How often the files are checked for a change (stat only; they are read when one changed). */
export const TLS_RELOAD_INTERVAL_MS = 1000;

/** One checked set: what a Node TLS server's secure context is made from. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The client CA bundle (mTLS), or null: then client certificates are not asked for. */
  readonly ca: Buffer | null;
  /** SHA-256 fingerprint of the server (leaf) certificate, for the log. */
  readonly fingerprint: string;
}

/**
 * Secure-context options for Node's TLS servers. `ca` is always set under mTLS: Node's setSecureContext()
 * resets a missing `ca` to the public roots, which would then verify client certificates.
 */
export function secureContextOptions(m: TlsMaterial): tls.SecureContextOptions {
  return { cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}), minVersion: 'TLSv1.2' };
}

function readSetting(key: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(key, file, `cannot be read (${code ?? (err as Error).message})`);
  }
}

function bad(key: string, file: string, what: string): AmaasError {
  return new AmaasError('AMAAS_ERR_CONFIG_INVALID', `${key} (${file}) ${what}`);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle, parsed; throws naming the setting when there is none or one is broken. */
function certificates(key: string, file: string, pem: Buffer): crypto.X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw bad(key, file, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new crypto.X509Certificate(block);
    } catch {
      throw bad(key, file, `has a certificate that cannot be parsed (certificate ${i + 1} of ${blocks.length})`);
    }
  });
}

/** Reads and checks the files; throws an AmaasError (AMAAS_ERR_CONFIG_INVALID) that names the bad one. */
export function loadTlsMaterial(config: TlsConfig): TlsMaterial {
  const cert = readSetting('tls.cert_file', config.certFile);
  const key = readSetting('tls.key_file', config.keyFile);
  const ca = config.clientCaFile === null ? null : readSetting('tls.client_ca_file', config.clientCaFile);

  const [leaf] = certificates('tls.cert_file', config.certFile, cert);
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (err) {
    const encrypted = /passphrase|encrypted/i.test((err as Error).message) || key.includes('ENCRYPTED');
    throw bad('tls.key_file', config.keyFile, encrypted ? 'is an encrypted private key; give it unencrypted' : 'is not a PEM private key');
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw bad('tls.key_file', config.keyFile, `does not match the certificate in tls.cert_file (${config.certFile})`);
  }
  if (ca !== null) {
    for (const c of certificates('tls.client_ca_file', config.clientCaFile!, ca)) {
      if (!c.ca) throw bad('tls.client_ca_file', config.clientCaFile!, `holds a certificate that is not a CA (${c.subject.replace(/\n/g, ', ')})`);
    }
  }
  const material: TlsMaterial = { cert, key, ca, fingerprint: leaf.fingerprint256 };
  try {
    tls.createSecureContext(secureContextOptions(material));
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `tls.cert_file, tls.key_file or tls.client_ca_file is refused by Node's TLS: ${(err as Error).message}`);
  }
  const validTo = new Date(leaf.validTo);
  if (validTo.getTime() < Date.now()) log.warn('the server certificate has expired', { file: config.certFile, valid_to: validTo.toISOString() });
  return material;
}

export interface TlsWatch {
  /** The set in force now. */
  current(): TlsMaterial;
  stop(): void;
}

/**
 * Checks the files every intervalMs (a stat of each; stat follows symlinks, so Kubernetes secret volumes that
 * swap a link work too) and calls onChange with a new checked set when one changed. Renaming a new certificate
 * and then a new key into place may be seen half done: that set does not check (the pair does not match), is
 * logged, and the next change completes it.
 */
export function watchTlsFiles(
  config: TlsConfig,
  initial: TlsMaterial,
  onChange: (m: TlsMaterial) => void,
  intervalMs = TLS_RELOAD_INTERVAL_MS,
): TlsWatch {
  const files = [config.certFile, config.keyFile, ...(config.clientCaFile === null ? [] : [config.clientCaFile])];
  const signature = () => files.map(fileSignature).join('|');
  let current = initial;
  let seen = signature();
  const timer = setInterval(() => {
    const now = signature();
    if (now === seen) return;
    seen = now;
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(config);
    } catch (err) {
      log.warn('new TLS files refused; the previous certificate stays in force', { reason: (err as Error).message });
      return;
    }
    if (next.cert.equals(current.cert) && next.key.equals(current.key) && sameCa(next.ca, current.ca)) return;
    try {
      onChange(next);
    } catch (err) {
      log.warn('new TLS files refused; the previous certificate stays in force', { reason: (err as Error).message });
      return;
    }
    current = next;
    log.info('TLS certificate reloaded', { fingerprint: next.fingerprint });
  }, intervalMs);
  timer.unref();
  return { current: () => current, stop: () => clearInterval(timer) };
}

function sameCa(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
