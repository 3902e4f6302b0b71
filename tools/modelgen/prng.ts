/**
 * Seeded PRNG (mulberry32). Only 32-bit integer ops (Math.imul, >>>), so the
 * sequence is identical on every platform and Node version — generated model
 * files must be byte-for-byte reproducible.
 */
// Hoisted: inside vm contexts (jest) every global lookup goes through an
// interceptor, which made weight generation ~50x slower there.
const imul = Math.imul;

export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next uint32. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Float32Array of `n` values uniform in [lo, hi), rounded to float32. */
  float32Array(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    const span = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + span * (this.nextUint32() / 4294967296);
    return out;
  }
}
