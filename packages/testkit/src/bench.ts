/**
 * Helpers for benchmarks (`bench/` folders, run by `pnpm bench`, never by the
 * test suite). Every figure is a ratio against a baseline measured in the same
 * run on the same machine, and, as these machines are shared and noisy, each
 * side is the median of several rounds.
 */

/** The p-th percentile (0-100) of the samples, by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** The middle sample, or the mean of the two middle ones when the count is even. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

export interface BenchFigure {
  /** What was measured, e.g. "create+update throughput". */
  name: string;
  unit: string;
  /** Ours: the median over rounds. */
  value: number;
  /** The baseline's median over the same rounds, when the figure is a comparison. */
  baseline?: number;
  /** What the baseline is, e.g. "raw etcd3 client". */
  baselineName?: string;
  /**
   * The goal, as a ratio of value to baseline (`minRatio`, `maxRatio`) or as
   * an absolute bound on the value (`max`, `min`).
   */
  goal?: { minRatio?: number; maxRatio?: number; max?: number; min?: number };
}

export interface BenchResult {
  /** e.g. "store", "events", "runtime". */
  suite: string;
  rounds: number;
  figures: BenchFigure[];
}

export interface ScoredFigure extends BenchFigure {
  ratio?: number;
  pass: boolean;
}

export function score(figure: BenchFigure): ScoredFigure {
  const ratio = figure.baseline ? figure.value / figure.baseline : undefined;
  const goal = figure.goal ?? {};
  let pass = true;
  if (goal.minRatio !== undefined) pass &&= ratio !== undefined && ratio >= goal.minRatio;
  if (goal.maxRatio !== undefined) pass &&= ratio !== undefined && ratio <= goal.maxRatio;
  if (goal.max !== undefined) pass &&= figure.value <= goal.max;
  if (goal.min !== undefined) pass &&= figure.value >= goal.min;
  return ratio === undefined ? { ...figure, pass } : { ...figure, ratio, pass };
}

/** A figure's goal as the report shows it, e.g. `ratio >= 0.8`. */
export function goalText(goal: BenchFigure['goal'] = {}): string {
  const parts: string[] = [];
  if (goal.minRatio !== undefined) parts.push(`ratio >= ${goal.minRatio}`);
  if (goal.maxRatio !== undefined) parts.push(`ratio <= ${goal.maxRatio}`);
  if (goal.min !== undefined) parts.push(`>= ${goal.min}`);
  if (goal.max !== undefined) parts.push(`<= ${goal.max}`);
  return parts.join(', ') || '-';
}

/** The marker line `pnpm bench` looks for in a bench script's output. */
export const BENCH_RESULT_MARKER = 'NIMBUS_BENCH_RESULT ';

/** Prints the result for the `pnpm bench` harness (and a readable table for a human running the file alone). */
export function reportBench(result: BenchResult): void {
  for (const figure of result.figures.map(score)) {
    const ratio =
      figure.ratio === undefined ? '' : ` ratio ${figure.ratio.toFixed(2)} vs ${figure.baselineName}`;
    console.error(
      `${figure.pass ? 'ok  ' : 'MISS'} ${result.suite}: ${figure.name} = ${figure.value.toFixed(2)} ${figure.unit}${ratio}`,
    );
  }
  console.log(BENCH_RESULT_MARKER + JSON.stringify(result));
}
