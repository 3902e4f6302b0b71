import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS, DEFAULT_WORKER_SPIN_US, resolveModelConfig } from '../../../src/config/schema';
import { readModelConfig } from '../../../src/repository/model-config';
import { expectAmaasError } from '../../helpers/expect-amaas-error';
import { tempFiles } from '../../helpers/temp-files';

const temp = tempFiles('amaas-model-config-');
afterAll(() => temp.cleanup());
const configFile = temp.file;

/** Clients see the problem as a version's reason: it names the file (config.yaml), never the server folder holding it. */
const expectConfigInvalid = (fn: () => unknown, ...inMessage: string[]) => {
  const e = expectAmaasError(fn, 'AMAAS_ERR_CONFIG_INVALID', ...inMessage.map((s) => (path.isAbsolute(s) ? path.basename(s) : s)));
  for (const s of inMessage.filter((x) => path.isAbsolute(x))) expect(e.message).not.toContain(path.dirname(s));
  return e;
};

describe('resolveModelConfig', () => {
  it('fills every default', () => {
    expect(resolveModelConfig({}, 8)).toMatchObject({
      instances: 1,
      intraOpThreads: 8,
      interOpThreads: 1,
      device: 'cpu',
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      batchingRequested: false,
      maxQueueDelayMicroseconds: DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS,
      preferredBatchSizes: [],
      allowSpinning: false,
      workerNice: 10,
      workerSpinUs: DEFAULT_WORKER_SPIN_US,
      maxQueueSize: 1024,
    });
    expect(resolveModelConfig(undefined, 8)).toEqual(resolveModelConfig({}, 8));
    expect(resolveModelConfig(null, 8)).toEqual(resolveModelConfig({}, 8));
  });

  it('defaults to the machine core count for intra-op threads', () => {
    expect(resolveModelConfig({}).intraOpThreads).toBe(os.availableParallelism());
  });

  it('splits the cores between instances, at least one thread each', () => {
    expect(resolveModelConfig({ instances: 2 }, 8).intraOpThreads).toBe(4);
    expect(resolveModelConfig({ instances: 3 }, 8).intraOpThreads).toBe(2);
    expect(resolveModelConfig({ instances: 4 }, 2).intraOpThreads).toBe(1);
    expect(resolveModelConfig({ instances: 1 }, 1).intraOpThreads).toBe(1);
  });

  it('keeps an explicit intra_op_threads regardless of instances', () => {
    expect(resolveModelConfig({ instances: 4, intra_op_threads: 3 }, 2).intraOpThreads).toBe(3);
  });

  it('maps every snake_case key to its setting', () => {
    expect(
      resolveModelConfig(
        {
          instances: 2,
          intra_op_threads: 5,
          inter_op_threads: 2,
          device: 'auto',
          max_batch_size: 16,
          allow_spinning: true,
          worker_nice: 0,
          worker_spin_us: 250,
          max_queue_size: 10,
        },
        8,
      ),
    ).toMatchObject({
      instances: 2,
      intraOpThreads: 5,
      interOpThreads: 2,
      device: 'auto',
      maxBatchSize: 16,
      batchingRequested: true,
      allowSpinning: true,
      workerNice: 0,
      workerSpinUs: 250,
      maxQueueSize: 10,
    });
  });

  it('turns batching off with max_batch_size 0', () => {
    expect(resolveModelConfig({ max_batch_size: 0 }, 2)).toMatchObject({ maxBatchSize: 0, batchingRequested: false });
  });

  it('resolves dynamic_batching, sorting and deduplicating preferred sizes', () => {
    const c = resolveModelConfig({ max_batch_size: 8, dynamic_batching: { max_queue_delay_microseconds: 100, preferred_batch_sizes: [8, 2, 4, 2] } }, 2);
    expect(c).toMatchObject({ maxBatchSize: 8, batchingRequested: true, maxQueueDelayMicroseconds: 100, preferredBatchSizes: [2, 4, 8] });
    expect(resolveModelConfig({ dynamic_batching: {} }, 2)).toMatchObject({
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      batchingRequested: true,
      maxQueueDelayMicroseconds: DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS,
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(resolveModelConfig({}, 2))).toBe(true);
  });
});

describe('readModelConfig', () => {
  it('gives the defaults without a config file', () => {
    expect(readModelConfig(undefined)).toEqual(resolveModelConfig({}));
  });

  it('reads YAML', () => {
    const file = configFile('config.yaml', 'instances: 2\nmax_batch_size: 8\ndevice: auto\n');
    const c = readModelConfig(file);
    expect(c.instances).toBe(2);
    expect(c.maxBatchSize).toBe(8);
    expect(c.device).toBe('auto');
  });

  it('reads .yml and JSON', () => {
    expect(readModelConfig(configFile('config.yml', 'max_queue_size: 3\n')).maxQueueSize).toBe(3);
    expect(readModelConfig(configFile('config.json', '{"allow_spinning": true}')).allowSpinning).toBe(true);
  });

  it('treats an empty file as no settings', () => {
    expect(readModelConfig(configFile('config.yaml', ''))).toEqual(resolveModelConfig({}));
  });

  it('rejects an unknown key, naming the key and the file', () => {
    const file = configFile('config.yaml', 'instances: 1\nmax_batch: 4\n');
    expectConfigInvalid(() => readModelConfig(file), 'max_batch', file);
  });

  it.each([
    ['instances', 'instances: 0\n'],
    ['instances', 'instances: 65\n'],
    ['instances', 'instances: 1.5\n'],
    ['intra_op_threads', 'intra_op_threads: 0\n'],
    ['inter_op_threads', 'inter_op_threads: "two"\n'],
    ['device', 'device: gpu\n'],
    ['max_batch_size', 'max_batch_size: -1\n'],
    ['allow_spinning', 'allow_spinning: "yes"\n'],
    ['max_queue_size', 'max_queue_size: 0\n'],
    ['dynamic_batching', 'max_batch_size: 0\ndynamic_batching: {}\n'],
    ['preferred_batch_sizes', 'max_batch_size: 4\ndynamic_batching:\n  preferred_batch_sizes: [2, 8]\n'],
    ['max_queue_delay_microseconds', 'dynamic_batching:\n  max_queue_delay_microseconds: -1\n'],
  ])('rejects a bad value of %s, naming the key and the file', (key, text) => {
    const file = configFile('config.yaml', text);
    expectConfigInvalid(() => readModelConfig(file), key, file);
  });

  it('rejects an unknown key inside dynamic_batching, naming it and the file', () => {
    const file = configFile('config.yaml', 'dynamic_batching:\n  max_delay: 5\n');
    expectConfigInvalid(() => readModelConfig(file), 'max_delay', file);
  });

  it('rejects a bad value in JSON, naming the key and the file', () => {
    const file = configFile('config.json', '{"instances": "4"}');
    expectConfigInvalid(() => readModelConfig(file), 'instances', file);
  });

  it('rejects a file that is not valid YAML or JSON, naming the file', () => {
    const yaml = configFile('config.yaml', 'instances: [1\n');
    expectConfigInvalid(() => readModelConfig(yaml), yaml);
    const json = configFile('config.json', '{"instances": 1,}');
    expectConfigInvalid(() => readModelConfig(json), json);
  });

  it('rejects a file that does not hold a mapping', () => {
    const file = configFile('config.yaml', '- 1\n- 2\n');
    expectConfigInvalid(() => readModelConfig(file), file);
  });

  it('rejects a missing file, naming it', () => {
    const file = path.join(os.tmpdir(), 'amaas-no-such-dir', 'config.yaml');
    expectConfigInvalid(() => readModelConfig(file), file);
  });
});
