import { createEmbeddedStore, type Store } from '@nimbus/store';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Informer, type InformerEvent } from './informer.js';
import { testLogger } from './test-logger.js';

describe('Informer', () => {
  let store: Store;
  let stop: AbortController;

  beforeEach(() => {
    store = createEmbeddedStore();
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await store.close();
  });

  it('lists across pages, then sees every later change without a gap', async () => {
    for (let i = 0; i < 7; i++) await store.create(`/nimbus/t/vpcs/${i}`, `{"n":${i}}`);
    await store.create('/nimbus/t/other/x', '{}');
    const informer = new Informer({ store, prefix: '/nimbus/t/vpcs/', logger: testLogger, pageSize: 3 });
    const events: InformerEvent[] = [];
    informer.onEvent((event) => events.push(event));
    const running = informer.start(stop.signal);
    await informer.synced();
    expect(informer.keys()).toHaveLength(7);
    expect(events.filter((e) => e.type === 'put')).toHaveLength(7);

    const zero = await store.get('/nimbus/t/vpcs/0');
    await store.update('/nimbus/t/vpcs/0', '{"n":100}', zero?.modRevision ?? 0);
    const one = await store.get('/nimbus/t/vpcs/1');
    await store.delete('/nimbus/t/vpcs/1', one?.modRevision ?? 0);
    await waitUntil(
      () => informer.get('/nimbus/t/vpcs/0')?.value === '{"n":100}' && !informer.get('/nimbus/t/vpcs/1'),
    );
    expect(events.at(-1)).toMatchObject({ type: 'delete', key: '/nimbus/t/vpcs/1' });
    expect(informer.revision).toBe(await store.revision());
    stop.abort();
    await running;
  });

  it('lists again after compaction and reports what changed meanwhile', async () => {
    await store.create('/nimbus/t/a', '1');
    await store.create('/nimbus/t/b', '1');
    const informer = new Informer({ store, prefix: '/nimbus/t/', logger: testLogger });
    const events: InformerEvent[] = [];
    informer.onEvent((event) => events.push(event));
    const first = new AbortController();
    const running = informer.start(first.signal);
    await informer.synced();
    first.abort();
    await running;
    events.length = 0;

    const a = await store.get('/nimbus/t/a');
    await store.delete('/nimbus/t/a', a?.modRevision ?? 0);
    await store.create('/nimbus/t/c', '1');
    await store.compact(await store.revision());
    const again = new AbortController();
    const resumed = informer.start(again.signal);
    await waitUntil(() => events.length === 2);
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual(['delete /nimbus/t/a', 'put /nimbus/t/c']);
    expect(informer.keys().sort()).toEqual(['/nimbus/t/b', '/nimbus/t/c']);
    again.abort();
    await resumed;
  });
});
