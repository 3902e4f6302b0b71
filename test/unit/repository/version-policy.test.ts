/** version_policy: which version folders load, and how the config keys of the lifecycle resolve. */
import { resolveModelConfig } from '../../../src/config/schema';
import { selectVersions } from '../../../src/repository/version-policy';

describe('selectVersions', () => {
  it('latest N takes the N highest version numbers (numerically, not as strings)', () => {
    expect(selectVersions({ latest: 1 }, [1, 2, 10, 9])).toEqual([10]);
    expect(selectVersions({ latest: 2 }, [3, 1, 2])).toEqual([2, 3]);
    expect(selectVersions({ latest: 5 }, [2, 1])).toEqual([1, 2]);
    expect(selectVersions({ latest: 1 }, [])).toEqual([]);
  });

  it('specific takes exactly the listed versions that exist; all takes every one', () => {
    expect(selectVersions({ specific: [1, 3, 7] }, [1, 2, 3])).toEqual([1, 3]);
    expect(selectVersions('all', [3, 1, 2])).toEqual([1, 2, 3]);
  });
});

describe('lifecycle config keys', () => {
  it('defaults: latest 1, no pinned default, one generated warm-up run, no checksums', () => {
    const c = resolveModelConfig({}, 4);
    expect(c.versionPolicy).toEqual({ latest: 1 });
    expect(c.defaultVersion).toBeNull();
    expect(c.warmup).toEqual({ generated: true, runs: 1 });
    expect(c.sha256.size).toBe(0);
  });

  it('reads version_policy, default_version, warmup and sha256 (hex lower-cased, keyed by version)', () => {
    const hex = 'AB'.repeat(32);
    const c = resolveModelConfig({ version_policy: { specific: [1, 2] }, default_version: 1, warmup: { runs: 3 }, sha256: { '2': hex } }, 4);
    expect(c.versionPolicy).toEqual({ specific: [1, 2] });
    expect(c.defaultVersion).toBe(1);
    expect(c.warmup).toEqual({ generated: true, runs: 3 });
    expect(c.sha256.get(2)).toBe(hex.toLowerCase());
  });

  it('rejects malformed policies and checksums', () => {
    expect(() => resolveModelConfig({ version_policy: { latest: 0 } })).toThrow();
    expect(() => resolveModelConfig({ version_policy: 'newest' })).toThrow();
    expect(() => resolveModelConfig({ sha256: { '2': 'abc' } })).toThrow();
    expect(() => resolveModelConfig({ sha256: { two: 'ab'.repeat(32) } })).toThrow();
  });
});
