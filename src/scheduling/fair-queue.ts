/**
 * The order in which one model version serves its tenants, and nothing else: no timers, tensors or workers.
 * Time comes in as an argument (the scheduler reads its injected Clock once per decision), so tests drive it
 * by hand and a peek and the take that follows it always agree.
 *
 *   - Priority first: every waiting entry has a level (high 0, normal 1, low 2); the lowest level waiting is
 *     served first. Aging lifts an entry one level for every `agingMs` it has waited, so low never starves.
 *   - Between the tenants at that level, deficit round robin on rows: each tenant's turn adds
 *     `quantumRows x weight` to its deficit, and it is served while its next entry's rows fit in the deficit.
 *     With both backlogged, tenants of weights 1 and 3 get rows in the ratio 1:3 within a few quanta.
 *   - Within one tenant and level, first come first served.
 *
 * A tenant whose queue empties loses its deficit (standard DRR: idle time earns no credit). With one tenant
 * queued the walk is a plain FIFO per level, no deficits kept; with one tenant at one level (the single-tenant
 * case, and fairness off) peek and take are a slice and a splice of that FIFO, as cheap as a plain queue.
 */
import type { Priority } from './scheduler';

/** What the policy needs of a waiting job. */
export interface FairEntry {
  readonly tenant: string;
  /** > 0; relative share of rows. */
  readonly weight: number;
  readonly priority: Priority;
  /** The entry's cost, at least 1. */
  readonly units: number;
  /** Clock time it was queued. */
  readonly queuedAt: number;
}

export interface FairQueueOptions {
  /** Waiting this long lifts an entry one priority level; Infinity: no aging. */
  readonly agingMs: number;
  /** Rows one turn adds to a tenant of weight 1. Small quanta interleave tenants finely. Default 1. */
  readonly quantumRows?: number;
}

/** priority_aging_ms's default: a low-priority entry waits at most about two of these behind high ones. */
export const DEFAULT_PRIORITY_AGING_MS = 1000;

const LEVELS: Readonly<Record<Priority, number>> = { high: 0, normal: 1, low: 2 };
const LEVEL_COUNT = 3;

interface TenantQueue<T> {
  readonly name: string;
  weight: number;
  deficit: number;
  /** One FIFO per base level. */
  readonly lanes: T[][];
  size: number;
}

/** The walk's view of the state: the real one when taking, a copy when peeking. */
interface Walk {
  readonly deficits: number[];
  /** Entries already walked off the head of each tenant's lanes. */
  readonly offsets: number[][];
  readonly left: number[];
  pointer: number;
  turnOpen: boolean;
}

export class FairQueue<T extends FairEntry> {
  /** Tenants with entries, in round-robin order. */
  private ring: TenantQueue<T>[] = [];
  private readonly byName = new Map<string, TenantQueue<T>>();
  private pointer = 0;
  /** Whether the tenant at the pointer already had its quantum this turn. */
  private turnOpen = false;
  private count = 0;
  private readonly agingMs: number;
  private readonly quantum: number;

  constructor(options: FairQueueOptions) {
    if (!(options.agingMs > 0)) throw new RangeError('agingMs must be above 0 (Infinity: no aging)');
    this.agingMs = options.agingMs;
    this.quantum = options.quantumRows ?? 1;
    if (!(this.quantum > 0)) throw new RangeError('quantumRows must be above 0');
  }

  get size(): number {
    return this.count;
  }

  /** Tenants with entries waiting. */
  get tenants(): number {
    return this.ring.length;
  }

  push(entry: T): void {
    let q = this.byName.get(entry.tenant);
    if (!q) {
      q = { name: entry.tenant, weight: entry.weight, deficit: 0, lanes: [[], [], []], size: 0 };
      this.byName.set(entry.tenant, q);
      // A newcomer joins at the end of the round, behind the tenants already waiting.
      this.ring.push(q);
    }
    // The newest weight wins: a tenants file reload applies to the next turn.
    q.weight = entry.weight;
    q.lanes[LEVELS[entry.priority]].push(entry);
    q.size++;
    this.count++;
  }

  /** Takes an entry out wherever it is (it was cancelled); false when it is not queued. */
  remove(entry: T): boolean {
    const q = this.byName.get(entry.tenant);
    if (!q) return false;
    const lane = q.lanes[LEVELS[entry.priority]];
    const i = lane.indexOf(entry);
    if (i < 0) return false;
    lane.splice(i, 1);
    q.size--;
    this.count--;
    if (q.size === 0) this.drop(this.ring.indexOf(q));
    return true;
  }

  /** The clock time the oldest entry was queued; Infinity when empty. */
  oldestQueuedAt(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const q of this.ring) for (const lane of q.lanes) if (lane.length > 0 && lane[0].queuedAt < oldest) oldest = lane[0].queuedAt;
    return oldest;
  }

  /**
   * The entries take() would return at `now`, in order: as many as it takes to reach `units` units (the entry
   * that crosses the limit included, so a batch policy can tell the next one would not fit). Changes nothing.
   */
  peek(units: number, now: number): T[] {
    const sole = this.soleLane();
    if (sole) {
      let n = 0;
      for (let sum = 0; n < sole.length && sum < units; n++) sum += sole[n].units;
      return sole.slice(0, n);
    }
    const walk = this.startWalk();
    const out: T[] = [];
    let sum = 0;
    while (sum < units && out.length < this.count) {
      const e = this.step(walk, now);
      out.push(e);
      sum += e.units;
    }
    return out;
  }

  /** Takes the next `n` entries in service order (what peek showed at the same `now`). */
  take(n: number, now: number): T[] {
    const sole = this.soleLane();
    if (sole) {
      const out = sole.splice(0, n);
      this.ring[0].size -= out.length;
      this.count -= out.length;
      if (this.ring[0].size === 0) this.drop(0);
      return out;
    }
    const walk = this.startWalk();
    const out: T[] = [];
    while (out.length < n && out.length < this.count) out.push(this.step(walk, now));
    this.commit(walk, out.length);
    return out;
  }

  /** A walk from the current state; take() commits it, peek() drops it. */
  private startWalk(): Walk {
    return {
      deficits: this.ring.map((q) => q.deficit),
      offsets: this.ring.map(() => [0, 0, 0]),
      left: this.ring.map((q) => q.size),
      pointer: this.pointer,
      turnOpen: this.turnOpen,
    };
  }

  /** The one lane holding every entry (one tenant, one level): then the order is that FIFO, no walk needed. */
  private soleLane(): T[] | null {
    if (this.ring.length !== 1) return null;
    let sole: T[] | null = null;
    for (const lane of this.ring[0].lanes) {
      if (lane.length === 0) continue;
      if (sole) return null;
      sole = lane;
    }
    return sole;
  }

  /** Applies a walk: drops the walked entries, keeps the deficits, removes tenants left empty. */
  private commit(walk: Walk, taken: number): void {
    let pointer = walk.pointer;
    let turnOpen = walk.turnOpen;
    const kept: TenantQueue<T>[] = [];
    this.ring.forEach((q, i) => {
      for (let l = 0; l < LEVEL_COUNT; l++) if (walk.offsets[i][l] > 0) q.lanes[l].splice(0, walk.offsets[i][l]);
      q.size = walk.left[i];
      q.deficit = walk.deficits[i];
      if (q.size > 0) {
        kept.push(q);
        return;
      }
      this.byName.delete(q.name);
      // Removing a tenant before the pointer moves the pointer back; removing the one at the pointer ends its turn.
      if (i < walk.pointer) pointer--;
      else if (i === walk.pointer) turnOpen = false;
    });
    this.ring = kept;
    this.count -= taken;
    this.pointer = kept.length === 0 ? 0 : pointer % kept.length;
    this.turnOpen = kept.length === 0 ? false : turnOpen;
  }

  private drop(index: number): void {
    const q = this.ring[index];
    this.byName.delete(q.name);
    this.ring.splice(index, 1);
    if (index < this.pointer) this.pointer--;
    else if (index === this.pointer) this.turnOpen = false;
    if (this.pointer >= this.ring.length) this.pointer = 0;
  }

  /** The level a tenant's next entry is served at, and which lane holds it; null when the tenant has none left. */
  private head(walk: Walk, i: number, now: number): { level: number; lane: number; entry: T } | null {
    const q = this.ring[i];
    let best: { level: number; lane: number; entry: T } | null = null;
    for (let l = 0; l < LEVEL_COUNT; l++) {
      const entry = q.lanes[l][walk.offsets[i][l]];
      if (entry === undefined) continue;
      const level = Math.max(0, l - Math.floor((now - entry.queuedAt) / this.agingMs));
      // Equal levels: the older entry first, so an aged low entry is not overtaken by later normal ones.
      if (!best || level < best.level || (level === best.level && entry.queuedAt < best.entry.queuedAt)) best = { level, lane: l, entry };
    }
    return best;
  }

  /** One entry off the walk; the queue must not be exhausted. */
  private step(walk: Walk, now: number): T {
    const heads = this.ring.map((_, i) => this.head(walk, i, now));
    let top = LEVEL_COUNT;
    for (const h of heads) if (h && h.level < top) top = h.level;
    const eligible = (i: number) => heads[i] !== null && heads[i]!.level === top;
    const n = this.ring.length;
    if (n === 1) return this.serve(walk, 0, heads[0]!);
    this.skipIdleRounds(walk, heads, eligible);
    // Bounded: after skipIdleRounds some eligible tenant can serve within one more round.
    for (;;) {
      const i = walk.pointer;
      if (eligible(i)) {
        if (!walk.turnOpen) {
          walk.deficits[i] += this.quantum * this.ring[i].weight;
          walk.turnOpen = true;
        }
        const h = heads[i]!;
        if (h.entry.units <= walk.deficits[i]) {
          walk.deficits[i] -= h.entry.units;
          return this.serve(walk, i, h);
        }
      }
      walk.pointer = (i + 1) % n;
      walk.turnOpen = false;
    }
  }

  /**
   * Large entries against a small quantum would take many empty rounds; when no eligible tenant can be served
   * within the next round, give every eligible tenant the quanta of the rounds in which none could (exact: a
   * round from the pointer back to it visits each tenant once, and in those rounds DRR only adds quanta).
   */
  private skipIdleRounds(walk: Walk, heads: ReadonlyArray<{ entry: T } | null>, eligible: (i: number) => boolean): void {
    let rounds = Number.POSITIVE_INFINITY;
    for (let i = 0; i < heads.length; i++) {
      if (!eligible(i)) continue;
      const missing = heads[i]!.entry.units - walk.deficits[i];
      if (missing <= 0) return;
      rounds = Math.min(rounds, Math.ceil(missing / (this.quantum * this.ring[i].weight)));
    }
    const skip = rounds - 1;
    if (!(skip > 0) || !Number.isFinite(skip)) return;
    for (let i = 0; i < heads.length; i++) if (eligible(i)) walk.deficits[i] += skip * this.quantum * this.ring[i].weight;
  }

  private serve(walk: Walk, i: number, h: { lane: number; entry: T }): T {
    walk.offsets[i][h.lane]++;
    walk.left[i]--;
    if (walk.left[i] === 0) {
      // An emptied tenant keeps no credit, and its turn ends.
      walk.deficits[i] = 0;
      if (i === walk.pointer) {
        walk.pointer = (i + 1) % this.ring.length;
        walk.turnOpen = false;
      }
    }
    return h.entry;
  }
}

/** Queued jobs and units of one tenant in one version, for its queue cap and its expected wait. */
export interface TenantBacklog {
  count: number;
  units: number;
  weight: number;
}

/**
 * Units a new entry of `tenant` would wait behind under fair sharing: its own tenant's backlog in full, and of
 * every other tenant at most the share that tenant gets while this one drains `own + units` (by weight).
 * Ignores priority (a high-priority entry may well wait less), so admission errs towards letting work in.
 */
export function fairUnitsAhead(backlogs: ReadonlyMap<string, TenantBacklog>, tenant: string, weight: number, units: number): number {
  const own = backlogs.get(tenant)?.units ?? 0;
  const drained = own + units;
  let ahead = own;
  for (const [name, b] of backlogs) if (name !== tenant) ahead += Math.min(b.units, (drained * b.weight) / weight);
  return ahead;
}
