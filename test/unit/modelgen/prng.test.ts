import { Prng } from '../../../tools/modelgen/prng';

describe('Prng', () => {
  it('gives the same sequence for the same seed', () => {
    const a = new Prng(1234);
    const b = new Prng(1234);
    for (let i = 0; i < 1000; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('differs across seeds', () => {
    const a = Array.from({ length: 8 }, ((p) => () => p.nextUint32())(new Prng(1)));
    const b = Array.from({ length: 8 }, ((p) => () => p.nextUint32())(new Prng(2)));
    expect(a).not.toEqual(b);
  });

  it('keeps a pinned sequence (weights in committed models depend on it)', () => {
    const p = new Prng(42);
    expect([p.nextUint32(), p.nextUint32(), p.nextUint32(), p.nextUint32()]).toEqual([
      2581720956, 1925393290, 3661312704, 2876485805,
    ]);
  });

  it('stays in range', () => {
    const p = new Prng(7);
    for (let i = 0; i < 10000; i++) {
      const u = p.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const v = p.uniform(-0.1, 0.1);
      expect(v).toBeGreaterThanOrEqual(-0.1);
      expect(v).toBeLessThan(0.1);
    }
    const arr = new Prng(9).float32Array(1000, -2, 2);
    expect(arr.length).toBe(1000);
    expect(Math.min(...arr)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...arr)).toBeLessThanOrEqual(2);
  });
});
