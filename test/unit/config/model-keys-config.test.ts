/** Where the master key for encrypted models comes from: model_keys.key_file or AMAAS_MODEL_KEY, never both. */
import path from 'node:path';
import { loadServerConfig } from '../../../src/config/load';
import { generateMasterKey, loadMasterKey, masterKeyText } from '../../../src/repository/model-key';
import { expectAmaasError } from '../../helpers/expect-amaas-error';
import { tempFiles } from '../../helpers/temp-files';

const temp = tempFiles('amaas-model-keys-');
afterAll(() => temp.cleanup());
const key = generateMasterKey();

it('has no key by default', () => {
  const c = loadServerConfig({ flags: { model_repository: '/m' } });
  expect(c.modelKeys).toEqual({ keyFile: null, keyText: null });
  expect(loadMasterKey(c.modelKeys)).toBeNull();
});

it('reads the key file the config names (an absolute path)', () => {
  const file = temp.file('master.key', masterKeyText(key));
  const relative = path.relative(process.cwd(), file);
  const c = loadServerConfig({ file: temp.file('server.json', JSON.stringify({ model_repository: '/m', model_keys: { key_file: relative } })) });
  expect(c.modelKeys.keyFile).toBe(path.resolve(relative));
  expect(loadMasterKey(c.modelKeys)!.id).toEqual(key.id);
});

it('takes AMAAS_MODEL_KEY from the environment', () => {
  const c = loadServerConfig({ env: { AMAAS_MODEL_KEY: key.bytes.toString('hex') }, flags: { model_repository: '/m' } });
  expect(loadMasterKey(c.modelKeys)!.bytes).toEqual(key.bytes);
});

it('refuses both at once, and a malformed key without echoing it', () => {
  const file = temp.file('both.key', masterKeyText(key));
  expectAmaasError(
    () => loadServerConfig({ env: { AMAAS_MODEL_KEY: key.bytes.toString('hex') }, flags: { model_repository: '/m', model_keys: { key_file: file } } }),
    'AMAAS_ERR_CONFIG_INVALID',
    'both set',
  );
  const c = loadServerConfig({ env: { AMAAS_MODEL_KEY: 'not-a-key-123' }, flags: { model_repository: '/m' } });
  const e = expectAmaasError(() => loadMasterKey(c.modelKeys), 'AMAAS_ERR_CONFIG_INVALID', 'AMAAS_MODEL_KEY', '64 hex digits');
  expect(e.message).not.toContain('not-a-key-123');
  expectAmaasError(() => loadMasterKey({ keyFile: path.join(path.dirname(file), 'missing.key'), keyText: null }), 'AMAAS_ERR_CONFIG_INVALID', 'cannot read model key file');
});
