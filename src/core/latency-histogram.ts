/**
 * The latency histogram: what a router counts per target, what the agent reports, and what the judge, the
 * tripwire, the monitor and the charts read. Buckets are fixed upper bounds in milliseconds plus one open bucket
 * above the last bound, so histograms of the same layout add and subtract bucket by bucket. Pure.
 */
export interface LatencyHistogram {
  /** Upper bounds in milliseconds; the last bucket counts everything above the last bound. */
  boundsMs: number[];
  counts: number[];
  /** Sum of all recorded durations (for Prometheus' _sum); absent in windows derived from differences. */
  sumMs?: number;
}

/** Index of the bucket that counts a duration: the first bound it does not exceed, or the open bucket. */
export function bucketIndexFor(boundsMs: readonly number[], durationMs: number): number {
  let i = 0;
  while (i < boundsMs.length && durationMs > (boundsMs[i] as number)) i++;
  return i;
}

/** How many durations the histogram counts, in every bucket including the open one. */
export function histogramCount(h: LatencyHistogram): number {
  let total = 0;
  for (const count of h.counts) total += count;
  return total;
}

/**
 * The q-quantile (0..1) of a histogram, interpolating linearly inside the bucket that holds it (as Prometheus'
 * histogram_quantile does). Samples in the open bucket are reported at the last bound: the histogram cannot
 * say more. Null when the histogram is empty.
 */
export function quantileFromHistogram(h: LatencyHistogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  const total = histogramCount(h);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const count = h.counts[i] as number;
    if (count > 0 && below + count >= rank) {
      if (i >= h.boundsMs.length) return h.boundsMs[h.boundsMs.length - 1] ?? 0;
      const lower = i === 0 ? 0 : (h.boundsMs[i - 1] as number);
      const upper = h.boundsMs[i] as number;
      return lower + ((upper - lower) * Math.max(0, rank - below)) / count;
    }
    below += count;
  }
  return h.boundsMs[h.boundsMs.length - 1] ?? 0;
}

/** The median of a histogram (interpolated inside its bucket); null when empty. */
export function medianFromHistogram(h: LatencyHistogram): number | null {
  return quantileFromHistogram(h, 0.5);
}

/** Whether two histograms have the same layout, so that their buckets can be compared, added or subtracted. */
export function sameBuckets(a: LatencyHistogram, b: LatencyHistogram): boolean {
  return (
    a.boundsMs.length === b.boundsMs.length &&
    a.counts.length === b.counts.length &&
    a.boundsMs.every((bound, i) => bound === b.boundsMs[i])
  );
}

/**
 * The histograms added bucket by bucket, in the first one's layout (every router counts in the same one); no
 * `sumMs`. An empty list gives an empty histogram with only the open bucket.
 */
export function sumHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const boundsMs = histograms[0]?.boundsMs ?? [];
  const counts = new Array<number>(boundsMs.length + 1).fill(0);
  for (const h of histograms) h.counts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
  return { boundsMs, counts };
}
