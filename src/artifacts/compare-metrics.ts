/**
 * Accuracy of a candidate model's outputs against the original's, accumulated over samples: SQNR in dB,
 * maximum absolute error, relative L2 error, and for classifier-like outputs (rank 2 or 3, classes on the last
 * axis) how often the arg-max class agrees.
 */

export interface OutputAccuracy {
  readonly name: string;
  /** 10 log10(sum ref^2 / sum (ref - cand)^2); Infinity when the outputs are identical. */
  readonly sqnrDb: number;
  readonly maxAbsError: number;
  /** ||ref - cand|| / ||ref||. */
  readonly relativeL2: number;
  /** Share of rows whose arg-max class agrees; null for outputs that are not classifier-like. */
  readonly top1Agreement: number | null;
}

/** Whether an output of this shape holds per-row class scores. */
export function isClassifierLike(dims: readonly number[]): boolean {
  const last = dims[dims.length - 1] ?? 0;
  return (dims.length === 2 || dims.length === 3) && last >= 2;
}

function argmax(values: ArrayLike<number>, from: number, count: number): number {
  let best = from;
  for (let i = from + 1; i < from + count; i++) if (values[i] > values[best]) best = i;
  return best - from;
}

/** Running sums for one output across samples. */
export class AccuracyAccumulator {
  private signal = 0;
  private noise = 0;
  private maxAbs = 0;
  private rows = 0;
  private agreeing = 0;
  private classifier = true;

  constructor(readonly name: string) {}

  add(ref: ArrayLike<number>, cand: ArrayLike<number>, dims: readonly number[]): void {
    if (ref.length !== cand.length) throw new Error(`output '${this.name}': the candidate gives ${cand.length} values, the original ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      const d = ref[i] - cand[i];
      this.signal += ref[i] * ref[i];
      this.noise += d * d;
      const a = Math.abs(d);
      if (a > this.maxAbs || Number.isNaN(a)) this.maxAbs = a;
    }
    if (!isClassifierLike(dims)) {
      this.classifier = false;
      return;
    }
    const classes = dims[dims.length - 1];
    for (let r = 0; r < ref.length; r += classes) {
      this.rows++;
      if (argmax(ref, r, classes) === argmax(cand, r, classes)) this.agreeing++;
    }
  }

  result(): OutputAccuracy {
    const sqnrDb = this.noise === 0 ? Infinity : this.signal === 0 ? -Infinity : 10 * Math.log10(this.signal / this.noise);
    return {
      name: this.name,
      sqnrDb,
      maxAbsError: this.maxAbs,
      relativeL2: this.signal === 0 ? (this.noise === 0 ? 0 : Infinity) : Math.sqrt(this.noise / this.signal),
      top1Agreement: this.classifier && this.rows > 0 ? this.agreeing / this.rows : null,
    };
  }
}

export interface Gate {
  /** Minimum SQNR (dB) for every output. */
  readonly sqnr?: number;
  /** Minimum top-1 agreement for every classifier-like output. */
  readonly top1?: number;
  /** Maximum relative L2 error for every output. */
  readonly relL2?: number;
}

/** `sqnr=30,top1=0.99,rel_l2=0.05` -> Gate. */
export function parseGate(text: string): Gate {
  const gate: { sqnr?: number; top1?: number; relL2?: number } = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, raw] = part.split('=');
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value)) throw new Error(`gate '${part}' needs a number, as in sqnr=30`);
    if (key === 'sqnr') gate.sqnr = value;
    else if (key === 'top1') gate.top1 = value;
    else if (key === 'rel_l2') gate.relL2 = value;
    else throw new Error(`unknown gate '${key}' (known: sqnr, top1, rel_l2)`);
  }
  return gate;
}

/** The gate's failures, one line each; empty when it passes. */
export function gateFailures(gate: Gate, outputs: readonly OutputAccuracy[]): string[] {
  const failures: string[] = [];
  for (const o of outputs) {
    if (gate.sqnr !== undefined && !(o.sqnrDb >= gate.sqnr)) failures.push(`${o.name}: SQNR ${o.sqnrDb.toFixed(2)} dB < ${gate.sqnr} dB`);
    if (gate.relL2 !== undefined && !(o.relativeL2 <= gate.relL2)) failures.push(`${o.name}: relative L2 ${o.relativeL2.toFixed(4)} > ${gate.relL2}`);
    if (gate.top1 !== undefined && o.top1Agreement !== null && !(o.top1Agreement >= gate.top1)) {
      failures.push(`${o.name}: top-1 agreement ${o.top1Agreement.toFixed(4)} < ${gate.top1}`);
    }
  }
  return failures;
}
