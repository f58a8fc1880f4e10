import { freePort, type NatsServer, startNats, waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailableError, type DeliveredEvent, type EventBus } from './event-bus.js';
import { openNatsEventBus } from './nats-event-bus.js';

describe('NatsEventBus under faults', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = <T extends EventBus | NatsServer>(thing: T): T => {
    cleanups.push(() => ('dispose' in thing ? thing.dispose() : thing.close()));
    return thing;
  };

  it('fails fast, naming the servers, when nothing listens', async () => {
    const port = await freePort();
    const servers = `nats://127.0.0.1:${port}`;
    const started = Date.now();
    const opening = openNatsEventBus({ servers, connectTimeoutMs: 1_000 });
    await expect(opening).rejects.toThrow(BusUnavailableError);
    await expect(opening).rejects.toThrow(servers);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('hands what a dead process left unacked to its successor with the same durable', async () => {
    const nats = track(await startNats());
    const doomed = await openNatsEventBus({ servers: nats.endpoint });
    const started: string[] = [];
    await doomed.subscribe({
      durable: 'volume-controller',
      subjects: ['nimbus.block-storage.volume.*'],
      ackWaitMs: 1_000,
      handler: async (delivered) => {
        started.push(delivered.event.id);
        await new Promise<void>(() => {});
      },
    });
    await doomed.publish({ subject: 'nimbus.block-storage.volume.created', id: 'vol-event' });
    await waitUntil(() => started.includes('vol-event'));
    await doomed.close();

    const successor = track(await openNatsEventBus({ servers: nats.endpoint }));
    const finished: DeliveredEvent[] = [];
    await successor.subscribe({
      durable: 'volume-controller',
      subjects: ['nimbus.block-storage.volume.*'],
      ackWaitMs: 1_000,
      handler: async (delivered) => {
        finished.push(delivered);
      },
    });
    await waitUntil(() => finished.length > 0, { timeoutMs: 15_000 });
    expect(finished[0]?.event.id).toBe('vol-event');
    expect(finished[0]?.deliveryCount).toBe(2);
  });

  it('rejects publishes quickly while NATS is down and recovers when it is back on the same port', async () => {
    const nats = track(await startNats());
    const bus = track(await openNatsEventBus({ servers: nats.endpoint }));
    const received: DeliveredEvent[] = [];
    await bus.subscribe({
      durable: 'outage-watcher',
      subjects: ['nimbus.compute.instance.*'],
      handler: async (delivered) => {
        received.push(delivered);
      },
    });
    await bus.publish({ subject: 'nimbus.compute.instance.created', id: 'before' });
    await waitUntil(() => received.some((d) => d.event.id === 'before'));

    await nats.stop();
    const started = Date.now();
    const failing = bus.publish({ subject: 'nimbus.compute.instance.created', id: 'during' });
    await expect(failing).rejects.toThrow(BusUnavailableError);
    await expect(failing).rejects.toThrow(nats.endpoint);
    expect(Date.now() - started).toBeLessThan(3_500);

    await nats.start();
    const ack = await waitUntil(
      () => bus.publish({ subject: 'nimbus.compute.instance.terminated', id: 'after' }),
      { timeoutMs: 20_000, message: 'a publish to succeed after the restart' },
    );
    expect(ack.duplicate).toBe(false);
    await waitUntil(() => received.some((d) => d.event.id === 'after'), {
      timeoutMs: 20_000,
      message: 'the subscription from before the outage to get an event published after it',
    });

    const fresh: string[] = [];
    await bus.subscribe({
      durable: 'after-outage',
      subjects: ['nimbus.compute.instance.*'],
      handler: async (delivered) => {
        fresh.push(delivered.event.id);
      },
    });
    await bus.publish({ subject: 'nimbus.compute.instance.rebooted', id: 'later' });
    await waitUntil(() => fresh.includes('later') && received.some((d) => d.event.id === 'later'));
    // At least once: an ack in flight when the server stopped may be lost, so 'before' may come twice.
    expect([...new Set(received.map((d) => d.event.id))]).toEqual(['before', 'after', 'later']);
  });
});
