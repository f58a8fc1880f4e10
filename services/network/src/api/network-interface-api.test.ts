import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

async function newSubnet(vpcCidr: string, subnetCidr: string) {
  const { vpc } = await net.client.createVpc({ cidrBlock: vpcCidr });
  const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: subnetCidr });
  return { vpcId: vpc?.vpcId ?? '', subnetId: subnet?.subnetId ?? '' };
}

describe('network interfaces over gRPC', () => {
  it('takes private addresses from the subnet, in the VPC default group, and gives them back on delete', async () => {
    const { vpcId, subnetId } = await newSubnet('127.80.0.0/16', '127.80.1.0/24');
    const first = (await net.client.createNetworkInterface({ subnetId, description: 'one' }))
      .networkInterface;
    expect(first?.networkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(first).toMatchObject({ vpcId, privateIpAddress: '127.80.1.4', status: 'available' });
    expect(first?.groups.map((g) => g.groupName)).toEqual(['default']);
    const second = (await net.client.createNetworkInterface({ subnetId, secondaryPrivateIpAddressCount: 2 }))
      .networkInterface;
    expect(second?.privateIpAddresses.map((p) => [p.privateIpAddress, p.primary])).toEqual([
      ['127.80.1.5', true],
      ['127.80.1.6', false],
      ['127.80.1.7', false],
    ]);
    const fixed = await net.client.createNetworkInterface({ subnetId, privateIpAddress: '127.80.1.100' });
    expect(fixed.networkInterface?.privateIpAddress).toBe('127.80.1.100');
    expect(
      await errorCode(net.client.createNetworkInterface({ subnetId, privateIpAddress: '127.80.1.100' })),
    ).toBe('InvalidIPAddress.InUse');
    expect(
      await errorCode(net.client.createNetworkInterface({ subnetId, privateIpAddress: '127.80.2.1' })),
    ).toBe('InvalidParameterValue');
    const [subnet] = (await net.client.describeSubnets({ subnetIds: [subnetId] })).subnets;
    expect(subnet?.availableIpAddressCount).toBe(251 - 5);

    expect(await errorCode(net.client.deleteSubnet({ subnetId }))).toBe('DependencyViolation');
    for (const eni of (
      await net.client.describeNetworkInterfaces({ filters: [{ name: 'subnet-id', values: [subnetId] }] })
    ).networkInterfaces) {
      await net.client.deleteNetworkInterface({ networkInterfaceId: eni.networkInterfaceId });
    }
    const again = await net.client.createNetworkInterface({ subnetId });
    expect(again.networkInterface?.privateIpAddress).toBe('127.80.1.4');
    await net.client.deleteNetworkInterface({
      networkInterfaceId: again.networkInterface?.networkInterfaceId ?? '',
    });
    await net.client.deleteSubnet({ subnetId });
  });

  it('makes one interface per client token, also for callers racing with it', async () => {
    const { subnetId } = await newSubnet('127.86.0.0/16', '127.86.1.0/24');
    const ask = { subnetId, description: 'for i-0123', clientToken: 'launch-i-0123' };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => net.client.createNetworkInterface(ask)),
    );
    const ids = new Set(answers.map((a) => a.networkInterface?.networkInterfaceId));
    expect(ids.size).toBe(1);
    expect(answers.every((a) => a.clientToken === ask.clientToken)).toBe(true);
    const inSubnet = await net.client.describeNetworkInterfaces({
      filters: [{ name: 'subnet-id', values: [subnetId] }],
    });
    expect(inSubnet.networkInterfaces.map((n) => n.networkInterfaceId)).toEqual([...ids]);
    expect(await errorCode(net.client.createNetworkInterface({ ...ask, description: 'other' }))).toBe(
      'IdempotentParameterMismatch',
    );
    expect(
      await errorCode(net.client.createNetworkInterface({ subnetId, clientToken: 'x'.repeat(65) })),
    ).toBe('InvalidParameterValue');
    // Once deleted, the token still names it: it is not made again.
    await net.client.deleteNetworkInterface({ networkInterfaceId: [...ids][0] ?? '' });
    expect(await errorCode(net.client.createNetworkInterface(ask))).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('publishes created and deleted events for every interface', async () => {
    const { subnetId } = await newSubnet('127.82.0.0/16', '127.82.1.0/24');
    const seen: string[] = [];
    const subscription = await net.bus.subscribe({
      durable: 'interface-events-test',
      subjects: ['nimbus.network.interface.*'],
      handler: async ({ event }) => {
        seen.push(`${event.subject} ${event.resourceId}`);
      },
    });
    try {
      const eni = (await net.client.createNetworkInterface({ subnetId })).networkInterface;
      const id = eni?.networkInterfaceId ?? '';
      await net.client.deleteNetworkInterface({ networkInterfaceId: id });
      await waitUntil(() => seen.length >= 2, { message: 'both interface events' });
      expect(seen).toEqual([
        `nimbus.network.interface.created ${id}`,
        `nimbus.network.interface.deleted ${id}`,
      ]);
    } finally {
      await subscription.close();
    }
  });

  it('never gives one address to two interfaces created at once, and says when the subnet is full', async () => {
    const { subnetId } = await newSubnet('127.81.0.0/24', '127.81.0.0/28');
    const results = await Promise.allSettled(
      Array.from({ length: 14 }, () => net.client.createNetworkInterface({ subnetId })),
    );
    const addresses = results.flatMap((r) =>
      r.status === 'fulfilled' ? [r.value.networkInterface?.privateIpAddress] : [],
    );
    expect(addresses).toHaveLength(11);
    expect(new Set(addresses).size).toBe(11);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(3);
    expect(await errorCode(net.client.createNetworkInterface({ subnetId }))).toBe(
      'InsufficientFreeAddressesInSubnet',
    );
  });

  it('keeps a group in use by an interface, and refuses groups of another VPC', async () => {
    const { vpcId, subnetId } = await newSubnet('127.82.0.0/16', '127.82.0.0/24');
    const { groupId } = await net.client.createSecurityGroup({ groupName: 'eni', description: 'eni', vpcId });
    const { networkInterface } = await net.client.createNetworkInterface({ subnetId, groups: [groupId] });
    expect(networkInterface?.groups).toEqual([expect.objectContaining({ groupId, groupName: 'eni' })]);
    expect(await errorCode(net.client.deleteSecurityGroup({ groupId }))).toBe('DependencyViolation');
    const other = await net.client.createSecurityGroup({ groupName: 'elsewhere', description: 'x' });
    expect(await errorCode(net.client.createNetworkInterface({ subnetId, groups: [other.groupId] }))).toBe(
      'InvalidParameterValue',
    );
    const id = networkInterface?.networkInterfaceId ?? '';
    expect(await errorCode(net.otherAccount.describeNetworkInterfaces({ networkInterfaceIds: [id] }))).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
    expect(await errorCode(net.client.deleteNetworkInterface({ networkInterfaceId: 'eni-1' }))).toBe(
      'InvalidNetworkInterfaceID.Malformed',
    );
    await net.client.deleteNetworkInterface({ networkInterfaceId: id });
    expect(await errorCode(net.client.deleteNetworkInterface({ networkInterfaceId: id }))).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
    await net.client.deleteSecurityGroup({ groupId });
  });
});
