/**
 * Ratios that hold still on a shared machine: ours and the floor run alternately (ours, floor, ours,
 * floor, …) on the same data, and a ratio is the median of the pairs' own ratios, printed with the lowest
 * and the highest. A slow minute then slows both runs of a pair, not one side of a single comparison.
 */
import type { ChildResult } from './shared';

export interface Pair {
  ours: ChildResult;
  floor: ChildResult;
}

/** The median of the pairs' ratios and their spread. */
export interface Spread {
  median: number;
  lowest: number;
  highest: number;
  pairs: number;
}

/**
 * `count` pairs, each ours then the floor (each run resets what it needs, outside its timed part);
 * `done` hears of each pair as it ends.
 */
export async function interleaved(
  count: number,
  ours: (pair: number) => Promise<ChildResult>,
  floor: (pair: number) => Promise<ChildResult>,
  done: (pair: Pair, index: number) => void,
): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const oursRun = await ours(i);
    pairs.push({ ours: oursRun, floor: await floor(i) });
    done(pairs[i], i);
  }
  return pairs;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The median and spread of ours / floor over the pairs, by `measure` (wall time, requests, …). */
export function spread(pairs: Pair[], measure: (run: ChildResult) => number): Spread {
  const ratios = pairs.map((p) => measure(p.ours) / measure(p.floor));
  return {
    median: round2(median(ratios)),
    lowest: round2(Math.min(...ratios)),
    highest: round2(Math.max(...ratios)),
    pairs: pairs.length,
  };
}

/** The median of one side's figure over the pairs. */
export function medianOf(runs: ChildResult[], measure: (run: ChildResult) => number): number {
  return median(runs.map(measure));
}

export const spreadText = (s: Spread) =>
  `${s.median}x (pairs ${s.lowest}-${s.highest}, median of ${s.pairs})`;
