/**
 * The statistics of the report: median, min and max over repeated runs, and
 * whether two sets of runs differ by more than their noise.
 *
 * @module
 */

/** Median, min and max of a set of runs. */
export interface Spread {
  /** The median (mean of the middle two for an even count). */
  median: number;
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
  /** How many values. */
  n: number;
}

/** The spread of `values`; all NaN for an empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** The relative half-width of a spread: (max - min) / 2 / median. */
export function relativeSpread(s: Spread): number {
  return s.median > 0 ? (s.max - s.min) / 2 / s.median : 0;
}

/** The change from `a` to `b` and whether it stands out of the noise. */
export interface Change {
  /** (b - a) / a of the medians. */
  ratio: number;
  /** True when the min..max ranges overlap or the change is under `floor`. */
  withinNoise: boolean;
}

/**
 * Compares two spreads: a change is within the noise when their min..max
 * ranges overlap, or when it is smaller than `floor` (default 3 %), since a
 * single run has no range of its own.
 */
export function change(a: Spread, b: Spread, floor = 0.03): Change {
  const ratio = (b.median - a.median) / a.median;
  const overlap = a.min <= b.max && b.min <= a.max;
  return { ratio, withinNoise: overlap || Math.abs(ratio) < floor };
}
