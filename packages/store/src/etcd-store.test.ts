import { randomUUID } from 'node:crypto';
import { type EtcdServer, startEtcd } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEtcdStore } from './etcd-store.js';
import { describeStoreContract } from './store-contract.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.dispose();
});

// One etcd for the file, a namespace per test: every store starts empty.
describeStoreContract('etcd', async () => {
  const store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/test-${randomUUID()}` });
  return { store, cleanup: () => store.close() };
});

describe('etcd store without a namespace', () => {
  it('reads the store revision and sees its own writes in it', async () => {
    const store = await openEtcdStore({ endpoints: [etcd.endpoint] });
    try {
      const created = await store.create(`/plain/${randomUUID()}`, 'v');
      if (!created.ok) throw new Error('create failed');
      expect(await store.revision()).toBeGreaterThanOrEqual(created.revision);
    } finally {
      await store.close();
    }
  });
});
