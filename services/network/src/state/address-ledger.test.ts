import { randomUUID } from 'node:crypto';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, startEtcd } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressUsageReport } from '../domain/address-usage.js';
import { type AddressLedger, createAddressLedger } from './address-ledger.js';

// The ledger's side of AssociateAddress (the record and the holding a month's
// remaps are counted from), checked on a real etcd; the API's side is in
// api/address-association-api.test.ts.
let etcd: EtcdServer;
let store: Store;
let ledger: AddressLedger;
beforeAll(async () => {
  etcd = await startEtcd();
  store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
  ledger = createAddressLedger(store);
});
afterAll(async () => {
  await store?.close();
  await etcd?.dispose();
});

const hour = 3_600_000;
const association = (n: number) => ({
  associationId: `eipassoc-${n.toString(16).padStart(17, '0')}`,
  instanceId: `i-${n.toString(16).padStart(17, '0')}`,
  networkInterfaceId: `eni-${n.toString(16).padStart(17, '0')}`,
  networkInterfaceOwnerId: '333333333333',
  privateIpAddress: '127.16.0.10',
});

async function allocate(accountId: string, publicIp: string, now: number) {
  const claimed = await ledger.claimElasticIp({ accountId, publicIp, tags: [], quota: 5, now });
  if (!claimed) throw new Error(`${publicIp} is taken`);
  return claimed.record.allocationId;
}

async function current(accountId: string, allocationId: string) {
  const address = await ledger.address(accountId, allocationId);
  if (!address) throw new Error(`${allocationId} is gone`);
  return address;
}

describe('the address ledger', () => {
  it('counts associated hours as in use, idle hours as idle, and each association or move as a remap', async () => {
    const accountId = '333333333333';
    const t0 = Date.UTC(2025, 4, 1);
    const allocationId = await allocate(accountId, '127.64.1.1', t0);
    expect(await ledger.associate(await current(accountId, allocationId), association(1), t0 + hour)).toBe(
      true,
    );
    // A move: the first association ends where the second starts.
    expect(
      await ledger.associate(await current(accountId, allocationId), association(2), t0 + 2 * hour),
    ).toBe(true);
    expect((await current(accountId, allocationId)).value.association?.instanceId).toBe(
      association(2).instanceId,
    );
    expect(await ledger.disassociate(await current(accountId, allocationId), t0 + 4 * hour)).toBe(true);
    expect((await current(accountId, allocationId)).value.association).toBeUndefined();
    expect(await ledger.releaseElasticIp(await current(accountId, allocationId), t0 + 10 * hour)).toBe(true);

    const report = addressUsageReport({
      accountId,
      month: '2025-05',
      holdings: await ledger.holdings(accountId),
      now: t0 + 24 * hour,
    });
    expect(report).toMatchObject({
      inUseHours: 3,
      idleHours: 7,
      remaps: 2,
      billableRemaps: 0,
      totalCostUsd: 0.05,
    });
  });

  it('refuses a change made from a stale read', async () => {
    const accountId = '444444444444';
    const allocationId = await allocate(accountId, '127.64.1.2', Date.UTC(2025, 4, 1));
    const stale = await current(accountId, allocationId);
    expect(await ledger.associate(stale, association(3), Date.UTC(2025, 4, 2))).toBe(true);
    expect(await ledger.disassociate(stale, Date.UTC(2025, 4, 3))).toBe(false);
    expect(await ledger.releaseElasticIp(stale, Date.UTC(2025, 4, 3))).toBe(false);
    expect((await current(accountId, allocationId)).value.association?.associationId).toBe(
      association(3).associationId,
    );
  });

  it('bills remaps beyond the first 100 of a month at 0.10 USD each', async () => {
    const accountId = '555555555555';
    const t0 = Date.UTC(2025, 5, 1);
    const allocationId = await allocate(accountId, '127.64.1.3', t0);
    for (let i = 1; i <= 103; i++) {
      expect(
        await ledger.associate(await current(accountId, allocationId), association(i), t0 + i * 1000),
      ).toBe(true);
    }
    const report = addressUsageReport({
      accountId,
      month: '2025-06',
      holdings: await ledger.holdings(accountId),
      now: t0 + 10 * hour,
    });
    expect(report).toMatchObject({ remaps: 103, billableRemaps: 3, remapCostUsd: 0.3 });
  });
});
