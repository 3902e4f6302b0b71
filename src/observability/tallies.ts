/**
 * The hot path's side of the metrics: plain numbers per label set, added to on the main thread, published to
 * prom-client only when Prometheus scrapes. prom-client 15's bound children (labels(...)) still rebuild the
 * label-set key string and validate the labels on every inc() and observe(); a Tally is one addition, a
 * HistogramTally a bucket search and three additions. prom-client still renders every line of the exposition.
 */
import type { Counter, Registry } from 'prom-client';

/** One counter series' value. */
export class Tally {
  value = 0;
}

/** A metric family's series: one tally per label set (values in the family's label order), made on first bind. */
class Series<T> {
  private readonly byKey = new Map<string, { readonly labels: readonly string[]; readonly tally: T }>();

  constructor(private readonly make: () => T) {}

  /** The same tally on every call with the same labels. */
  bind(labels: readonly string[]): T {
    const key = labels.join('\u0000');
    let s = this.byKey.get(key);
    if (!s) {
      s = { labels, tally: this.make() };
      this.byKey.set(key, s);
    }
    return s.tally;
  }

  values(): IterableIterator<{ readonly labels: readonly string[]; readonly tally: T }> {
    return this.byKey.values();
  }
}

/** A prom-client Counter whose series are Tallies: bind once per label set, publish at scrape time. */
export class TalliedCounter<L extends string> {
  private readonly series = new Series(() => new Tally());

  constructor(readonly counter: Counter<L>) {}

  /** The tally of one label set (label values in the counter's label order); the same one on every call. */
  bind(...labels: string[]): Tally {
    return this.series.bind(labels);
  }

  /** The counter's collect(): sets every series to its tally. */
  publish(): void {
    this.counter.reset();
    for (const s of this.series.values()) this.counter.labels(...s.labels).inc(s.tally.value);
  }
}

/** One histogram series: counts per bucket (not cumulative; the last is above every bound), sum and count. */
export class HistogramTally {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

interface HistogramSample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A histogram metric family backed by HistogramTallies, registered on a prom-client Registry as a metric of its
 * own: the registry asks get() for the samples (the shape prom-client's Histogram returns: cumulative `_bucket`
 * samples with `le`, then `_sum` and `_count`) and writes the text format itself.
 */
export class TalliedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: Series<HistogramTally>;

  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly buckets: readonly number[];

  constructor(config: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[]; registry: Registry }) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.buckets = config.buckets;
    this.series = new Series(() => new HistogramTally(this.buckets));
    config.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  bind(...labels: string[]): HistogramTally {
    return this.series.bind(labels);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramSample[] }> {
    const values: HistogramSample[] = [];
    for (const { labels, tally } of this.series.values()) {
      const base: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (base[n] = labels[i]));
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += tally.counts[i];
        values.push({ labels: { ...base, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...base, le: '+Inf' }, value: tally.count, metricName: `${this.name}_bucket` });
      values.push({ labels: base, value: tally.sum, metricName: `${this.name}_sum` });
      values.push({ labels: base, value: tally.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /**
   * Part of the registry's metric interface (Registry.resetMetrics). Series are cumulative and bound by the
   * recorder for the version's lifetime; dropping them here would leave those tallies counting unseen, so, as
   * with the tallied counters (publish() sets them from their tallies), nothing is reset.
   */
  reset(): void {}
}
