// Counters and histograms kept in plain maps and arrays: recording is one map lookup and a few additions, with no
// label object built or hashed on the request path. prom-client reads them only when `/metrics` is scraped; they
// render like its own Counter and Histogram.
import type { Metric, Registry } from 'prom-client'

/** One rendered sample, as prom-client's own metrics hand them to the registry. */
interface Sample {
  metricName?: string
  labels: Record<string, string | number>
  value: number
}

/** A counter whose label sets are named by a key the caller builds (label values joined by `\0`). */
export class CounterSeries {
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  /**
   * Adds 1 to the series `key`. A new series takes its label values (in `labelNames` order) from `values(arg)`: a
   * function and its argument, not a closure, so the common case (the series exists) allocates nothing.
   */
  inc<A>(key: string, values: (arg: A) => readonly string[], arg: A): void {
    const s = this.series.get(key)
    if (s !== undefined) s.value++
    else this.series.set(key, { labels: labelsOf(this.labelNames, values(arg)), value: 1 })
  }

  register(registry: Registry): void {
    registry.registerMetric(exported(this.name, 'counter', this.help, () => this.samples()))
  }

  private samples(): Sample[] {
    return [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }))
  }
}

/** A histogram with fixed upper bounds, keyed like `CounterSeries`. */
export class HistogramSeries {
  private readonly series = new Map<
    string,
    { labels: Record<string, string>; buckets: number[]; sum: number; count: number }
  >()
  private readonly bounds: readonly number[]

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    bounds: readonly number[],
  ) {
    this.bounds = [...bounds].sort((a, b) => a - b)
  }

  /** Records `value` in the series `key`; a new series takes its labels as `CounterSeries.inc` does. */
  observe<A>(key: string, values: (arg: A) => readonly string[], arg: A, value: number): void {
    let s = this.series.get(key)
    if (s === undefined) {
      // One slot per bound, and a last one for values above them all.
      s = {
        labels: labelsOf(this.labelNames, values(arg)),
        buckets: new Array(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      }
      this.series.set(key, s)
    }
    const bounds = this.bounds
    let b = 0
    while (b < bounds.length && value > bounds[b]) b++
    s.buckets[b]++
    s.sum += value
    s.count++
  }

  register(registry: Registry): void {
    registry.registerMetric(exported(this.name, 'histogram', this.help, () => this.samples()))
  }

  private samples(): Sample[] {
    const out: Sample[] = []
    for (const s of this.series.values()) {
      let acc = 0
      this.bounds.forEach((le, i) => {
        acc += s.buckets[i]
        out.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: acc })
      })
      out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count })
      out.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum })
      out.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count })
    }
    return out
  }
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {}
  names.forEach((n, i) => {
    labels[n] = values[i]
  })
  return labels
}

/**
 * A metric the registry renders like its own: it reads `name`, `help`, `type`, `aggregator` and `get()`. prom-client
 * types `registerMetric` as taking only its own classes, hence the one cast.
 */
function exported(name: string, type: 'counter' | 'histogram', help: string, samples: () => Sample[]): Metric<string> {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: samples() }),
    reset: () => {},
  }
  return metric as unknown as Metric<string>
}
