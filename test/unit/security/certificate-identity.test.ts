/**
 * certificateName(): the tenant name of a verified client certificate per tls.tenant_from, read from the
 * PeerCertificate a real TLS handshake gives (certificates made by openssl), and Node's subjectaltname quoting.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { certificateName, subjectAltNames, verifiedPeerCertificate } from '../../../src/security/certificate-identity';
import { CertPair, TestCertificates, makeTestCertificates } from '../../helpers/certificates';

let certs: TestCertificates;
let server: tls.Server;
let seen: Array<tls.PeerCertificate | null> = [];

beforeAll(async () => {
  certs = makeTestCertificates();
  const read = (f: string) => fs.readFileSync(f);
  server = tls.createServer(
    { cert: read(certs.server.cert), key: read(certs.server.key), ca: read(certs.ca.cert), requestCert: true, rejectUnauthorized: false },
    (socket) => {
      seen.push(verifiedPeerCertificate(socket));
      socket.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  certs.cleanup();
});

/** The server side's verified peer certificate after a handshake by a client presenting `pair` (or none). */
async function peerOf(pair: CertPair | null): Promise<tls.PeerCertificate | null> {
  seen = [];
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: fs.readFileSync(certs.ca.cert),
      servername: 'localhost',
      ...(pair ? { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) } : {}),
    });
    s.on('error', reject);
    s.on('close', () => resolve());
    s.resume();
  });
  return seen[0];
}

it('names the holder by SAN URI, SAN DNS or CN', async () => {
  const uri = (await peerOf(certs.clientUri))!;
  expect(certificateName(uri, 'san_uri')).toBe('spiffe://acme/worker');
  expect(certificateName(uri, 'san_dns')).toBeNull();
  expect(certificateName(uri, 'cn')).toBe('uri-holder');
  const dns = (await peerOf(certs.clientDns))!;
  expect(certificateName(dns, 'san_dns')).toBe('worker.acme.example');
  expect(certificateName(dns, 'san_uri')).toBeNull();
  const cn = (await peerOf(certs.clientCn))!;
  expect(certificateName(cn, 'cn')).toBe('acme-batch');
  expect(certificateName(cn, 'san_uri')).toBeNull();
});

it('gives no certificate for a client without one or one another CA signed', async () => {
  expect(await peerOf(null)).toBeNull();
  expect(await peerOf(certs.otherClient)).toBeNull();
});

it('a certificate with two different names of the kind names nobody', async () => {
  const two = certs.ca.issue('two-uris', { cn: 'two', san: ['URI:spiffe://acme/a', 'URI:spiffe://beta/b'], client: true });
  const peer = (await peerOf(two))!;
  expect(subjectAltNames(peer.subjectaltname!).map((n) => n.value)).toEqual(['spiffe://acme/a', 'spiffe://beta/b']);
  expect(certificateName(peer, 'san_uri')).toBeNull();
});

it('reads quoted subjectaltname values, so a comma cannot smuggle in a second name', () => {
  expect(subjectAltNames('DNS:a.example, URI:"spiffe://x/y, URI:spiffe://evil", IP Address:127.0.0.1')).toEqual([
    { type: 'DNS', value: 'a.example' },
    { type: 'URI', value: 'spiffe://x/y, URI:spiffe://evil' },
    { type: 'IP Address', value: '127.0.0.1' },
  ]);
  expect(certificateName({ subjectaltname: 'URI:"spiffe://x/y, URI:spiffe://evil"' } as tls.PeerCertificate, 'san_uri')).toBe(
    'spiffe://x/y, URI:spiffe://evil',
  );
  expect(certificateName({} as tls.PeerCertificate, 'cn')).toBeNull();
});
