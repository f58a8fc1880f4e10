import { createEmbeddedStore, type Store } from '@nimbus/store';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller } from './controller.js';
import { Informer } from './informer.js';
import { TerminalError } from './reconciler.js';
import { testLogger } from './test-logger.js';

describe('Controller', () => {
  let store: Store;
  let stop: AbortController;
  const running: Promise<void>[] = [];

  beforeEach(() => {
    store = createEmbeddedStore();
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await Promise.all(running.splice(0));
    await store.close();
  });

  function start(controller: Controller): void {
    running.push(controller.start(stop.signal));
  }

  it('coalesces repeated changes of one key and never reconciles a key twice at once', async () => {
    const informer = new Informer({ store, prefix: '/nimbus/t/', logger: testLogger });
    let inFlight = 0;
    let overlapped = false;
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const controller = new Controller({
      name: 'test',
      logger: testLogger,
      concurrency: 4,
      reconcile: async (key) => {
        inFlight += 1;
        if (inFlight > 1) overlapped = true;
        seen.push(key);
        await gate;
        inFlight -= 1;
      },
    }).watches(informer);
    await store.create('/nimbus/t/a', '0');
    start(controller);
    await waitUntil(() => seen.length === 1);
    let kv = await store.get('/nimbus/t/a');
    for (let i = 1; i <= 20; i++) {
      const written = await store.update('/nimbus/t/a', String(i), kv?.modRevision ?? 0);
      if (!written.ok) throw new Error('conflict');
      kv = await store.get('/nimbus/t/a');
    }
    await waitUntil(() => informer.get('/nimbus/t/a')?.value === '20');
    release();
    await waitUntil(() => seen.length === 2 && controller.metrics().queueDepth === 0);
    expect(overlapped).toBe(false);
    expect(seen).toEqual(['/nimbus/t/a', '/nimbus/t/a']);
  });

  it('retries a failing key with growing delays, then forgets its failures', async () => {
    const attempts: number[] = [];
    const controller = new Controller({
      name: 'test',
      logger: testLogger,
      queue: { backoff: { baseMs: 40 } },
      reconcile: async () => {
        attempts.push(performance.now());
        if (attempts.length <= 3) throw new Error('not yet');
      },
    });
    start(controller);
    controller.enqueue('k');
    await waitUntil(() => attempts.length === 4);
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect(controller.metrics()).toMatchObject({ reconciles: 4, errors: 3, terminalErrors: 0 });
  });

  it('does not retry a terminal error', async () => {
    let attempts = 0;
    const controller = new Controller({
      name: 'test',
      logger: testLogger,
      queue: { backoff: { baseMs: 1 } },
      reconcile: async () => {
        attempts += 1;
        throw new TerminalError('spec cannot be met');
      },
    });
    start(controller);
    controller.enqueue('k');
    await waitUntil(() => controller.metrics().terminalErrors === 1);
    controller.enqueue('other');
    await waitUntil(() => attempts === 2);
    expect(controller.metrics()).toMatchObject({ terminalErrors: 2, errors: 0, delayed: 0 });
  });

  it('looks again after requeueAfterMs', async () => {
    const times: number[] = [];
    const controller = new Controller({
      name: 'test',
      logger: testLogger,
      reconcile: async () => {
        times.push(performance.now());
        return times.length < 2 ? { requeueAfterMs: 150 } : undefined;
      },
    });
    start(controller);
    controller.enqueue('k');
    await waitUntil(() => times.length === 2);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(140);
    expect(controller.metrics().errors).toBe(0);
  });

  it('resyncs every key the informers hold', async () => {
    await store.create('/nimbus/t/a', '1');
    await store.create('/nimbus/t/b', '1');
    const informer = new Informer({ store, prefix: '/nimbus/t/', logger: testLogger });
    const counts = new Map<string, number>();
    const controller = new Controller({
      name: 'test',
      logger: testLogger,
      resyncMs: 100,
      reconcile: async (key) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
      },
    }).watches(informer, (event) => [event.key.replace('/nimbus/t/', '')]);
    start(controller);
    await waitUntil(() => (counts.get('a') ?? 0) >= 3 && (counts.get('b') ?? 0) >= 3);
    expect([...counts.keys()].sort()).toEqual(['a', 'b']);
  });

  it('reconciles again when started anew after a stop, as after winning an election again', async () => {
    const informer = new Informer({ store, prefix: '/nimbus/t/', logger: testLogger });
    const seen: string[] = [];
    const controller = new Controller({
      name: 'restartable',
      logger: testLogger,
      reconcile: async (key) => {
        seen.push(key);
        return undefined;
      },
    }).watches(informer);
    const firstTerm = new AbortController();
    const first = controller.start(firstTerm.signal);
    await store.create('/nimbus/t/one', '1');
    await waitUntil(() => seen.includes('/nimbus/t/one'));
    firstTerm.abort();
    await first;

    start(controller);
    await store.create('/nimbus/t/two', '2');
    await waitUntil(() => seen.includes('/nimbus/t/two'), { message: 'the second term to reconcile' });
  });

  it('stops at once when aborted before its informers synced', async () => {
    // Nothing answers a list on a closed store, so the informer never syncs.
    const closed = createEmbeddedStore();
    await closed.close();
    const informer = new Informer({ store: closed, prefix: '/nimbus/t/', logger: testLogger });
    const controller = new Controller({
      name: 'never-synced',
      logger: testLogger,
      reconcile: async () => undefined,
    });
    const early = new AbortController();
    const running = controller.watches(informer).start(early.signal);
    early.abort();
    await expect(running).resolves.toBeUndefined();
  });
});
