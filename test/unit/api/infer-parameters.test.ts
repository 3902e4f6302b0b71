/** The OIP request parameters amaas acts on, read as Triton reads them. */
import { inferPriority, inferTimeoutMs } from '../../../src/api/kserve/infer-parameters';

const int64 = (v: string) => ({ int64_param: v, parameter_choice: 'int64_param' });
const uint64 = (v: string) => ({ uint64_param: v, parameter_choice: 'uint64_param' });
const str = (v: string) => ({ string_param: v, parameter_choice: 'string_param' });

describe('timeout', () => {
  it('is microseconds, as int64 or uint64; absent or 0 is none', () => {
    expect(inferTimeoutMs({ timeout: int64('500000') })).toBe(500);
    expect(inferTimeoutMs({ timeout: uint64('1500') })).toBe(1.5);
    expect(inferTimeoutMs({ timeout: int64('0') })).toBeUndefined();
    expect(inferTimeoutMs({})).toBeUndefined();
    expect(inferTimeoutMs(null)).toBeUndefined();
  });

  it('refuses another type or a negative value', () => {
    expect(() => inferTimeoutMs({ timeout: str('1s') })).toThrow(expect.objectContaining({ code: 'AMAAS_ERR_INVALID_REQUEST' }));
    expect(() => inferTimeoutMs({ timeout: int64('-1') })).toThrow(/parameter 'timeout'/);
  });
});

describe('priority', () => {
  it("reads Triton's levels: 1 high, 2 normal, 3 and above low, 0 the default", () => {
    expect(inferPriority({ priority: uint64('1') })).toBe('high');
    expect(inferPriority({ priority: int64('2') })).toBe('normal');
    expect(inferPriority({ priority: int64('7') })).toBe('low');
    expect(inferPriority({ priority: int64('0') })).toBeUndefined();
    expect(inferPriority({ other: int64('1') })).toBeUndefined();
  });

  it('takes the names as strings, and refuses anything else', () => {
    expect(inferPriority({ priority: str('low') })).toBe('low');
    expect(() => inferPriority({ priority: str('urgent') })).toThrow(/parameter 'priority'/);
    expect(() => inferPriority({ priority: { bool_param: true, parameter_choice: 'bool_param' } })).toThrow(/parameter 'priority'/);
  });
});
