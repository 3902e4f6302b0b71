import { AccuracyAccumulator, gateFailures, isClassifierLike, parseGate } from '../../../src/artifacts/compare-metrics';

describe('compare metrics', () => {
  test('SQNR, max abs error and relative L2 over samples', () => {
    const a = new AccuracyAccumulator('y');
    a.add([3, 4], [3, 4.5], [1, 2]); // signal 25, noise 0.25
    a.add([0, 0], [0, 0], [1, 2]);
    const r = a.result();
    expect(r.sqnrDb).toBeCloseTo(20, 10);
    expect(r.maxAbsError).toBeCloseTo(0.5, 10);
    expect(r.relativeL2).toBeCloseTo(0.1, 10);
  });

  test('identical outputs have infinite SQNR', () => {
    const a = new AccuracyAccumulator('y');
    a.add([1, 2, 3], [1, 2, 3], [3]);
    expect(a.result()).toMatchObject({ sqnrDb: Infinity, maxAbsError: 0, relativeL2: 0, top1Agreement: null });
  });

  test('top-1 agreement per row of classifier-like outputs only', () => {
    expect(isClassifierLike([8, 10])).toBe(true);
    expect(isClassifierLike([1, 40, 6625])).toBe(true);
    expect(isClassifierLike([1, 1, 64, 64])).toBe(false);
    expect(isClassifierLike([5])).toBe(false);
    const a = new AccuracyAccumulator('p');
    a.add([0.1, 0.9, 0.8, 0.2], [0.2, 0.8, 0.4, 0.6], [2, 2]);
    expect(a.result().top1Agreement).toBe(0.5);
  });

  test('a gate parses, passes and fails with a reason per output', () => {
    const gate = parseGate('sqnr=30,top1=0.99, rel_l2=0.05');
    expect(gate).toEqual({ sqnr: 30, top1: 0.99, relL2: 0.05 });
    const good = { name: 'y', sqnrDb: 40, maxAbsError: 0, relativeL2: 0.01, top1Agreement: 1 };
    expect(gateFailures(gate, [good])).toEqual([]);
    const bad = { name: 'y', sqnrDb: 20, maxAbsError: 1, relativeL2: 0.1, top1Agreement: 0.9 };
    expect(gateFailures(gate, [bad])).toHaveLength(3);
    expect(gateFailures(gate, [{ ...good, sqnrDb: NaN }])[0]).toMatch(/SQNR NaN dB < 30/);
    expect(() => parseGate('speed=2')).toThrow(/unknown gate 'speed'/);
    expect(() => parseGate('sqnr=x')).toThrow(/needs a number/);
    expect(parseGate('')).toEqual({});
  });
});
