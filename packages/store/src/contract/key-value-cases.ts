import { waitUntil } from '@nimbus/testkit';
import { beforeEach, expect, it } from 'vitest';
import { CompactedError, type Store, StoreUnavailableError, type WatchEvent } from '../store.js';
import type { ContractContext } from './contract-context.js';

function keyOf(event: WatchEvent): string {
  return event.type === 'put' ? event.kv.key : event.key;
}

/** Reads, conditional writes, lists, watches, transactions, compaction and close. */
export function keyValueCases(context: ContractContext): void {
  let store: Store;
  beforeEach(() => {
    store = context.store();
  });
  const watch = (prefix: string, fromRevision: number) => context.watch(prefix, fromRevision);

  it('creates a key only if absent, and a conflict returns the current value', async () => {
    const created = await store.create('/t/a', '{"n":1}');
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const kv = await store.get('/t/a');
    expect(kv).toEqual({
      key: '/t/a',
      value: '{"n":1}',
      createRevision: created.revision,
      modRevision: created.revision,
      version: 1,
    });
    expect(await store.create('/t/a', '{"n":2}')).toEqual({ ok: false, current: kv });
    expect(await store.revision()).toBe(created.revision);
  });

  it('updates and deletes only at the expected revision', async () => {
    const created = await store.create('/t/a', 'v1');
    if (!created.ok) throw new Error('create failed');
    const updated = await store.update('/t/a', 'v2', created.revision);
    expect(updated.ok).toBe(true);
    if (!updated.ok) return;
    expect(updated.revision).toBeGreaterThan(created.revision);
    const current = await store.get('/t/a');
    expect(current).toMatchObject({ value: 'v2', createRevision: created.revision, version: 2 });

    expect(await store.update('/t/a', 'v3', created.revision)).toEqual({ ok: false, current });
    expect(await store.delete('/t/a', created.revision)).toEqual({ ok: false, current });
    expect(await store.get('/t/a')).toEqual(current);

    expect((await store.delete('/t/a', updated.revision)).ok).toBe(true);
    expect(await store.get('/t/a')).toBeUndefined();
    expect(await store.update('/t/a', 'v4', updated.revision)).toEqual({ ok: false, current: undefined });
    expect(await store.update('/t/missing', 'v', 0)).toEqual({ ok: false, current: undefined });
  });

  it('lists a prefix in key order, page by page at one revision', async () => {
    const keys = ['/t/list/e', '/t/list/a', '/t/list/g', '/t/list/c', '/t/list/b', '/t/list/f', '/t/list/d'];
    for (const key of keys) await store.create(key, key);
    await store.create('/t/lisz', 'outside the prefix');

    const first = await store.list('/t/list/', { limit: 3 });
    expect(first.items.map((kv) => kv.key)).toEqual(['/t/list/a', '/t/list/b', '/t/list/c']);
    expect(first.more).toBe(true);

    const b = first.items[1];
    if (!b) throw new Error('missing /t/list/b');
    await store.update(
      '/t/list/e',
      'changed after the first page',
      (await store.get('/t/list/e'))?.modRevision ?? 0,
    );
    await store.create('/t/list/cc', 'created after the first page');
    await store.delete('/t/list/g', (await store.get('/t/list/g'))?.modRevision ?? 0);

    const pages = [first];
    while (pages.at(-1)?.more) {
      const after = pages.at(-1)?.items.at(-1)?.key;
      pages.push(await store.list('/t/list/', { limit: 3, after, revision: first.revision }));
    }
    expect(pages.map((page) => page.revision)).toEqual(pages.map(() => first.revision));
    expect(pages.flatMap((page) => page.items.map((kv) => kv.value))).toEqual([...keys].sort());
    expect(pages.at(-1)?.more).toBe(false);

    const latest = await store.list('/t/list/');
    expect(latest.revision).toBeGreaterThan(first.revision);
    expect(latest.items.map((kv) => kv.key)).toEqual([
      '/t/list/a',
      '/t/list/b',
      '/t/list/c',
      '/t/list/cc',
      '/t/list/d',
      '/t/list/e',
      '/t/list/f',
    ]);
    expect(latest.items.find((kv) => kv.key === '/t/list/e')?.value).toBe('changed after the first page');
  });

  it('watches from a revision: replays history, then delivers live changes with previous values', async () => {
    const created = await store.create('/t/w/a', 'v1');
    if (!created.ok) throw new Error('create failed');
    const updated = await store.update('/t/w/a', 'v2', created.revision);
    if (!updated.ok) throw new Error('update failed');
    await store.create('/t/other', 'not watched');

    const watching = watch('/t/w/', created.revision);
    await waitUntil(() => watching.batches.length >= 2, { message: 'the replayed history' });
    const deleted = await store.delete('/t/w/a', updated.revision);
    if (!deleted.ok) throw new Error('delete failed');
    await waitUntil(() => watching.batches.length >= 3, { message: 'the live delete' });

    const [put1, put2, del] = watching.batches.map((batch) => {
      expect(batch).toHaveLength(1);
      return batch[0];
    });
    expect(put1).toEqual({ type: 'put', kv: await getAt('/t/w/', created.revision) });
    expect(put2).toMatchObject({
      type: 'put',
      kv: { key: '/t/w/a', value: 'v2', modRevision: updated.revision, version: 2 },
      prev: { value: 'v1', modRevision: created.revision },
    });
    expect(del).toMatchObject({
      type: 'delete',
      key: '/t/w/a',
      revision: deleted.revision,
      prev: { value: 'v2', modRevision: updated.revision },
    });
  });

  async function getAt(prefix: string, revision: number) {
    return (await store.list(prefix, { revision })).items[0];
  }

  it('batches the events of one transaction into one revision, and a failed transaction writes nothing', async () => {
    const base = await store.create('/t/x/base', 'v1');
    if (!base.ok) throw new Error('create failed');
    const watching = watch('/t/x/', base.revision + 1);

    const failed = await store.txn([
      { type: 'create', key: '/t/x/new', value: 'n' },
      { type: 'update', key: '/t/x/base', value: 'v2', expectedRevision: base.revision - 1 },
    ]);
    expect(failed).toEqual({ ok: false, failedKey: '/t/x/base' });
    expect(await store.get('/t/x/new')).toBeUndefined();
    expect(await store.txn([{ type: 'check', key: '/t/x/base', expectedRevision: 0 }])).toEqual({
      ok: false,
      failedKey: '/t/x/base',
    });

    const done = await store.txn([
      { type: 'check', key: '/t/x/absent', expectedRevision: 0 },
      { type: 'create', key: '/t/x/new', value: 'n' },
      { type: 'update', key: '/t/x/base', value: 'v2', expectedRevision: base.revision },
    ]);
    expect(done.ok).toBe(true);
    if (!done.ok) return;
    expect(await store.get('/t/x/new')).toMatchObject({ createRevision: done.revision });
    expect(await store.get('/t/x/base')).toMatchObject({ value: 'v2', modRevision: done.revision });
    await waitUntil(() => watching.batches.length >= 1, { message: 'the transaction batch' });
    expect(watching.batches[0]?.map(keyOf).sort()).toEqual(['/t/x/base', '/t/x/new']);

    const removed = await store.txn([
      { type: 'delete', key: '/t/x/new', expectedRevision: done.revision },
      { type: 'delete', key: '/t/x/base', expectedRevision: done.revision },
    ]);
    expect(removed.ok).toBe(true);
    expect((await store.list('/t/x/')).items).toEqual([]);
  });

  it('compacts history: reads and watches before the compact revision throw CompactedError', async () => {
    const first = await store.create('/t/c/a', 'v1');
    if (!first.ok) throw new Error('create failed');
    const second = await store.update('/t/c/a', 'v2', first.revision);
    if (!second.ok) throw new Error('update failed');
    expect((await store.list('/t/c/', { revision: first.revision })).items[0]?.value).toBe('v1');

    await store.compact(second.revision);
    await expect(store.list('/t/c/', { revision: first.revision })).rejects.toBeInstanceOf(CompactedError);
    expect((await store.list('/t/c/', { revision: second.revision })).items[0]?.value).toBe('v2');

    const stale = watch('/t/c/', first.revision);
    await expect(stale.done).rejects.toBeInstanceOf(CompactedError);
    await expect(stale.done).rejects.toMatchObject({ requestedRevision: first.revision });
  });

  it('lets exactly one of many concurrent creates of one key win', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) => store.create('/t/race', `writer ${index}`)),
    );
    const winners = results.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    const current = await store.get('/t/race');
    for (const result of results) {
      if (!result.ok) expect(result.current).toEqual(current);
    }
  });

  it('ends open watches on close and rejects later calls', async () => {
    const watching = watch('/t/', (await store.revision()) + 1);
    await store.close();
    await expect(watching.done).resolves.toBeUndefined();
    await expect(store.get('/t/a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.create('/t/a', 'v')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
}
