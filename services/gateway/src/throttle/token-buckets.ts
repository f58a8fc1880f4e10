/**
 * API throttling as EC2 does it: a token bucket per account and action. A
 * bucket holds up to `burst` tokens, refills at `rate` tokens a second, and
 * each call takes one (RunInstances also takes one per instance from a second
 * bucket). Buckets start full; an idle one is forgotten once full again.
 */

export interface BucketLimit {
  /** Tokens the bucket holds at most: the calls that may come at once. */
  burst: number;
  /** Tokens added per second: the sustained rate. */
  rate: number;
}

/** What each kind of action may do; defaults from ec2-semantics.md. */
export interface ThrottleLimits {
  /** Describe* and other read-only actions: 100 burst, 20 a second. */
  describe: BucketLimit;
  /** Mutating actions: 50 burst, 5 a second. */
  mutate: BucketLimit;
  /** RunInstances calls: 5 burst, 2 a second. */
  runInstances: BucketLimit;
  /** Instances launched by RunInstances: 1,000 burst, 2 a second. */
  runInstancesInstances: BucketLimit;
  /** TerminateInstances calls: 100 burst, 5 a second. */
  terminateInstances: BucketLimit;
}

export const defaultThrottleLimits: ThrottleLimits = {
  describe: { burst: 100, rate: 20 },
  mutate: { burst: 50, rate: 5 },
  runInstances: { burst: 5, rate: 2 },
  runInstancesInstances: { burst: 1000, rate: 2 },
  terminateInstances: { burst: 100, rate: 5 },
};

export type ThrottleClass = Exclude<keyof ThrottleLimits, 'runInstancesInstances'>;

interface Bucket {
  tokens: number;
  at: number;
}

export interface TokenBuckets {
  /**
   * Takes `cost` tokens from each named bucket, all or none; false when any
   * lacks them (the call is refused and nothing is taken).
   */
  take(takes: readonly { key: string; limit: BucketLimit; cost: number }[]): boolean;
}

export function createTokenBuckets(now: () => number = Date.now): TokenBuckets {
  const buckets = new Map<string, Bucket>();
  const level = (key: string, limit: BucketLimit, time: number): Bucket => {
    const bucket = buckets.get(key) ?? { tokens: limit.burst, at: time };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((time - bucket.at) / 1000) * limit.rate);
    bucket.at = time;
    return bucket;
  };
  let sweepAt = now();
  return {
    take(takes) {
      const time = now();
      const levels = takes.map(({ key, limit, cost }) => ({ key, bucket: level(key, limit, time), cost }));
      if (levels.some(({ bucket, cost }) => bucket.tokens < cost)) {
        for (const { key, bucket } of levels) buckets.set(key, bucket);
        return false;
      }
      for (const { key, bucket, cost } of levels) {
        bucket.tokens -= cost;
        buckets.set(key, bucket);
      }
      if (time - sweepAt > 60_000) {
        sweepAt = time;
        // A bucket untouched for a minute is full again at any configured rate of at least 2 a second.
        for (const [key, bucket] of buckets) if (time - bucket.at > 60_000) buckets.delete(key);
      }
      return true;
    },
  };
}
