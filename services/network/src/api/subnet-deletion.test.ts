import { errorCode } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { vpcKeys } from '../state/vpc-keys.js';
import type { SubnetRecord } from '../state/vpc-records.js';
import { accountA, useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

async function newSubnet(vpcCidr: string, subnetCidr: string) {
  const { vpc } = await net.client.createVpc({ cidrBlock: vpcCidr });
  const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: subnetCidr });
  return subnet?.subnetId ?? '';
}

async function storedSubnet(subnetId: string) {
  const kv = await net.store.get(vpcKeys.subnet(accountA, subnetId));
  return kv && { value: JSON.parse(kv.value) as SubnetRecord, revision: kv.modRevision };
}

/** Marks the subnet as being deleted since `since`, as a DeleteSubnet that died after its first step. */
async function markDeleting(subnetId: string, since: Date) {
  const subnet = await storedSubnet(subnetId);
  if (!subnet) throw new Error(`${subnetId} is not stored`);
  const value = { ...subnet.value, deletingSince: since.toISOString() };
  expect(
    (await net.store.update(vpcKeys.subnet(accountA, subnetId), JSON.stringify(value), subnet.revision)).ok,
  ).toBe(true);
}

async function interfacesIn(subnetId: string) {
  return (
    await net.client.describeNetworkInterfaces({ filters: [{ name: 'subnet-id', values: [subnetId] }] })
  ).networkInterfaces;
}

describe('DeleteSubnet against concurrent CreateNetworkInterface', () => {
  it('either deletes the subnet with no interface left in it, or answers DependencyViolation and keeps it', async () => {
    for (let round = 0; round < 6; round++) {
      const subnetId = await newSubnet(`127.70.${round}.0/24`, `127.70.${round}.0/26`);
      const creates = Array.from({ length: 8 }, () => net.client.createNetworkInterface({ subnetId }));
      // The later the delete starts, the more creates land first.
      const deleting = new Promise((resolve) => setTimeout(resolve, round * 8)).then(() =>
        net.client.deleteSubnet({ subnetId }),
      );
      const [deleted, ...created] = await Promise.allSettled([deleting, ...creates]);
      const landed = created.filter((c) => c.status === 'fulfilled').length;
      const claims = await net.store.list(vpcKeys.subnetPrivateIps(accountA, subnetId));
      if (deleted?.status === 'fulfilled') {
        expect(landed).toBe(0);
        expect(await storedSubnet(subnetId)).toBeUndefined();
        expect(claims.items).toEqual([]);
        for (const c of created) {
          if (c.status === 'rejected')
            expect(await errorCode(Promise.reject(c.reason))).toBe('InvalidSubnetID.NotFound');
        }
      } else {
        expect(await errorCode(Promise.reject(deleted?.reason))).toBe('DependencyViolation');
        expect((await storedSubnet(subnetId))?.value.deletingSince).toBeUndefined();
        expect(landed).toBeGreaterThan(0);
      }
      expect(await interfacesIn(subnetId)).toHaveLength(landed);
      expect(claims.items).toHaveLength(landed);
    }
  });

  it('finishes a deletion whose caller died: an empty subnet goes, an interface creation answers NotFound', async () => {
    const subnetId = await newSubnet('127.71.0.0/24', '127.71.0.0/26');
    await markDeleting(subnetId, new Date(Date.now() - 60_000));
    expect(await errorCode(net.client.createNetworkInterface({ subnetId }))).toBe('InvalidSubnetID.NotFound');
    expect(await storedSubnet(subnetId)).toBeUndefined();
  });

  it('clears the mark of a died deletion while interfaces use the subnet, and creates', async () => {
    const subnetId = await newSubnet('127.72.0.0/24', '127.72.0.0/26');
    await net.client.createNetworkInterface({ subnetId });
    await markDeleting(subnetId, new Date(Date.now() - 60_000));
    const { networkInterface } = await net.client.createNetworkInterface({ subnetId });
    expect(networkInterface?.subnetId).toBe(subnetId);
    expect((await storedSubnet(subnetId))?.value.deletingSince).toBeUndefined();
    expect(await interfacesIn(subnetId)).toHaveLength(2);
    expect(await errorCode(net.client.deleteSubnet({ subnetId }))).toBe('DependencyViolation');
  });

  it('makes an interface creation wait while a deletion decides, then answers for its outcome', async () => {
    const subnetId = await newSubnet('127.73.0.0/24', '127.73.0.0/26');
    await net.client.createNetworkInterface({ subnetId });
    await markDeleting(subnetId, new Date());
    const started = performance.now();
    const creating = net.client.createNetworkInterface({ subnetId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await interfacesIn(subnetId)).toHaveLength(1);
    // The deleting caller meets the interface and clears its mark.
    const marked = await storedSubnet(subnetId);
    const { deletingSince: _, ...unmarked } = marked?.value ?? ({} as SubnetRecord);
    await net.store.update(
      vpcKeys.subnet(accountA, subnetId),
      JSON.stringify(unmarked),
      marked?.revision ?? 0,
    );
    expect((await creating).networkInterface?.subnetId).toBe(subnetId);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(await interfacesIn(subnetId)).toHaveLength(2);
  });
});
