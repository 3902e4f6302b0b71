/**
 * The fair-queuing policy on its own: entries are plain objects, time is a number the test passes in.
 * Every expectation is an exact order or count, so each test fails if the policy changes.
 */
import { FairEntry, FairQueue, TenantBacklog, fairUnitsAhead } from '../../../src/scheduling/fair-queue';
import type { Priority } from '../../../src/scheduling/scheduler';

interface Item extends FairEntry {
  readonly label: string;
}

let seq = 0;
function item(tenant: string, weight: number, units = 1, queuedAt = 0, priority: Priority = 'normal'): Item {
  return { tenant, weight, units, queuedAt, priority, label: `${tenant}${seq++}` };
}

function backlog(q: FairQueue<Item>, tenant: string, weight: number, n: number, units = 1, queuedAt = 0, priority: Priority = 'normal'): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const it = item(tenant, weight, units, queuedAt, priority);
    q.push(it);
    items.push(it);
  }
  return items;
}

function unitsBy(items: readonly Item[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[it.tenant] = (out[it.tenant] ?? 0) + it.units;
  return out;
}

const NO_AGING = { agingMs: Number.POSITIVE_INFINITY };

describe('FairQueue: weights', () => {
  it('serves rows 1:3 to tenants of weights 1 and 3 within one batch of 8 one-row entries', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 100);
    backlog(q, 'b', 3, 100);
    const batch = q.take(8, 0);
    expect(unitsBy(batch)).toEqual({ a: 2, b: 6 });
    // And it stays there batch after batch.
    for (let i = 0; i < 10; i++) expect(unitsBy(q.take(8, 0))).toEqual({ a: 2, b: 6 });
  });

  it('converges to 1:3 in rows within one batch when entries carry many rows', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 50, 4);
    backlog(q, 'b', 3, 50, 4);
    // 32 rows, 4 per entry: 8:24 in the first batch already, and in every batch after it.
    expect(unitsBy(q.peek(32, 0))).toEqual({ a: 8, b: 24 });
    for (let i = 0; i < 5; i++) expect(unitsBy(q.take(8, 0))).toEqual({ a: 8, b: 24 });
  });

  it('gives equal weights equal turns, one entry each', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 5);
    backlog(q, 'b', 1, 5);
    expect(q.take(6, 0).map((i) => i.tenant)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('lets a newcomer in at once instead of behind the whole backlog of another tenant', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 1000);
    q.take(3, 0);
    const b = item('b', 1);
    q.push(b);
    expect(q.peek(2, 0)).toContain(b);
  });

  it('keeps no credit for a tenant whose queue emptied', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 10);
    backlog(q, 'b', 1, 1);
    q.take(2, 0);
    // b left; coming back it competes one for one, it does not get the turns it missed.
    backlog(q, 'b', 1, 10);
    expect(unitsBy(q.take(6, 0))).toEqual({ a: 3, b: 3 });
  });
});

describe('FairQueue: priority', () => {
  it('serves a high-priority arrival next, ahead of any normal backlog', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 20);
    backlog(q, 'b', 3, 20);
    q.take(5, 0);
    const urgent = item('a', 1, 1, 1, 'high');
    q.push(urgent);
    expect(q.peek(1, 1)).toEqual([urgent]);
    expect(q.take(1, 1)).toEqual([urgent]);
  });

  it('serves low only when nothing else waits, until aging lifts it', () => {
    const q = new FairQueue<Item>({ agingMs: 100 });
    const low = item('b', 1, 1, 0, 'low');
    q.push(low);
    backlog(q, 'a', 1, 50, 1, 10);
    // Before 100 ms it is still low: every normal entry goes first.
    expect(q.peek(50, 99)).not.toContain(low);
    // At 100 ms it is normal, and older than every normal entry waiting: it is next.
    expect(q.peek(1, 100)).toEqual([low]);
  });

  it('lifts low to the top after two aging steps, ahead of fresh high entries', () => {
    const q = new FairQueue<Item>({ agingMs: 100 });
    const low = item('b', 1, 1, 0, 'low');
    q.push(low);
    backlog(q, 'a', 1, 10, 1, 150, 'high');
    expect(q.peek(10, 150)).not.toContain(low);
    expect(q.take(1, 200)).toEqual([low]);
  });

  it('keeps one tenant first come first served within a level', () => {
    const q = new FairQueue<Item>(NO_AGING);
    const items = backlog(q, 'a', 1, 5);
    expect(q.take(5, 0)).toEqual(items);
  });
});

describe('FairQueue: mechanics', () => {
  it('peek changes nothing and take returns what peek showed', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 7, 2);
    backlog(q, 'b', 2, 7, 3);
    const shown = q.peek(10, 0);
    expect(q.peek(10, 0)).toEqual(shown);
    expect(q.take(shown.length, 0)).toEqual(shown);
    expect(q.size).toBe(14 - shown.length);
  });

  it('peek includes the entry that crosses the row limit', () => {
    const q = new FairQueue<Item>(NO_AGING);
    backlog(q, 'a', 1, 3, 3);
    expect(q.peek(4, 0).length).toBe(2);
  });

  it('removes a cancelled entry and forgets an emptied tenant', () => {
    const q = new FairQueue<Item>(NO_AGING);
    const [a] = backlog(q, 'a', 1, 1);
    const bs = backlog(q, 'b', 1, 2);
    expect(q.remove(a)).toBe(true);
    expect(q.remove(a)).toBe(false);
    expect(q.tenants).toBe(1);
    expect(q.take(5, 0)).toEqual(bs);
    expect(q.size).toBe(0);
    expect(q.tenants).toBe(0);
  });

  it('knows its oldest entry', () => {
    const q = new FairQueue<Item>(NO_AGING);
    expect(q.oldestQueuedAt()).toBe(Number.POSITIVE_INFINITY);
    q.push(item('a', 1, 1, 30));
    q.push(item('b', 1, 1, 20, 'low'));
    q.push(item('b', 1, 1, 40, 'high'));
    expect(q.oldestQueuedAt()).toBe(20);
  });
});

describe('fairUnitsAhead', () => {
  it('counts the own backlog in full and the others by their share while it drains', () => {
    const backlogs = new Map<string, TenantBacklog>([
      ['a', { count: 100, units: 1000, weight: 1 }],
      ['b', { count: 2, units: 2, weight: 1 }],
    ]);
    // b's new entry of 1 row drains b's 3 rows, while a gets 3 of its 1000.
    expect(fairUnitsAhead(backlogs, 'b', 1, 1)).toBe(2 + 3);
    // a waits behind all of its own and all of b's.
    expect(fairUnitsAhead(backlogs, 'a', 1, 1)).toBe(1000 + 2);
    // Nothing queued: nothing ahead.
    expect(fairUnitsAhead(new Map(), 'c', 1, 8)).toBe(0);
  });
});

describe('FairQueue: invariants under a seeded random workload', () => {
  it('serves every entry once, as peek showed, keeping each tenant-and-level FIFO', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const priorities: Priority[] = ['high', 'normal', 'low'];
    const q = new FairQueue<Item>({ agingMs: 50 });
    const queued = new Set<Item>();
    const served: Item[] = [];
    let now = 0;
    let pushed = 0;
    for (let op = 0; op < 5000; op++) {
      now += rand(3);
      const r = rand(10);
      if (r < 6) {
        const t = rand(4);
        const it = item(`t${t}`, t + 1, 1 + rand(8), now, priorities[rand(3)]);
        q.push(it);
        queued.add(it);
        pushed++;
      } else if (r < 7 && queued.size > 0) {
        const victim = [...queued][rand(queued.size)];
        expect(q.remove(victim)).toBe(true);
        queued.delete(victim);
      } else {
        const shown = q.peek(1 + rand(20), now);
        const taken = q.take(shown.length, now);
        expect(taken).toEqual(shown);
        for (const it of taken) {
          expect(queued.delete(it)).toBe(true);
          served.push(it);
        }
      }
      expect(q.size).toBe(queued.size);
    }
    const rest = q.take(q.size, now);
    for (const it of rest) expect(queued.delete(it)).toBe(true);
    served.push(...rest);
    expect(queued.size).toBe(0);
    expect(q.size).toBe(0);
    expect(q.tenants).toBe(0);
    expect(new Set(served).size).toBe(served.length);
    expect(pushed).toBeGreaterThan(served.length - 1);
    // Within one tenant and priority, first come first served.
    const last = new Map<string, number>();
    for (const it of served) {
      const lane = `${it.tenant}/${it.priority}`;
      const order = Number(it.label.slice(it.tenant.length));
      expect(order).toBeGreaterThan(last.get(lane) ?? -1);
      last.set(lane, order);
    }
  });
});
