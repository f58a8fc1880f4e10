import { describe, expect, it } from 'vitest';
import { createTokenBuckets } from './token-buckets.js';

describe('token buckets', () => {
  it('lets a burst through, then the refill rate', () => {
    let time = 0;
    const buckets = createTokenBuckets(() => time);
    const take = () => buckets.take([{ key: 'a/DescribeVolumes', limit: { burst: 3, rate: 2 }, cost: 1 }]);
    expect([take(), take(), take(), take()]).toEqual([true, true, true, false]);
    time += 500; // one token back at 2 a second
    expect([take(), take()]).toEqual([true, false]);
  });

  it('keeps accounts and actions apart', () => {
    const buckets = createTokenBuckets(() => 0);
    const limit = { burst: 1, rate: 1 };
    expect(buckets.take([{ key: 'a/X', limit, cost: 1 }])).toBe(true);
    expect(buckets.take([{ key: 'a/X', limit, cost: 1 }])).toBe(false);
    expect(buckets.take([{ key: 'b/X', limit, cost: 1 }])).toBe(true);
    expect(buckets.take([{ key: 'a/Y', limit, cost: 1 }])).toBe(true);
  });

  it('takes from several buckets all or nothing', () => {
    const buckets = createTokenBuckets(() => 0);
    const calls = { key: 'a/RunInstances', limit: { burst: 5, rate: 2 }, cost: 1 };
    const instances = (cost: number) => ({
      key: 'a/RunInstances#instances',
      limit: { burst: 10, rate: 2 },
      cost,
    });
    expect(buckets.take([calls, instances(8)])).toBe(true);
    expect(buckets.take([calls, instances(3)])).toBe(false);
    // The refused call took no call token: four more calls of one instance fit.
    expect(buckets.take([calls, instances(1)])).toBe(true);
    expect(buckets.take([calls, instances(1)])).toBe(true);
    expect(buckets.take([calls, instances(0)])).toBe(true);
    expect(buckets.take([calls, instances(0)])).toBe(true);
    expect(buckets.take([calls, instances(0)])).toBe(false);
  });
});
