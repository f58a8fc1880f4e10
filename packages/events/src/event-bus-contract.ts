/**
 * The contract every `EventBus` passes, as a vitest suite: run it from a test
 * file with a factory for the implementation. Each test uses its own domain
 * token and durable names, so a factory may hand out buses on one shared
 * server. Imported from `@nimbus/events/contract` (it loads vitest, so it is
 * kept out of the package's main entry).
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BusUnavailableError,
  type DeliveredEvent,
  type EventBus,
  InvalidDurableNameError,
  InvalidSubjectError,
} from './event-bus.js';

/** Records deliveries; `behaviour` decides per delivery what the handler does. */
function recorder(behaviour: (delivered: DeliveredEvent) => Promise<void> = async () => {}) {
  const deliveries: DeliveredEvent[] = [];
  return {
    deliveries,
    ids: () => deliveries.map((d) => d.event.id),
    subjects: () => deliveries.map((d) => d.event.subject),
    handler: async (delivered: DeliveredEvent) => {
      deliveries.push(delivered);
      await behaviour(delivered);
    },
  };
}

const WAIT = { timeoutMs: 15_000 };

/** Whether the bus still keeps a durable (implementation-specific, for the expiry test). */
export type DurableProbe = (bus: EventBus, durable: string) => Promise<boolean>;

export function describeEventBusContract(
  name: string,
  factory: () => Promise<EventBus>,
  durableExists: DurableProbe,
): void {
  describe(`${name} (event bus contract)`, () => {
    let bus: EventBus;
    let domain: string;
    const subject = (kind: string, verb: string) => `nimbus.${domain}.${kind}.${verb}`;
    const durable = (label: string) => `${label}-${domain}`;

    const open = async () => {
      bus = await factory();
      domain = `t${randomBytes(5).toString('hex')}`;
    };
    afterEach(async () => {
      await bus?.close();
    });

    it('delivers the whole envelope as published', async () => {
      await open();
      const got = recorder();
      await bus.subscribe({
        durable: durable('roundtrip'),
        subjects: [subject('instance', '*')],
        handler: got.handler,
      });
      const time = new Date('2024-05-06T07:08:09.123Z');
      const ack = await bus.publish({
        subject: subject('instance', 'state-changed'),
        id: 'evt-1',
        time,
        accountId: '123456789012',
        resourceId: 'i-0a1b2c3d4e5f60718',
        revision: 42n,
        detailJson: '{"state":"running"}',
        requestId: 'req-7',
        headers: {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          'X-Origin': 'test',
        },
      });
      expect(ack).toMatchObject({ id: 'evt-1', duplicate: false });
      const defaulted = await bus.publish({ subject: subject('instance', 'created') });
      expect(defaulted.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      await waitUntil(() => got.deliveries.length >= 2, WAIT);
      const [first, second] = got.deliveries;
      expect(first?.deliveryCount).toBe(1);
      expect(first?.sequence).toBe(ack.sequence);
      expect(first?.event).toMatchObject({
        id: 'evt-1',
        subject: subject('instance', 'state-changed'),
        accountId: '123456789012',
        resourceId: 'i-0a1b2c3d4e5f60718',
        revision: 42n,
        detailJson: '{"state":"running"}',
        requestId: 'req-7',
      });
      const seconds = first?.event.time?.seconds ?? 0n;
      const nanosOfSecond = first?.event.time?.nanos ?? 0;
      expect(Number(seconds) * 1000 + nanosOfSecond / 1e6).toBe(time.getTime());
      expect(first?.headers).toEqual({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'x-origin': 'test',
      });
      expect(second?.headers).toEqual({});
      expect(second?.event.id).toBe(defaulted.id);
      expect(second?.sequence).toBeGreaterThan(ack.sequence);
    });

    it('routes by subject wildcards: * is one token, > is the rest', async () => {
      await open();
      const instances = recorder();
      const everything = recorder();
      const chosen = recorder();
      await bus.subscribe({
        durable: durable('star'),
        subjects: [subject('instance', '*')],
        handler: instances.handler,
      });
      await bus.subscribe({
        durable: durable('tail'),
        subjects: [`nimbus.${domain}.>`],
        handler: everything.handler,
      });
      await bus.subscribe({
        durable: durable('two'),
        subjects: [subject('instance', 'created'), subject('volume', '*')],
        handler: chosen.handler,
      });
      for (const [kind, verb] of [
        ['instance', 'created'],
        ['volume', 'created'],
        ['instance', 'terminated'],
        ['snapshot', 'completed'],
      ] as const) {
        await bus.publish({ subject: subject(kind, verb) });
      }
      // A last event every filter matches: in-order delivery means nothing else is still coming.
      await bus.publish({ subject: subject('instance', 'created'), id: `end-${domain}` });
      const sawEnd = (r: ReturnType<typeof recorder>) => r.ids().includes(`end-${domain}`);
      await waitUntil(() => sawEnd(instances) && sawEnd(everything) && sawEnd(chosen), WAIT);

      expect(instances.subjects()).toEqual([
        subject('instance', 'created'),
        subject('instance', 'terminated'),
        subject('instance', 'created'),
      ]);
      expect(everything.subjects()).toHaveLength(5);
      expect(chosen.subjects()).toEqual([
        subject('instance', 'created'),
        subject('volume', 'created'),
        subject('instance', 'created'),
      ]);
    });

    it('stores a second publish of the same event id once and says so', async () => {
      await open();
      const got = recorder();
      await bus.subscribe({
        durable: durable('dedupe'),
        subjects: [subject('instance', '*')],
        handler: got.handler,
      });
      const id = randomUUID();
      const first = await bus.publish({ subject: subject('instance', 'created'), id });
      const again = await bus.publish({ subject: subject('instance', 'created'), id });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ id, sequence: first.sequence, duplicate: true });
      await bus.publish({ subject: subject('instance', 'created'), id: `end-${domain}` });
      await waitUntil(() => got.ids().includes(`end-${domain}`), WAIT);
      expect(got.ids()).toEqual([id, `end-${domain}`]);
    });

    it('redelivers an event whose handler threw, with deliveryCount 2', async () => {
      await open();
      const got = recorder(async (d) => {
        if (d.deliveryCount === 1 && d.event.id === 'flaky') throw new Error('transient failure');
      });
      await bus.subscribe({
        durable: durable('retry'),
        subjects: [subject('instance', '*')],
        handler: got.handler,
      });
      await bus.publish({ subject: subject('instance', 'created'), id: 'flaky' });
      await waitUntil(() => got.deliveries.length >= 2, WAIT);
      await bus.publish({ subject: subject('instance', 'created'), id: `end-${domain}` });
      await waitUntil(() => got.ids().includes(`end-${domain}`), WAIT);
      const flaky = got.deliveries.filter((d) => d.event.id === 'flaky').map((d) => d.deliveryCount);
      expect(flaky).toEqual([1, 2]);
    });

    it('hands an unacked event to the next subscriber of the durable after ackWait', async () => {
      await open();
      const stuck = recorder(() => new Promise<void>(() => {}));
      const name = durable('crash');
      const first = await bus.subscribe({
        durable: name,
        subjects: [subject('instance', '*')],
        handler: stuck.handler,
        ackWaitMs: 1_000,
      });
      await bus.publish({ subject: subject('instance', 'created'), id: 'orphan' });
      await waitUntil(() => stuck.deliveries.length === 1, WAIT);
      await first.close();

      const next = recorder();
      await bus.subscribe({
        durable: name,
        subjects: [subject('instance', '*')],
        handler: next.handler,
        ackWaitMs: 1_000,
      });
      await waitUntil(() => next.ids().includes('orphan'), WAIT);
      expect(next.deliveries[0]?.deliveryCount).toBeGreaterThanOrEqual(2);
    });

    it('resumes a durable where it left off, with what was published while nobody listened', async () => {
      await open();
      const name = durable('resume');
      const before = recorder();
      const first = await bus.subscribe({
        durable: name,
        subjects: [subject('volume', '*')],
        handler: before.handler,
      });
      await bus.publish({ subject: subject('volume', 'created'), id: 'seen' });
      await waitUntil(() => before.deliveries.length === 1, WAIT);
      await first.close();

      await bus.publish({ subject: subject('volume', 'attached'), id: 'missed-1' });
      await bus.publish({ subject: subject('volume', 'detached'), id: 'missed-2' });
      const after = recorder();
      await bus.subscribe({ durable: name, subjects: [subject('volume', '*')], handler: after.handler });
      await waitUntil(() => after.ids().includes('missed-2'), WAIT);
      expect(after.ids()).toEqual(['missed-1', 'missed-2']);
    });

    it('stops delivering when the subscription signal aborts', async () => {
      await open();
      const name = durable('aborted');
      const first = recorder();
      const controller = new AbortController();
      await bus.subscribe({
        durable: name,
        subjects: [subject('group', '*')],
        handler: first.handler,
        signal: controller.signal,
      });
      controller.abort();
      await bus.publish({ subject: subject('group', 'scaled'), id: 'after-abort' });
      const next = recorder();
      await bus.subscribe({ durable: name, subjects: [subject('group', '*')], handler: next.handler });
      await waitUntil(() => next.ids().includes('after-abort'), WAIT);
      expect(first.ids()).toEqual([]);
    });

    it('starts a new durable at new events by default, or at the whole stream when asked', async () => {
      await open();
      await bus.publish({ subject: subject('image', 'registered'), id: 'history' });
      const fresh = recorder();
      const replay = recorder();
      await bus.subscribe({
        durable: durable('fresh'),
        subjects: [subject('image', '*')],
        handler: fresh.handler,
      });
      await bus.subscribe({
        durable: durable('replay'),
        subjects: [subject('image', '*')],
        handler: replay.handler,
        startAt: 'all',
      });
      await bus.publish({ subject: subject('image', 'deregistered'), id: 'later' });
      await waitUntil(() => fresh.ids().includes('later') && replay.ids().includes('later'), WAIT);
      expect(fresh.ids()).toEqual(['later']);
      expect(replay.ids()).toEqual(['history', 'later']);
    });

    it('gives every durable every event', async () => {
      await open();
      const a = recorder();
      const b = recorder();
      await bus.subscribe({ durable: durable('a'), subjects: [subject('address', '*')], handler: a.handler });
      await bus.subscribe({ durable: durable('b'), subjects: [subject('address', '*')], handler: b.handler });
      const ids = ['e1', 'e2', 'e3'];
      for (const id of ids) await bus.publish({ subject: subject('address', 'allocated'), id });
      await waitUntil(() => a.deliveries.length >= 3 && b.deliveries.length >= 3, WAIT);
      expect(a.ids()).toEqual(ids);
      expect(b.ids()).toEqual(ids);
    });

    it('shares one durable between its subscribers: each event is handled once', async () => {
      await open();
      const a = recorder();
      const b = recorder();
      const name = durable('shared');
      await bus.subscribe({ durable: name, subjects: [subject('target', '*')], handler: a.handler });
      await bus.subscribe({ durable: name, subjects: [subject('target', '*')], handler: b.handler });
      for (let i = 0; i < 20; i++)
        await bus.publish({ subject: subject('target', 'registered'), id: `t${i}` });
      await waitUntil(() => a.deliveries.length + b.deliveries.length >= 20, WAIT);
      expect(new Set([...a.ids(), ...b.ids()]).size).toBe(20);
      expect(a.deliveries.length + b.deliveries.length).toBe(20);
    });

    it('rejects subjects and durable names that are not of our form, saying what is expected', async () => {
      await open();
      const handler = async () => {};
      for (const bad of [
        'compute.instance.created',
        'nimbus.compute.instance',
        'nimbus.Compute.instance.created',
        'nimbus.compute.instance.created.extra',
        'nimbus.compute.*.created',
        '',
      ]) {
        await expect(bus.publish({ subject: bad }), bad).rejects.toThrow(InvalidSubjectError);
      }
      await expect(bus.publish({ subject: 'compute.instance.created' })).rejects.toThrow(
        /nimbus\.<domain>\.<kind>\.<verb>/,
      );
      for (const bad of ['compute.>', 'nimbus.compute.instance', 'nimbus.>.instance', 'nimbus.a.b.c.d']) {
        await expect(
          bus.subscribe({ durable: durable('bad'), subjects: [bad], handler }),
          bad,
        ).rejects.toThrow(InvalidSubjectError);
      }
      await expect(bus.subscribe({ durable: durable('none'), subjects: [], handler })).rejects.toThrow(
        InvalidSubjectError,
      );
      await expect(
        bus.subscribe({ durable: 'has.dot', subjects: [subject('x', '*')], handler }),
      ).rejects.toThrow(InvalidDurableNameError);
    });

    it('forgets a durable left idle for its expiry, so a watcher leaves nothing behind', async () => {
      await open();
      const name = durable('watcher');
      const first = recorder();
      const watching = await bus.subscribe({
        durable: name,
        subjects: [subject('instance', '*')],
        handler: first.handler,
        expireAfterIdleMs: 1_000,
      });
      await bus.publish({ subject: subject('instance', 'started'), id: `${domain}-seen` });
      await waitUntil(() => first.deliveries.length === 1, WAIT);
      await watching.close();
      await bus.publish({ subject: subject('instance', 'stopped'), id: `${domain}-while-idle` });
      expect(await durableExists(bus, name)).toBe(true);
      await waitUntil(async () => !(await durableExists(bus, name)), { timeoutMs: 20_000, intervalMs: 200 });

      // Subscribing again starts afresh at new events: what came while it was idle is gone with it.
      const again = recorder();
      await bus.subscribe({ durable: name, subjects: [subject('instance', '*')], handler: again.handler });
      await bus.publish({ subject: subject('instance', 'rebooted'), id: `${domain}-after` });
      await waitUntil(() => again.deliveries.length >= 1, WAIT);
      expect(again.deliveries.map((d) => d.event.id)).toEqual([`${domain}-after`]);
    });

    it('refuses to publish once closed', async () => {
      await open();
      await bus.close();
      await expect(bus.publish({ subject: subject('instance', 'created') })).rejects.toThrow(
        BusUnavailableError,
      );
    });
  });
}
