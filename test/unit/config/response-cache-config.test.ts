import { parseByteSize } from '../../../src/config/byte-size';
import { resolveModelConfig } from '../../../src/config/schema';
import { describeZodError } from '../../../src/config/load';

const cacheOf = (raw: object) => resolveModelConfig(raw, 2).responseCache;

function problem(raw: object): string {
  try {
    resolveModelConfig(raw, 2);
  } catch (err) {
    return describeZodError(err);
  }
  throw new Error('the config was accepted');
}

describe('response_cache in the model config', () => {
  it('is off by default', () => {
    expect(cacheOf({})).toBeNull();
  });

  it('takes max_bytes as a number or an IEC size', () => {
    expect(cacheOf({ response_cache: { max_bytes: 4096 } })).toEqual({ maxBytes: 4096 });
    expect(cacheOf({ response_cache: { max_bytes: '64MiB' } })).toEqual({ maxBytes: 64 * 2 ** 20 });
    expect(cacheOf({ response_cache: { max_bytes: '1.5 KiB' } })).toEqual({ maxBytes: 1536 });
    expect(cacheOf({ response_cache: { max_bytes: '2GiB' } })).toEqual({ maxBytes: 2 * 2 ** 30 });
  });

  it('refuses sizes it cannot read exactly, naming the key', () => {
    expect(problem({ response_cache: { max_bytes: '64MB' } })).toMatch(/response_cache\.max_bytes.*write MiB/);
    expect(problem({ response_cache: { max_bytes: 'lots' } })).toMatch(/response_cache\.max_bytes/);
    expect(problem({ response_cache: { max_bytes: 0 } })).toMatch(/response_cache\.max_bytes.*from 1/);
    expect(problem({ response_cache: { max_bytes: 1.5 } })).toMatch(/whole number/);
    expect(problem({ response_cache: {} })).toMatch(/response_cache\.max_bytes/);
    expect(problem({ response_cache: { max_bytes: 10, ttl: 5 } })).toMatch(/ttl/);
  });
});

describe('parseByteSize', () => {
  it('reads plain bytes and binary units', () => {
    expect(parseByteSize('100')).toEqual({ bytes: 100 });
    expect(parseByteSize('100B')).toEqual({ bytes: 100 });
    expect(parseByteSize(' 3 MiB ')).toEqual({ bytes: 3 * 2 ** 20 });
    expect(parseByteSize('1TiB')).toEqual({ bytes: 2 ** 40 });
  });

  it('says why it refuses', () => {
    expect(parseByteSize('5 kb')).toEqual({ why: expect.stringContaining('KiB') });
    expect(parseByteSize('-5')).toEqual({ why: expect.stringContaining('64MiB') });
  });
});
