import { createRecords, type Stored } from '@nimbus/service-kit';
import { createEmbeddedStore } from '@nimbus/store';
import { describe, expect, it } from 'vitest';
import { createMarkedDeletion, type Markable } from './marked-deletion.js';
import { txnOps } from './txn-ops.js';

interface Thing extends Markable {
  id: string;
}

describe('marked deletion', () => {
  it('fails a dependent write that read before the deletion and commits while it looks for dependents', async () => {
    const store = createEmbeddedStore();
    const things = createRecords<Thing>(store);
    await things.create('/things/t1', { id: 't1' });
    const users: string[] = [];
    let racing: Promise<boolean> | undefined;
    let readBefore: Stored<Thing> | undefined;
    const deletion = createMarkedDeletion<Thing>(store, {
      read: async (_account, id) => {
        const found = await things.get(`/things/${id}`);
        if (!found) throw new Error('NotFound');
        return found;
      },
      dependent: async () => {
        // A user that read the record before the mark commits now, between the mark and this look.
        racing ??= store
          .txn([txnOps.check(readBefore as Stored<Thing>), txnOps.create('/users/u1', { thing: 't1' })])
          .then((result) => {
            if (result.ok) users.push('u1');
            return result.ok;
          });
        await racing;
        return users.length > 0 ? new Error('DependencyViolation') : undefined;
      },
    });
    readBefore = await deletion.forDependent('acct', 't1');
    await deletion.remove('acct', 't1');
    expect(await racing).toBe(false);
    expect(users).toEqual([]);
    expect(await things.get('/things/t1')).toBeUndefined();
    await store.close();
  });
});
