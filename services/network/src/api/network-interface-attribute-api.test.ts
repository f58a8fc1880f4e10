import { errorCode } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

async function describeInterface(networkInterfaceId: string) {
  const [eni] = (await net.client.describeNetworkInterfaces({ networkInterfaceIds: [networkInterfaceId] }))
    .networkInterfaces;
  return eni;
}

describe('ModifyNetworkInterfaceAttribute over gRPC', () => {
  it("replaces the groups with 1 to 5 of the interface's VPC, and keeps a group in use from deletion", async () => {
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.96.0.0/16' });
    const vpcId = vpc?.vpcId ?? '';
    const { subnet } = await net.client.createSubnet({ vpcId, cidrBlock: '127.96.1.0/24' });
    const { networkInterface } = await net.client.createNetworkInterface({
      subnetId: subnet?.subnetId ?? '',
    });
    const networkInterfaceId = networkInterface?.networkInterfaceId ?? '';
    const groups: string[] = [];
    for (let i = 0; i < 6; i++) {
      groups.push(
        (await net.client.createSecurityGroup({ groupName: `g${i}`, description: 'g', vpcId })).groupId,
      );
    }
    await net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, groups: groups.slice(0, 2) });
    expect((await describeInterface(networkInterfaceId))?.groups.map((g) => g.groupName)).toEqual([
      'g0',
      'g1',
    ]);
    expect(await errorCode(net.client.deleteSecurityGroup({ groupId: groups[0] ?? '' }))).toBe(
      'DependencyViolation',
    );

    const modify = (request: object) =>
      errorCode(net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, ...request }));
    expect(await modify({ groups })).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    expect(await modify({ groups: ['sg-0123456789abcdef0'] })).toBe('InvalidGroup.NotFound');
    expect(await modify({ groups: ['sg-1'] })).toBe('InvalidGroupId.Malformed');
    const elsewhere = await net.client.createSecurityGroup({ groupName: 'elsewhere', description: 'x' });
    expect(await modify({ groups: [elsewhere.groupId] })).toBe('InvalidGroup.NotFound');
    expect(await modify({ groups: [groups[2]], dryRun: true })).toBe('DryRunOperation');
    expect(
      await errorCode(
        net.otherAccount.modifyNetworkInterfaceAttribute({ networkInterfaceId, groups: [groups[2] ?? ''] }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    expect((await describeInterface(networkInterfaceId))?.groups.map((g) => g.groupName)).toEqual([
      'g0',
      'g1',
    ]);

    await net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, groups: groups.slice(1, 6) });
    expect((await describeInterface(networkInterfaceId))?.groups).toHaveLength(5);
    // No longer in use: the first group can go.
    await net.client.deleteSecurityGroup({ groupId: groups[0] ?? '' });
  });

  it('changes the description or the source/destination check, one attribute per call', async () => {
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.97.0.0/16' });
    const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: '127.97.1.0/24' });
    const { networkInterface } = await net.client.createNetworkInterface({
      subnetId: subnet?.subnetId ?? '',
    });
    const networkInterfaceId = networkInterface?.networkInterfaceId ?? '';
    await net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, description: 'front door' });
    await net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, sourceDestCheck: false });
    expect(await describeInterface(networkInterfaceId)).toMatchObject({
      description: 'front door',
      sourceDestCheck: false,
    });
    const filtered = await net.client.describeNetworkInterfaces({
      filters: [{ name: 'source-dest-check', values: ['false'] }],
    });
    expect(filtered.networkInterfaces.map((n) => n.networkInterfaceId)).toEqual([networkInterfaceId]);
    expect(
      await errorCode(
        net.client.modifyNetworkInterfaceAttribute({
          networkInterfaceId,
          description: 'x',
          sourceDestCheck: true,
        }),
      ),
    ).toBe('InvalidParameterCombination');
    expect(await errorCode(net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId }))).toBe(
      'MissingParameter',
    );
    expect(
      await errorCode(
        net.client.modifyNetworkInterfaceAttribute({ networkInterfaceId, description: 'd'.repeat(256) }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        net.client.modifyNetworkInterfaceAttribute({
          networkInterfaceId,
          attachment: { attachmentId: 'eni-attach-0123456789abcdef0', deleteOnTermination: true },
        }),
      ),
    ).toBe('InvalidAttachmentID.NotFound');
  });
});
