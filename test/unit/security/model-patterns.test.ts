import { MODEL_PATTERN, compileModelPatterns, matcherFor } from '../../../src/security/model-patterns';

describe('compileModelPatterns', () => {
  it('matches exact names only exactly', () => {
    const m = compileModelPatterns(['ocr_det', 'mlp']);
    expect(m('ocr_det')).toBe(true);
    expect(m('mlp')).toBe(true);
    expect(m('ocr_det2')).toBe(false);
    expect(m('OCR_DET')).toBe(false);
    expect(m('')).toBe(false);
  });

  it('treats * as any run of characters, also none, anchored at both ends', () => {
    const m = compileModelPatterns(['fraud_*']);
    expect(m('fraud_')).toBe(true);
    expect(m('fraud_v2')).toBe(true);
    expect(m('fraud_v2.large')).toBe(true);
    expect(m('xfraud_v2')).toBe(false);
    expect(m('fraud')).toBe(false);
    const mid = compileModelPatterns(['a*b*c']);
    expect(mid('abc')).toBe(true);
    expect(mid('a--b--c')).toBe(true);
    expect(mid('a--c--b')).toBe(false);
    expect(mid('abcx')).toBe(false);
    expect(compileModelPatterns(['*_det'])('ocr_det')).toBe(true);
    expect(compileModelPatterns(['*_det'])('ocr_det_')).toBe(false);
  });

  it('treats ? as exactly one character', () => {
    const m = compileModelPatterns(['v?']);
    expect(m('v1')).toBe(true);
    expect(m('v')).toBe(false);
    expect(m('v12')).toBe(false);
    expect(compileModelPatterns(['m?*'])('m')).toBe(false);
    expect(compileModelPatterns(['m?*'])('mx')).toBe(true);
  });

  it('matches nothing for an empty list and everything for *', () => {
    expect(compileModelPatterns([])('anything')).toBe(false);
    expect(compileModelPatterns(['*'])('anything')).toBe(true);
    expect(compileModelPatterns(['**'])('')).toBe(true);
  });

  it('takes regex characters in a name literally (no regex is built)', () => {
    // The tenants file refuses these characters, but the matcher itself must not interpret them either.
    const m = compileModelPatterns(['a.b', 'x+*']);
    expect(m('a.b')).toBe(true);
    expect(m('aXb')).toBe(false);
    expect(m('x+1')).toBe(true);
    expect(m('xx1')).toBe(false);
    expect(compileModelPatterns(['(a|b)'])('a')).toBe(false);
  });

  it('answers for many stars against a long name without backtracking blow-up', () => {
    const m = compileModelPatterns(['*a*a*a*a*a*a*a*a*a*a*b']);
    expect(m('a'.repeat(10_000))).toBe(false);
    expect(m(`${'a'.repeat(10_000)}b`)).toBe(true);
  });

  it('keeps one compiled matcher per pattern list', () => {
    const list = Object.freeze(['fraud_*']);
    expect(matcherFor(list)).toBe(matcherFor(list));
  });

  it('allows only model-name characters and wildcards in patterns', () => {
    for (const ok of ['fraud_*', 'ocr_det', 'v?', '*', 'a.b-c']) expect(MODEL_PATTERN.test(ok)).toBe(true);
    for (const bad of ['', 'a b', 'a/b', '(a|b)', '[ab]', 'é', 'a\n', 'x'.repeat(257)]) expect(MODEL_PATTERN.test(bad)).toBe(false);
  });
});
