/** Tallies: a bucket's bound is inclusive (Prometheus `le`), buckets come out cumulative with +Inf = count, and a label set bound twice is one series. */
import { Counter, Registry } from 'prom-client';
import { TalliedCounter, TalliedHistogram } from '../../../src/observability/tallies';

it('publishes histogram tallies as cumulative le buckets, sum and count', async () => {
  const registry = new Registry();
  const h = new TalliedHistogram({ name: 't_seconds', help: 'test', labelNames: ['model'], buckets: [0.1, 1], registry });
  const a = h.bind('a');
  for (const v of [0.05, 0.1, 0.5, 1, 7]) a.observe(v);
  expect(h.bind('a')).toBe(a);
  const text = await registry.metrics();
  expect(text).toContain('# TYPE t_seconds histogram');
  expect(text).toContain('t_seconds_bucket{model="a",le="0.1"} 2');
  expect(text).toContain('t_seconds_bucket{model="a",le="1"} 4');
  expect(text).toContain('t_seconds_bucket{model="a",le="+Inf"} 5');
  expect(text).toContain('t_seconds_sum{model="a"} 8.65');
  expect(text).toContain('t_seconds_count{model="a"} 5');
});

it('publishes counter tallies when the registry collects, one series per label set', async () => {
  const registry = new Registry();
  let c: TalliedCounter<'model'> | null = null;
  c = new TalliedCounter(new Counter({ name: 't_total', help: 'test', labelNames: ['model'], registers: [registry], collect: () => c!.publish() }));
  c.bind('a').value += 2;
  c.bind('a').value += 3;
  c.bind('b').value++;
  const text = await registry.metrics();
  expect(text).toContain('t_total{model="a"} 5');
  expect(text).toContain('t_total{model="b"} 1');
  // Collecting again does not add the tallies twice.
  expect(await registry.metrics()).toContain('t_total{model="a"} 5');
});
