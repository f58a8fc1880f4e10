import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('hands a key added many times to one worker once', async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 10; i++) queue.add('a');
    queue.add('b');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.depth).toBe(0);
  });

  it('never hands one key to two workers at once, and requeues a key changed while processing', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.depth).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => {
      second = key;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done(first ?? '');
    await waitUntil(() => second === 'a', { timeoutMs: 1_000 });
    queue.done('a');
    expect(queue.depth).toBe(0);
  });

  it('backs off exponentially per key and forgets after success', () => {
    const queue = new WorkQueue({ backoff: { baseMs: 10, maxMs: 100 } });
    const delays = Array.from({ length: 6 }, () => queue.addRateLimited('a'));
    expect(delays).toEqual([10, 20, 40, 80, 100, 100]);
    expect(queue.failures('a')).toBe(6);
    queue.forget('a');
    expect(queue.addRateLimited('a')).toBe(10);
    expect(queue.addRateLimited('b')).toBe(10);
    queue.shutDown();
  });

  it('limits the overall retry rate across keys', () => {
    const queue = new WorkQueue({
      backoff: { baseMs: 1 },
      retryRatePerSecond: 10,
      retryBurst: 2,
      now: () => 1_000_000,
    });
    const delays = ['a', 'b', 'c', 'd'].map((key) => queue.addRateLimited(key));
    expect(delays).toEqual([1, 1, 100, 200]);
    queue.shutDown();
  });

  it('adds a delayed key when its timer fires, keeping the earliest of two timers', async () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 5_000);
    queue.addAfter('a', 20);
    expect(queue.delayed).toBe(1);
    const started = Date.now();
    expect(await queue.get()).toBe('a');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('releases waiting workers on shutdown', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    expect(await queue.get()).toBeUndefined();
  });
});
