import type { DeliveredEvent } from '@nimbus/events';
import { isRemoteError } from '@nimbus/runtime';
import { errorCode } from '@nimbus/service-kit';
import { type EtcdServer, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKeys } from '../state/address-keys.js';
import { type NetworkReplica, startReplica } from '../testing/network-replica.js';
import { accountA, type NetworkUnderTest, startNetworkUnderTest } from '../testing/network-under-test.js';

let etcd: EtcdServer;
let nats: NatsServer;
let net: NetworkUnderTest;
let replica: NetworkReplica;
let subnetId = '';
beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  net = await startNetworkUnderTest({ etcd, nats, env: { NIMBUS_ADDRESS_QUOTA: '50' } });
  replica = await startReplica(net, { env: { NIMBUS_ADDRESS_QUOTA: '50' } });
  const { vpc } = await net.client.createVpc({ cidrBlock: '127.90.0.0/16' });
  const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: '127.90.1.0/24' });
  subnetId = subnet?.subnetId ?? '';
});
afterAll(async () => {
  await replica?.stop();
  await net?.stop();
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

async function newInterface(secondaryPrivateIpAddressCount = 0) {
  const { networkInterface } = await net.client.createNetworkInterface({
    subnetId,
    secondaryPrivateIpAddressCount,
  });
  if (!networkInterface) throw new Error('no interface');
  return networkInterface;
}

async function describeInterface(networkInterfaceId: string) {
  const [eni] = (await net.client.describeNetworkInterfaces({ networkInterfaceIds: [networkInterfaceId] }))
    .networkInterfaces;
  return eni;
}

async function describeAddress(allocationId: string) {
  const [address] = (await net.client.describeAddresses({ allocationIds: [allocationId] })).addresses;
  return address;
}

describe('AssociateAddress and DisassociateAddress over gRPC', () => {
  it('maps an Elastic IP to the primary or a named private address, shows it on both sides, and unmaps it idempotently', async () => {
    const eni = await newInterface(1);
    const [primary, secondary] = eni.privateIpAddresses.map((p) => p.privateIpAddress);
    const eip = await net.client.allocateAddress({});
    const { associationId } = await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    expect(associationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    expect(await describeAddress(eip.allocationId)).toMatchObject({
      associationId,
      networkInterfaceId: eni.networkInterfaceId,
      networkInterfaceOwnerId: accountA,
      privateIpAddress: primary,
      instanceId: '',
    });
    const shown = await describeInterface(eni.networkInterfaceId);
    expect(shown?.association).toMatchObject({
      publicIp: eip.publicIp,
      allocationId: eip.allocationId,
      associationId,
      ipOwnerId: accountA,
    });
    expect(shown?.privateIpAddresses[0]?.association?.publicIp).toBe(eip.publicIp);
    const byPublicIp = await net.client.describeNetworkInterfaces({
      filters: [{ name: 'association.public-ip', values: [eip.publicIp] }],
    });
    expect(byPublicIp.networkInterfaces.map((n) => n.networkInterfaceId)).toEqual([eni.networkInterfaceId]);

    // To the secondary address: the Elastic IP moves there.
    const second = await net.client.associateAddress({
      publicIp: eip.publicIp,
      networkInterfaceId: eni.networkInterfaceId,
      privateIpAddress: secondary ?? '',
    });
    expect((await describeAddress(eip.allocationId))?.privateIpAddress).toBe(secondary);
    const moved = await describeInterface(eni.networkInterfaceId);
    expect(moved?.association).toBeUndefined();
    expect(moved?.privateIpAddresses[1]?.association?.associationId).toBe(second.associationId);

    await net.client.disassociateAddress({ associationId: second.associationId });
    await net.client.disassociateAddress({ associationId: second.associationId });
    expect(await describeAddress(eip.allocationId)).toMatchObject({
      associationId: '',
      networkInterfaceId: '',
    });
    expect(
      (await describeInterface(eni.networkInterfaceId))?.privateIpAddresses[1]?.association,
    ).toBeUndefined();
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('refuses invalid parameters with their EC2 codes and answers a dry run without associating', async () => {
    const eni = await newInterface();
    const eip = await net.client.allocateAddress({});
    const { allocationId } = eip;
    const networkInterfaceId = eni.networkInterfaceId;
    const instanceId = 'i-0123456789abcdef0';
    const refusal = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        if (isRemoteError(error)) return [error.code, error.message];
      }
      return ['succeeded', ''];
    };
    expect(
      await errorCode(net.client.associateAddress({ allocationId, instanceId, networkInterfaceId })),
    ).toBe('InvalidParameterCombination');
    expect(await errorCode(net.client.associateAddress({ allocationId }))).toBe('MissingParameter');
    expect(await errorCode(net.client.associateAddress({ networkInterfaceId }))).toBe('MissingParameter');
    expect(
      await errorCode(
        net.client.associateAddress({ allocationId, publicIp: eip.publicIp, networkInterfaceId }),
      ),
    ).toBe('InvalidParameterCombination');
    expect(await refusal(net.client.associateAddress({ allocationId, instanceId }))).toEqual([
      'InvalidInstanceID.NotFound',
      `The instance ID '${instanceId}' does not exist`,
    ]);
    expect(await errorCode(net.client.associateAddress({ allocationId, instanceId: 'i-1' }))).toBe(
      'InvalidInstanceID.Malformed',
    );
    expect(await errorCode(net.client.associateAddress({ allocationId, networkInterfaceId: 'eni-x' }))).toBe(
      'InvalidNetworkInterfaceID.Malformed',
    );
    expect(
      await errorCode(
        net.client.associateAddress({ allocationId, networkInterfaceId: 'eni-0123456789abcdef0' }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(
      await errorCode(
        net.client.associateAddress({ allocationId: 'eipalloc-0123456789abcdef0', networkInterfaceId }),
      ),
    ).toBe('InvalidAllocationID.NotFound');
    expect(
      await errorCode(
        net.client.associateAddress({ allocationId, networkInterfaceId, privateIpAddress: '127.90.1.250' }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        net.client.associateAddress({ allocationId, networkInterfaceId, privateIpAddress: 'x' }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(net.client.associateAddress({ allocationId, networkInterfaceId, dryRun: true })),
    ).toBe('DryRunOperation');
    expect((await describeAddress(allocationId))?.associationId).toBe('');

    expect(await errorCode(net.client.disassociateAddress({}))).toBe('MissingParameter');
    expect(await errorCode(net.client.disassociateAddress({ associationId: 'eipassoc-1' }))).toBe(
      'InvalidAssociationID.Malformed',
    );
    expect(await errorCode(net.client.disassociateAddress({ publicIp: '127.64.255.254' }))).toBe(
      'InvalidAddress.NotFound',
    );
    // Idempotent: an association that does not exist is already gone.
    await net.client.disassociateAddress({ associationId: 'eipassoc-0123456789abcdef0' });
    await net.client.disassociateAddress({ publicIp: eip.publicIp });
    await net.client.releaseAddress({ allocationId });
  });

  it("keeps accounts apart: nobody associates to, or disassociates, another account's resources", async () => {
    const eni = await newInterface();
    const mine = await net.client.allocateAddress({});
    const theirs = await net.otherAccount.allocateAddress({});
    expect(
      await errorCode(
        net.otherAccount.associateAddress({
          allocationId: theirs.allocationId,
          networkInterfaceId: eni.networkInterfaceId,
        }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    const { associationId } = await net.client.associateAddress({
      allocationId: mine.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    expect(await errorCode(net.otherAccount.disassociateAddress({ publicIp: mine.publicIp }))).toBe(
      'InvalidAddress.NotFound',
    );
    await net.otherAccount.disassociateAddress({ associationId });
    expect((await describeAddress(mine.allocationId))?.associationId).toBe(associationId);
    await net.client.disassociateAddress({ publicIp: mine.publicIp });
    await net.client.releaseAddress({ allocationId: mine.allocationId });
    await net.otherAccount.releaseAddress({ allocationId: theirs.allocationId });
  });

  it('moves an associated address unless AllowReassociation is false, and counts each association as a remap', async () => {
    const before = (await net.client.getAddressUsageReport({})).report?.remaps ?? 0;
    const [first, second] = [await newInterface(), await newInterface()];
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: first.networkInterfaceId,
    });
    expect(
      await errorCode(
        net.client.associateAddress({
          allocationId: eip.allocationId,
          networkInterfaceId: second.networkInterfaceId,
          allowReassociation: false,
        }),
      ),
    ).toBe('Resource.AlreadyAssociated');
    const { associationId } = await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: second.networkInterfaceId,
      allowReassociation: true,
    });
    expect(await describeAddress(eip.allocationId)).toMatchObject({
      associationId,
      networkInterfaceId: second.networkInterfaceId,
    });
    expect((await describeInterface(first.networkInterfaceId))?.association).toBeUndefined();
    expect((await describeInterface(second.networkInterfaceId))?.association?.associationId).toBe(
      associationId,
    );
    expect((await net.client.getAddressUsageReport({})).report?.remaps).toBe(before + 2);
    await net.client.disassociateAddress({ associationId });
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('gives a private address that has an Elastic IP the new one, disassociating the old', async () => {
    const eni = await newInterface();
    const [old, fresh] = [await net.client.allocateAddress({}), await net.client.allocateAddress({})];
    const networkInterfaceId = eni.networkInterfaceId;
    await net.client.associateAddress({ allocationId: old.allocationId, networkInterfaceId });
    const { associationId } = await net.client.associateAddress({
      allocationId: fresh.allocationId,
      networkInterfaceId,
    });
    expect((await describeAddress(old.allocationId))?.associationId).toBe('');
    expect((await describeAddress(fresh.allocationId))?.associationId).toBe(associationId);
    expect((await describeInterface(networkInterfaceId))?.association?.publicIp).toBe(fresh.publicIp);
    // The old one is free to go now.
    await net.client.releaseAddress({ allocationId: old.allocationId });
    await net.client.disassociateAddress({ associationId });
    await net.client.releaseAddress({ allocationId: fresh.allocationId });
  });

  it('gives the auto-assigned public address back to the pool when an Elastic IP takes its place', async () => {
    const eni = await newInterface();
    const networkInterfaceId = eni.networkInterfaceId;
    const { publicIp: auto } = await net.client.allocatePublicIp({ networkInterfaceId });
    expect((await describeInterface(networkInterfaceId))?.association).toMatchObject({
      publicIp: auto,
      ipOwnerId: 'amazon',
      allocationId: '',
    });
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({ allocationId: eip.allocationId, networkInterfaceId });
    expect((await describeInterface(networkInterfaceId))?.association?.publicIp).toBe(eip.publicIp);
    expect(await net.store.get(addressKeys.publicIp(auto))).toBeUndefined();
    expect((await net.client.releasePublicIp({ networkInterfaceId })).publicIp).toBe('');
    await net.client.disassociateAddress({ publicIp: eip.publicIp });
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('disassociates the Elastic IP of an interface that is deleted', async () => {
    const eni = await newInterface();
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    await net.client.deleteNetworkInterface({ networkInterfaceId: eni.networkInterfaceId });
    expect(await describeAddress(eip.allocationId)).toMatchObject({
      associationId: '',
      networkInterfaceId: '',
    });
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('lets exactly one of two concurrent associations win when AllowReassociation is false, across replicas', async () => {
    for (let round = 0; round < 5; round++) {
      const [left, right] = [await newInterface(), await newInterface()];
      const eip = await net.client.allocateAddress({});
      const results = await Promise.allSettled([
        net.client.associateAddress({
          allocationId: eip.allocationId,
          networkInterfaceId: left.networkInterfaceId,
          allowReassociation: false,
        }),
        replica.client.associateAddress({
          allocationId: eip.allocationId,
          networkInterfaceId: right.networkInterfaceId,
          allowReassociation: false,
        }),
      ]);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [[i, r.value.associationId]] : []));
      expect(won).toHaveLength(1);
      const [winner, associationId] = won[0] as [number, string];
      const lost = results.find((r) => r.status === 'rejected');
      expect(await errorCode(Promise.reject(lost?.reason))).toBe('Resource.AlreadyAssociated');
      const [winnerEni, loserEni] = winner === 0 ? [left, right] : [right, left];
      expect(await describeAddress(eip.allocationId)).toMatchObject({
        associationId,
        networkInterfaceId: winnerEni.networkInterfaceId,
      });
      expect((await describeInterface(winnerEni.networkInterfaceId))?.association?.associationId).toBe(
        associationId,
      );
      expect((await describeInterface(loserEni.networkInterfaceId))?.association).toBeUndefined();
    }
  });

  it('leaves one Elastic IP on a private address that two concurrent calls both claim', async () => {
    const eni = await newInterface();
    const networkInterfaceId = eni.networkInterfaceId;
    const [a, b] = [await net.client.allocateAddress({}), await net.client.allocateAddress({})];
    await Promise.all([
      net.client.associateAddress({ allocationId: a.allocationId, networkInterfaceId }),
      replica.client.associateAddress({ allocationId: b.allocationId, networkInterfaceId }),
    ]);
    const associated = [await describeAddress(a.allocationId), await describeAddress(b.allocationId)].filter(
      (x) => x?.associationId !== '',
    );
    expect(associated).toHaveLength(1);
    expect((await describeInterface(networkInterfaceId))?.association?.associationId).toBe(
      associated[0]?.associationId,
    );
  });

  it('publishes associated and disassociated events', async () => {
    const seen: DeliveredEvent[] = [];
    const subscription = await net.bus.subscribe({
      durable: 'association-events-test',
      subjects: ['nimbus.network.address.associated', 'nimbus.network.address.disassociated'],
      handler: async (event) => {
        seen.push(event);
      },
    });
    try {
      const eni = await newInterface();
      const eip = await net.client.allocateAddress({});
      const { associationId } = await net.client.associateAddress({
        allocationId: eip.allocationId,
        networkInterfaceId: eni.networkInterfaceId,
      });
      await net.client.disassociateAddress({ associationId });
      const subjects = await waitUntil(() => {
        const mine = seen.filter((e) => e.event.resourceId === eip.allocationId);
        return mine.length === 2 && mine.map((e) => e.event.subject);
      });
      expect(subjects.sort()).toEqual([
        'nimbus.network.address.associated',
        'nimbus.network.address.disassociated',
      ]);
    } finally {
      await subscription.close();
    }
  });
});
