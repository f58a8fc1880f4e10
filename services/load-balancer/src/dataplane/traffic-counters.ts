/**
 * Traffic figures kept per second for the last hour, per target: what
 * GetTargetGroupMetrics sums over a window and the sampler publishes.
 */
import type { TrafficFigures } from './traffic-view.js';

export const emptyFigures = (): TrafficFigures => ({
  requestCount: 0,
  target2xx: 0,
  target3xx: 0,
  target4xx: 0,
  target5xx: 0,
  elb5xx: 0,
  targetResponseTimeSum: 0,
  responses: 0,
  newConnections: 0,
});

export function addFigures(into: TrafficFigures, from: TrafficFigures): void {
  into.requestCount += from.requestCount;
  into.target2xx += from.target2xx;
  into.target3xx += from.target3xx;
  into.target4xx += from.target4xx;
  into.target5xx += from.target5xx;
  into.elb5xx += from.elb5xx;
  into.targetResponseTimeSum += from.targetResponseTimeSum;
  into.responses += from.responses;
  into.newConnections += from.newConnections;
}

const keptSeconds = 3600;

export class TrafficCounters {
  readonly #seconds = new Map<number, TrafficFigures>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  #lastSecond = -1;
  #lastBucket: TrafficFigures | undefined;

  /** The bucket of the current second, to add to. */
  current(): TrafficFigures {
    const second = Math.floor(this.#now() / 1000);
    if (second === this.#lastSecond && this.#lastBucket) return this.#lastBucket;
    let bucket = this.#seconds.get(second);
    if (!bucket) {
      bucket = emptyFigures();
      this.#seconds.set(second, bucket);
      if (this.#seconds.size > keptSeconds) {
        for (const key of this.#seconds.keys()) {
          if (key <= second - keptSeconds) this.#seconds.delete(key);
          else break;
        }
      }
    }
    this.#lastSecond = second;
    this.#lastBucket = bucket;
    return bucket;
  }

  /** The sum over the last `seconds` seconds, this one included. */
  sum(seconds: number): TrafficFigures {
    const total = emptyFigures();
    const from = Math.floor(this.#now() / 1000) - seconds + 1;
    for (const [second, bucket] of this.#seconds) if (second >= from) addFigures(total, bucket);
    return total;
  }
}
