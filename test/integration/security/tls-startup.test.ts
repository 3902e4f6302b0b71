/**
 * A bad tls.* file stops startup with a message naming the setting, its file and what is wrong, in process and
 * as a real `amaas serve` process; the server never falls back to clear text. No message shows a key's contents.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveServerConfig } from '../../../src/config/schema';
import { startServer } from '../../../src/server';
import { TestCertificates, makeTestCertificates } from '../../helpers/certificates';
import { makeRepository } from '../../helpers/model-repository';
import { startServerProcess } from '../../helpers/server-process';

let certs: TestCertificates;
let repo: string;

beforeAll(async () => {
  certs = makeTestCertificates();
  repo = await makeRepository([{ model: 'scale' }]);
});

afterAll(() => {
  certs.cleanup();
  fs.rmSync(repo, { recursive: true, force: true });
});

function startWith(tls: Record<string, string>) {
  return startServer(resolveServerConfig({ model_repository: repo, host: '127.0.0.1', port: 0, tls }));
}

function junk(name: string, text: string): string {
  const file = path.join(certs.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

it.each([
  ['a missing certificate file', () => ({ cert_file: path.join(certs.dir, 'nope.crt'), key_file: certs.server.key }), /^tls\.cert_file \(.*nope\.crt\) cannot be read \(ENOENT\)$/],
  ['a certificate file that is not PEM', () => ({ cert_file: junk('junk.crt', 'hello'), key_file: certs.server.key }), /^tls\.cert_file \(.*junk\.crt\) holds no PEM certificate/],
  ['a broken certificate', () => ({ cert_file: junk('broken.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), key_file: certs.server.key }), /^tls\.cert_file \(.*broken\.crt\) has a certificate that cannot be parsed/],
  ['a key file that is not a key', () => ({ cert_file: certs.server.cert, key_file: certs.server.cert }), /^tls\.key_file \(.*server\.crt\) is not a PEM private key$/],
  ['a key of another certificate', () => ({ cert_file: certs.server.cert, key_file: certs.clientCn.key }), /^tls\.key_file \(.*client-cn\.key\) does not match the certificate in tls\.cert_file/],
  ['a client CA file holding a non-CA certificate', () => ({ cert_file: certs.server.cert, key_file: certs.server.key, client_ca_file: certs.clientCn.cert }), /^tls\.client_ca_file \(.*client-cn\.crt\) holds a certificate that is not a CA/],
])('%s stops startup with a message naming the file', async (_what, tls, message) => {
  const err = await startWith(tls()).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'AMAAS_ERR_CONFIG_INVALID' });
  expect((err as Error).message).toMatch(message);
  const keyText = fs.readFileSync(certs.server.key, 'utf8');
  expect((err as Error).message).not.toContain(keyText.split('\n')[1]);
});

it('tenant_from without client_ca_file is a config error naming the key', () => {
  expect(() =>
    resolveServerConfig({ model_repository: repo, tls: { cert_file: certs.server.cert, key_file: certs.server.key, tenant_from: 'cn' } }),
  ).toThrow(/tenant_from/);
});

it('amaas serve with a mismatched key exits non-zero with the message, before serving', async () => {
  const config = junk('bad-tls.yaml', `tls:\n  cert_file: ${certs.server.cert}\n  key_file: ${certs.clientUri.key}\n`);
  const err = await startServerProcess(['--model-repository', repo, '--config', config]).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/exited with [1-9]\d* before serving/);
  expect((err as Error).message).toContain('amaas: AMAAS_ERR_CONFIG_INVALID: tls.key_file');
  expect((err as Error).message).toContain('does not match the certificate in tls.cert_file');
});
