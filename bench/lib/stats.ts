/** Median of a list (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median absolute deviation relative to the median, as a fraction: the spread we print. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m))) / Math.abs(m);
}

/** A small seeded generator so that a run's intervals are reproducible from its data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile bootstrap 95 % interval of the median of `values` (resampling rounds with
 * replacement). With one value the interval is that value.
 */
export function bootstrapMedianInterval(values: readonly number[], resamples = 4000, seed = 12345): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  if (values.length === 1) return [values[0], values[0]];
  const random = mulberry32(seed);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)];
    medians[r] = median(sample);
  }
  medians.sort();
  return [medians[Math.floor(0.025 * (resamples - 1))], medians[Math.ceil(0.975 * (resamples - 1))]];
}

/** A paired comparison: the per-round ratios, their median and its bootstrap interval. */
export interface PairedRatio {
  n: number;
  median: number;
  low: number;
  high: number;
}

/** Ratio per round (`a[i] / b[i]`, skipping rounds where either is missing), then the median. */
export function pairedRatio(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): PairedRatio {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) && y !== 0) ratios.push(x / y);
  }
  const [low, high] = bootstrapMedianInterval(ratios);
  return { n: ratios.length, median: median(ratios), low, high };
}

/** Difference per round (`a[i] - b[i]`), then the median and its bootstrap interval. */
export function pairedDifference(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): PairedRatio {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) diffs.push(x - y);
  }
  const [low, high] = bootstrapMedianInterval(diffs);
  return { n: diffs.length, median: median(diffs), low, high };
}
