import os from 'node:os';
import path from 'node:path';
import { configFromEnv, describeZodError, loadServerConfig, readConfigFile, settingType } from '../../../src/config/load';
import { ServerConfigSchema } from '../../../src/config/schema';
import { expectAmaasError } from '../../helpers/expect-amaas-error';
import { tempFiles } from '../../helpers/temp-files';

const temp = tempFiles('amaas-load-');
afterAll(() => temp.cleanup());
const configFile = temp.file;

const expectConfigInvalid = (fn: () => unknown, ...inMessage: string[]) =>
  expectAmaasError(fn, 'AMAAS_ERR_CONFIG_INVALID', ...inMessage);

const DEFAULTS = {
  host: '127.0.0.1',
  port: 50051,
  maxMessageBytes: 64 * 1024 * 1024,
  streamWindow: 64,
  drainTimeoutMs: 30_000,
  logLevel: 'info',
};

describe('loadServerConfig: sources', () => {
  it('fills defaults around model_repository', () => {
    expect(loadServerConfig({ flags: { model_repository: '/models' } })).toMatchObject({ modelRepository: '/models', ...DEFAULTS });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadServerConfig({ flags: { model_repository: '/m' } }))).toBe(true);
  });

  it('reads every setting from a YAML file', () => {
    const file = configFile(
      'amaas.yaml',
      [
        'model_repository: /from/yaml',
        'host: 0.0.0.0',
        'port: 6000',
        'max_message_bytes: 2048',
        'stream_window: 8',
        'drain_timeout_ms: 5',
        'log_level: debug',
      ].join('\n'),
    );
    expect(loadServerConfig({ file })).toMatchObject({
      modelRepository: '/from/yaml',
      host: '0.0.0.0',
      port: 6000,
      maxMessageBytes: 2048,
      streamWindow: 8,
      drainTimeoutMs: 5,
      logLevel: 'debug',
    });
  });

  it('reads a JSON file', () => {
    const file = configFile('amaas.json', JSON.stringify({ model_repository: '/from/json', port: 7000 }));
    expect(loadServerConfig({ file })).toMatchObject({ modelRepository: '/from/json', port: 7000, host: '127.0.0.1' });
  });

  it('reads a file of any other extension as YAML', () => {
    const file = configFile('amaas.conf', 'model_repository: /conf\nport: 1\n');
    expect(loadServerConfig({ file })).toMatchObject({ modelRepository: '/conf', port: 1 });
  });

  it('lets the environment override the file', () => {
    const file = configFile('amaas.yaml', 'model_repository: /file\nport: 6000\nhost: filehost\n');
    const c = loadServerConfig({ file, env: { AMAAS_PORT: '6001', AMAAS_MODEL_REPOSITORY: '/env' } });
    expect(c).toMatchObject({ modelRepository: '/env', port: 6001, host: 'filehost' });
  });

  it('lets flags override the environment and the file', () => {
    const file = configFile('amaas.yaml', 'model_repository: /file\nport: 6000\nhost: filehost\nlog_level: warn\n');
    const c = loadServerConfig({
      file,
      env: { AMAAS_PORT: '6001', AMAAS_HOST: 'envhost' },
      flags: { port: 6002 },
    });
    expect(c).toMatchObject({ modelRepository: '/file', port: 6002, host: 'envhost', logLevel: 'warn' });
  });

  it('ignores flags left undefined, so they do not hide lower sources', () => {
    const c = loadServerConfig({
      env: { AMAAS_MODEL_REPOSITORY: '/env', AMAAS_PORT: '6001' },
      flags: { model_repository: undefined, port: undefined, host: undefined },
    });
    expect(c).toMatchObject({ modelRepository: '/env', port: 6001, host: '127.0.0.1' });
  });

  it('ignores empty environment variables', () => {
    const c = loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/env', AMAAS_PORT: '', AMAAS_HOST: '' } });
    expect(c).toMatchObject({ port: 50051, host: '127.0.0.1' });
  });

  it('ignores environment variables that are not settings', () => {
    const c = loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/env', AMAAS_TRACE: 'all', AMAAS_LOG_FORMAT: 'json', PORT: '1' } });
    expect(c).toMatchObject({ modelRepository: '/env', port: 50051 });
  });

  it('takes an empty file as no settings', () => {
    const file = configFile('amaas.yaml', '');
    expect(loadServerConfig({ file, flags: { model_repository: '/m' } })).toMatchObject({ modelRepository: '/m' });
  });
});

describe('configFromEnv', () => {
  // Nested settings (tls, auth, audit) come from the config file only; true/false settings take 'true' or 'false'.
  const shape = ServerConfigSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  const isNested = (key: string) => settingType(key) === 'object';
  const isBoolean = (key: string) => settingType(key) === 'boolean';

  it('maps AMAAS_<KEY> to each schema key that is not nested', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const key of Object.keys(shape)) env[`AMAAS_${key.toUpperCase()}`] = isBoolean(key) ? 'true' : '1';
    expect(Object.keys(configFromEnv(env)).sort()).toEqual(Object.keys(shape).filter((k) => !isNested(k)).sort());
  });

  it('parses true/false settings from true or false, and refuses anything else', () => {
    expect(configFromEnv({ AMAAS_ALLOW_UNAUTHENTICATED: 'true' })).toEqual({ allow_unauthenticated: true });
    expect(configFromEnv({ AMAAS_ALLOW_UNAUTHENTICATED: 'false' })).toEqual({ allow_unauthenticated: false });
    expect(() => configFromEnv({ AMAAS_ALLOW_UNAUTHENTICATED: 'yes' })).toThrow(/allow_unauthenticated must be true or false/);
  });

  it('parses numeric settings as numbers and leaves the others as strings', () => {
    expect(
      configFromEnv({
        AMAAS_PORT: '50052',
        AMAAS_MAX_MESSAGE_BYTES: '1048576',
        AMAAS_STREAM_WINDOW: '16',
        AMAAS_DRAIN_TIMEOUT_MS: '0',
        AMAAS_HOST: '10.0.0.1',
        AMAAS_LOG_LEVEL: 'warn',
        AMAAS_MODEL_REPOSITORY: '123',
      }),
    ).toEqual({
      port: 50052,
      max_message_bytes: 1048576,
      stream_window: 16,
      drain_timeout_ms: 0,
      host: '10.0.0.1',
      log_level: 'warn',
      model_repository: '123',
    });
  });

  it('parses a variable as a number exactly when its setting takes numbers', () => {
    for (const key of Object.keys(shape)) {
      if (isNested(key) || isBoolean(key)) continue;
      const takesNumbers = shape[key].safeParse(2048).success;
      // List settings (load_model) take comma-separated names.
      const takesLists = shape[key].safeParse(['2048']).success;
      const value = configFromEnv({ [`AMAAS_${key.toUpperCase()}`]: '2048' })[key];
      expect({ key, type: typeof value }).toEqual({ key, type: takesNumbers ? 'number' : takesLists ? 'object' : 'string' });
    }
  });

  it('gives the loaded config numbers from numeric variables', () => {
    const c = loadServerConfig({
      env: { AMAAS_MODEL_REPOSITORY: '/m', AMAAS_PORT: '0', AMAAS_MAX_MESSAGE_BYTES: '4096', AMAAS_STREAM_WINDOW: '2', AMAAS_DRAIN_TIMEOUT_MS: '250' },
    });
    expect(c).toMatchObject({ port: 0, maxMessageBytes: 4096, streamWindow: 2, drainTimeoutMs: 250 });
  });
});

describe('loadServerConfig: errors', () => {
  it('requires model_repository, naming it', () => {
    expectConfigInvalid(() => loadServerConfig({}), 'model_repository');
    expectConfigInvalid(() => loadServerConfig({ env: { AMAAS_PORT: '1' } }), 'model_repository');
    expectConfigInvalid(() => loadServerConfig({ flags: { model_repository: '' } }), 'model_repository');
  });

  it.each([
    ['port', { AMAAS_PORT: 'http' }],
    ['port', { AMAAS_PORT: '65536' }],
    ['port', { AMAAS_PORT: '-1' }],
    ['port', { AMAAS_PORT: '80.5' }],
    ['max_message_bytes', { AMAAS_MAX_MESSAGE_BYTES: '1023' }],
    ['max_message_bytes', { AMAAS_MAX_MESSAGE_BYTES: '4GB' }],
    ['stream_window', { AMAAS_STREAM_WINDOW: '0' }],
    ['drain_timeout_ms', { AMAAS_DRAIN_TIMEOUT_MS: '-5' }],
    ['log_level', { AMAAS_LOG_LEVEL: 'verbose' }],
  ])('rejects a bad %s from the environment, naming the key', (key, env) => {
    expectConfigInvalid(() => loadServerConfig({ env: { AMAAS_MODEL_REPOSITORY: '/m', ...env } }), key);
  });

  it.each([
    ['port', 'port: "50051"\n'],
    ['port', 'port: 70000\n'],
    ['host', 'host: ""\n'],
    ['stream_window', 'stream_window: 65537\n'],
    ['max_message_bytes', 'max_message_bytes: 2147483648\n'],
    ['log_level', 'log_level: INFO\n'],
  ])('rejects a bad %s from a file, naming the key', (key, text) => {
    const file = configFile('amaas.yaml', `model_repository: /m\n${text}`);
    expectConfigInvalid(() => loadServerConfig({ file }), key);
  });

  it('rejects a bad flag value, naming the key', () => {
    expectConfigInvalid(() => loadServerConfig({ flags: { model_repository: '/m', port: 1e9 } }), 'port');
  });

  it('rejects unknown keys in a file, naming them', () => {
    const file = configFile('amaas.yaml', 'model_repository: /m\nmax_batch_size: 4\nprot: 1\n');
    expectConfigInvalid(() => loadServerConfig({ file }), 'max_batch_size', 'prot');
  });

  it('rejects unknown keys in flags, naming them', () => {
    expectConfigInvalid(() => loadServerConfig({ flags: { model_repository: '/m', verbose: true } }), 'verbose');
  });

  it('rejects a file that does not hold a mapping', () => {
    const file = configFile('amaas.yaml', 'just a string\n');
    expectConfigInvalid(() => loadServerConfig({ file }), file);
  });

  it('rejects a missing file, naming it', () => {
    const file = path.join(os.tmpdir(), 'amaas-no-such-dir', 'amaas.yaml');
    expectConfigInvalid(() => loadServerConfig({ file, flags: { model_repository: '/m' } }), file);
  });

  it('rejects invalid YAML and invalid JSON, naming the file', () => {
    const yaml = configFile('amaas.yaml', 'model_repository: [/m\n');
    expectConfigInvalid(() => loadServerConfig({ file: yaml }), yaml);
    const json = configFile('amaas.json', '{"model_repository": "/m",}');
    expectConfigInvalid(() => loadServerConfig({ file: json }), json);
  });

  it('parses .json strictly as JSON (YAML syntax is refused)', () => {
    const file = configFile('amaas.json', 'model_repository: /m\n');
    expectConfigInvalid(() => readConfigFile(file), file);
  });
});

describe('describeZodError', () => {
  it('names every failing key', () => {
    const result = ServerConfigSchema.safeParse({ port: 'x', stream_window: 0 });
    expect(result.success).toBe(false);
    const text = describeZodError(result.error);
    expect(text).toContain('model_repository');
    expect(text).toContain('port');
    expect(text).toContain('stream_window');
  });

  it('passes other errors through as their message', () => {
    expect(describeZodError(new Error('plain'))).toBe('plain');
    expect(describeZodError('text')).toBe('text');
  });
});
