/**
 * Certificates for the TLS tests, made with openssl (scripts/install-test-deps.sh installs it) in a temp folder:
 * a CA, server certificates for 127.0.0.1/localhost (SAN IP + DNS) signed by it, client certificates naming
 * their holder by SAN URI, SAN DNS or CN, and a second, unrelated CA with a client certificate of its own.
 * Keys are EC P-256: quick to make.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './model-repository';

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateAuthority extends CertPair {
  /** Signs a new certificate; files go in the authority's folder, as `<name>.crt` and `<name>.key`. */
  issue(name: string, o: { cn: string; san?: string[]; client?: boolean; days?: number }): CertPair;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(dir: string, name: string): CertificateAuthority {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(
    ['req', '-x509', '-new', '-key', key, '-sha256', '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', cert],
    dir,
  );
  return {
    cert,
    key,
    issue(leaf, o) {
      const leafKey = path.join(dir, `${leaf}.key`);
      const csr = path.join(dir, `${leaf}.csr`);
      const leafCert = path.join(dir, `${leaf}.crt`);
      const ext = path.join(dir, `${leaf}.ext`);
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', leafKey], dir);
      openssl(['req', '-new', '-key', leafKey, '-subj', `/CN=${o.cn}`, '-out', csr], dir);
      fs.writeFileSync(
        ext,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          `extendedKeyUsage=${o.client ? 'clientAuth' : 'serverAuth'}`,
          ...(o.san && o.san.length > 0 ? [`subjectAltName=${o.san.join(',')}`] : []),
        ].join('\n') + '\n',
      );
      openssl(
        ['x509', '-req', '-in', csr, '-CA', cert, '-CAkey', key, '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`,
          '-days', String(o.days ?? 2), '-sha256', '-extfile', ext, '-out', leafCert],
        dir,
      );
      return { cert: leafCert, key: leafKey };
    },
  };
}

export interface TestCertificates {
  readonly dir: string;
  readonly ca: CertificateAuthority;
  /** A server certificate for 127.0.0.1 and localhost. */
  readonly server: CertPair;
  /** Client certificates signed by `ca`, naming their holder by SAN URI, SAN DNS and CN. */
  readonly clientUri: CertPair;
  readonly clientDns: CertPair;
  readonly clientCn: CertPair;
  /** An unrelated CA and a client certificate it signed. */
  readonly otherCa: CertificateAuthority;
  readonly otherClient: CertPair;
  cleanup(): void;
}

export function makeTestCertificates(): TestCertificates {
  const dir = tempDir('amaas-certs-');
  const ca = makeCa(dir, 'test-ca');
  const otherCa = makeCa(dir, 'other-ca');
  return {
    dir,
    ca,
    server: serverCertificate(ca, 'server'),
    clientUri: ca.issue('client-uri', { cn: 'uri-holder', san: ['URI:spiffe://acme/worker'], client: true }),
    clientDns: ca.issue('client-dns', { cn: 'dns-holder', san: ['DNS:worker.acme.example'], client: true }),
    clientCn: ca.issue('client-cn', { cn: 'acme-batch', client: true }),
    otherCa,
    otherClient: otherCa.issue('other-client', { cn: 'intruder', san: ['URI:spiffe://acme/worker'], client: true }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A server certificate for 127.0.0.1 and localhost, signed by `ca`. */
export function serverCertificate(ca: CertificateAuthority, name: string): CertPair {
  return ca.issue(name, { cn: 'localhost', san: ['IP:127.0.0.1', 'DNS:localhost'] });
}

/** SHA-256 fingerprint of a PEM certificate file, in Node's `AB:CD:...` form (as tls.PeerCertificate.fingerprint256). */
export function fingerprintOf(certFile: string): string {
  return new crypto.X509Certificate(fs.readFileSync(certFile)).fingerprint256;
}
