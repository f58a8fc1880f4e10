import { errorCode } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { vpcKeys } from '../state/vpc-keys.js';
import { accountA, useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

async function newSubnet(vpcCidr: string, subnetCidr: string) {
  const { vpc } = await net.client.createVpc({ cidrBlock: vpcCidr });
  const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: subnetCidr });
  return { vpcId: vpc?.vpcId ?? '', subnetId: subnet?.subnetId ?? '' };
}

async function newInterface(subnetId: string, privateIpAddress = '') {
  const { networkInterface } = await net.client.createNetworkInterface({ subnetId, privateIpAddress });
  return networkInterface?.networkInterfaceId ?? '';
}

async function privateIps(networkInterfaceId: string) {
  const [eni] = (await net.client.describeNetworkInterfaces({ networkInterfaceIds: [networkInterfaceId] }))
    .networkInterfaces;
  return eni?.privateIpAddresses.map((p) => p.privateIpAddress) ?? [];
}

describe('AssignPrivateIpAddresses and UnassignPrivateIpAddresses over gRPC', () => {
  it('assigns picked or named addresses of the subnet, and unassigns secondary ones', async () => {
    const { subnetId } = await newSubnet('127.91.0.0/16', '127.91.1.0/24');
    const eni = await newInterface(subnetId);
    const picked = await net.client.assignPrivateIpAddresses({
      networkInterfaceId: eni,
      secondaryPrivateIpAddressCount: 2,
    });
    expect(picked).toMatchObject({
      networkInterfaceId: eni,
      assignedPrivateIpAddresses: ['127.91.1.5', '127.91.1.6'],
    });
    const named = await net.client.assignPrivateIpAddresses({
      networkInterfaceId: eni,
      privateIpAddresses: ['127.91.1.50'],
    });
    expect(named.assignedPrivateIpAddresses).toEqual(['127.91.1.50']);
    expect(await privateIps(eni)).toEqual(['127.91.1.4', '127.91.1.5', '127.91.1.6', '127.91.1.50']);

    await net.client.unassignPrivateIpAddresses({
      networkInterfaceId: eni,
      privateIpAddresses: ['127.91.1.5'],
    });
    expect(await privateIps(eni)).toEqual(['127.91.1.4', '127.91.1.6', '127.91.1.50']);
    // The address is free again: the next interface gets it.
    const other = await newInterface(subnetId);
    expect(await privateIps(other)).toEqual(['127.91.1.5']);
  });

  it('refuses what EC2 refuses', async () => {
    const { subnetId } = await newSubnet('127.92.0.0/16', '127.92.1.0/24');
    const eni = await newInterface(subnetId);
    const holder = await newInterface(subnetId, '127.92.1.40');
    const assign = (request: object) =>
      errorCode(net.client.assignPrivateIpAddresses({ networkInterfaceId: eni, ...request }));
    expect(await assign({})).toBe('MissingParameter');
    expect(await assign({ privateIpAddresses: ['127.92.1.9'], secondaryPrivateIpAddressCount: 1 })).toBe(
      'InvalidParameterCombination',
    );
    expect(await assign({ privateIpAddresses: ['127.92.2.9'] })).toBe('InvalidParameterValue');
    expect(await assign({ privateIpAddresses: ['127.92.1.40'] })).toBe('InvalidIPAddress.InUse');
    expect(await assign({ secondaryPrivateIpAddressCount: 50 })).toBe('PrivateIpAddressLimitExceeded');
    expect(await assign({ secondaryPrivateIpAddressCount: 1, dryRun: true })).toBe('DryRunOperation');
    expect(await privateIps(eni)).toHaveLength(1);
    expect(
      await errorCode(
        net.client.assignPrivateIpAddresses({
          networkInterfaceId: 'eni-1',
          secondaryPrivateIpAddressCount: 1,
        }),
      ),
    ).toBe('InvalidNetworkInterfaceID.Malformed');
    expect(
      await errorCode(
        net.otherAccount.assignPrivateIpAddresses({
          networkInterfaceId: eni,
          secondaryPrivateIpAddressCount: 1,
        }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');

    const [primary] = await privateIps(eni);
    const unassign = (privateIpAddresses: string[]) =>
      errorCode(net.client.unassignPrivateIpAddresses({ networkInterfaceId: eni, privateIpAddresses }));
    expect(await unassign([])).toBe('MissingParameter');
    expect(await unassign([primary ?? ''])).toBe('InvalidParameterValue');
    expect(await unassign(['127.92.1.40'])).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        net.otherAccount.unassignPrivateIpAddresses({
          networkInterfaceId: holder,
          privateIpAddresses: ['127.92.1.40'],
        }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  it('moves an address from another interface with AllowReassignment, disassociating its Elastic IP', async () => {
    const { subnetId } = await newSubnet('127.93.0.0/16', '127.93.1.0/24');
    const from = await newInterface(subnetId);
    await net.client.assignPrivateIpAddresses({
      networkInterfaceId: from,
      privateIpAddresses: ['127.93.1.77'],
    });
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: from,
      privateIpAddress: '127.93.1.77',
    });
    const to = await newInterface(subnetId);
    await net.client.assignPrivateIpAddresses({
      networkInterfaceId: to,
      privateIpAddresses: ['127.93.1.77'],
      allowReassignment: true,
    });
    expect(await privateIps(from)).toEqual(['127.93.1.4']);
    expect(await privateIps(to)).toEqual(['127.93.1.5', '127.93.1.77']);
    const [address] = (await net.client.describeAddresses({ allocationIds: [eip.allocationId] })).addresses;
    expect(address?.associationId).toBe('');
    const claim = await net.store.get(vpcKeys.privateIp(accountA, subnetId, '127.93.1.77'));
    expect(JSON.parse(claim?.value ?? '{}')).toEqual({ networkInterfaceId: to });
    // A primary address never moves.
    expect(
      await errorCode(
        net.client.assignPrivateIpAddresses({
          networkInterfaceId: to,
          privateIpAddresses: ['127.93.1.4'],
          allowReassignment: true,
        }),
      ),
    ).toBe('InvalidParameterValue');
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('disassociates the Elastic IP of an address that is unassigned', async () => {
    const { subnetId } = await newSubnet('127.94.0.0/16', '127.94.1.0/24');
    const eni = await newInterface(subnetId);
    const { assignedPrivateIpAddresses } = await net.client.assignPrivateIpAddresses({
      networkInterfaceId: eni,
      secondaryPrivateIpAddressCount: 1,
    });
    const secondary = assignedPrivateIpAddresses[0] ?? '';
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni,
      privateIpAddress: secondary,
    });
    await net.client.unassignPrivateIpAddresses({ networkInterfaceId: eni, privateIpAddresses: [secondary] });
    const [address] = (await net.client.describeAddresses({ allocationIds: [eip.allocationId] })).addresses;
    expect(address).toMatchObject({ associationId: '', privateIpAddress: '' });
    await net.client.releaseAddress({ allocationId: eip.allocationId });
  });

  it('never gives one address twice to concurrent assignments on two interfaces', async () => {
    const { subnetId } = await newSubnet('127.95.0.0/24', '127.95.0.0/27');
    const [left, right] = [await newInterface(subnetId), await newInterface(subnetId)];
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        net.client.assignPrivateIpAddresses({
          networkInterfaceId: i % 2 === 0 ? left : right,
          secondaryPrivateIpAddressCount: 2,
        }),
      ),
    );
    const assigned = results.flatMap((r) =>
      r.status === 'fulfilled' ? r.value.assignedPrivateIpAddresses : [],
    );
    // A /27 has 27 usable addresses; two are the primaries: 12 calls of 2 fit.
    expect(assigned).toHaveLength(24);
    const held = [...(await privateIps(left)), ...(await privateIps(right))];
    expect(held).toHaveLength(26);
    expect(new Set(held).size).toBe(26);
    const claims = await net.store.list(vpcKeys.subnetPrivateIps(accountA, subnetId));
    expect(claims.items).toHaveLength(26);
  });
});
