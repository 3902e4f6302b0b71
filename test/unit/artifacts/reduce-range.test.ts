import { cpuNeedsReducedRange } from '../../../src/artifacts/reduce-range';

describe('reduce range from /proc/cpuinfo', () => {
  const cpu = (flags: string) => `processor\t: 0\nmodel name\t: x\nflags\t\t: ${flags}\n`;

  test('x86 without VNNI needs 7-bit weights; with avx512_vnni or avx_vnni it does not', () => {
    expect(cpuNeedsReducedRange(cpu('fpu sse2 avx2 avx512f'), 'x64')).toBe(true);
    expect(cpuNeedsReducedRange(cpu('fpu avx2 avx512f avx512_vnni'), 'x64')).toBe(false);
    expect(cpuNeedsReducedRange(cpu('fpu avx2 avx_vnni'), 'x64')).toBe(false);
  });

  test('unknown x86 keeps the headroom; other architectures keep 8 bits', () => {
    expect(cpuNeedsReducedRange(undefined, 'x64')).toBe(true);
    expect(cpuNeedsReducedRange('processor : 0\n', 'x64')).toBe(true);
    expect(cpuNeedsReducedRange(cpu('fp asimd'), 'arm64')).toBe(false);
  });
});
