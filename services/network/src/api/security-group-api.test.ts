import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

const tcp = (port: number, cidrIp = '0.0.0.0/0') => ({
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  ipRanges: [{ cidrIp, description: '' }],
  userIdGroupPairs: [],
});

async function newVpc(cidrBlock: string): Promise<string> {
  return (await net.client.createVpc({ cidrBlock })).vpc?.vpcId ?? '';
}

describe('security groups over gRPC', () => {
  it('gives each VPC a default group that lets members in and everything out, and that cannot be deleted', async () => {
    const vpcId = await newVpc('127.70.0.0/16');
    const [group] = (
      await net.client.describeSecurityGroups({ filters: [{ name: 'vpc-id', values: [vpcId] }] })
    ).securityGroups;
    expect(group?.groupName).toBe('default');
    expect(group?.ipPermissions).toEqual([
      expect.objectContaining({
        ipProtocol: '-1',
        userIdGroupPairs: [expect.objectContaining({ groupId: group?.groupId })],
      }),
    ]);
    expect(group?.ipPermissionsEgress).toEqual([
      expect.objectContaining({
        ipProtocol: '-1',
        ipRanges: [expect.objectContaining({ cidrIp: '0.0.0.0/0' })],
      }),
    ]);
    expect(await errorCode(net.client.deleteSecurityGroup({ groupId: group?.groupId ?? '' }))).toBe(
      'CannotDelete',
    );
    expect(await errorCode(net.client.deleteSecurityGroup({ groupName: 'default' }))).toBe('CannotDelete');
  });

  it('refuses reserved, duplicate and malformed names, and finds groups by name in the default VPC', async () => {
    const web = await net.client.createSecurityGroup({ groupName: 'web', description: 'web servers' });
    expect(web.groupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(await errorCode(net.client.createSecurityGroup({ groupName: 'web', description: 'again' }))).toBe(
      'InvalidGroup.Duplicate',
    );
    expect(await errorCode(net.client.createSecurityGroup({ groupName: 'default', description: 'x' }))).toBe(
      'InvalidGroup.Reserved',
    );
    expect(await errorCode(net.client.createSecurityGroup({ groupName: 'sg-web', description: 'x' }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(net.client.createSecurityGroup({ groupName: 'x', description: '' }))).toBe(
      'MissingParameter',
    );
    expect(
      await errorCode(net.client.createSecurityGroup({ groupName: 'dry', description: 'x', dryRun: true })),
    ).toBe('DryRunOperation');
    // The same name in another VPC is fine.
    const vpcId = await newVpc('127.71.0.0/16');
    await net.client.createSecurityGroup({ groupName: 'web', description: 'web servers', vpcId });

    const byName = await net.client.describeSecurityGroups({ groupNames: ['web'] });
    expect(byName.securityGroups.map((g) => g.groupId)).toEqual([web.groupId]);
    expect(await errorCode(net.client.describeSecurityGroups({ groupNames: ['dry'] }))).toBe(
      'InvalidGroup.NotFound',
    );
    expect(await errorCode(net.client.describeSecurityGroups({ groupIds: ['sg-1'] }))).toBe(
      'InvalidGroupId.Malformed',
    );
    expect(await errorCode(net.client.describeSecurityGroups({ groupIds: ['sg-0123456789abcdef0'] }))).toBe(
      'InvalidGroup.NotFound',
    );
  });

  it('answers DependencyViolation for a VPC with a group and a group another one refers to', async () => {
    const vpcId = await newVpc('127.72.0.0/16');
    const app = await net.client.createSecurityGroup({ groupName: 'app', description: 'app', vpcId });
    const db = await net.client.createSecurityGroup({ groupName: 'db', description: 'db', vpcId });
    await net.client.authorizeSecurityGroupIngress({
      groupId: db.groupId,
      ipPermissions: [
        {
          ipProtocol: 'tcp',
          fromPort: 5432,
          toPort: 5432,
          ipRanges: [],
          userIdGroupPairs: [{ groupId: app.groupId }],
        },
      ],
    });
    expect(await errorCode(net.client.deleteVpc({ vpcId }))).toBe('DependencyViolation');
    expect(await errorCode(net.client.deleteSecurityGroup({ groupId: app.groupId }))).toBe(
      'DependencyViolation',
    );
    await net.client.deleteSecurityGroup({ groupId: db.groupId });
    await net.client.deleteSecurityGroup({ groupId: app.groupId });
    expect(await errorCode(net.client.deleteSecurityGroup({ groupId: app.groupId }))).toBe(
      'InvalidGroup.NotFound',
    );
    await net.client.deleteVpc({ vpcId });
  });

  it('never leaves an interface or a rule depending on a group deleted at the same time', async () => {
    const vpcId = await newVpc('127.73.0.0/16');
    const { subnet } = await net.client.createSubnet({ vpcId, cidrBlock: '127.73.1.0/24' });
    const subnetId = subnet?.subnetId ?? '';
    const { groupId: dbId } = await net.client.createSecurityGroup({
      groupName: 'db',
      description: 'db',
      vpcId,
    });
    for (let round = 0; round < 24; round++) {
      const { groupId } = await net.client.createSecurityGroup({
        groupName: `racing-${round}`,
        description: 'deleted while used',
        vpcId,
      });
      const byRule = round % 2 === 1;
      const use = byRule
        ? net.client.authorizeSecurityGroupIngress({
            groupId: dbId,
            ipPermissions: [
              {
                ipProtocol: 'tcp',
                fromPort: 5432,
                toPort: 5432,
                ipRanges: [],
                userIdGroupPairs: [{ groupId }],
              },
            ],
          })
        : net.client.createNetworkInterface({ subnetId, groups: [groupId] });
      // Staggered by a few milliseconds so that either call may reach the store first.
      const deletion = sleep(round % 8).then(() => net.client.deleteSecurityGroup({ groupId }));
      const [used, deleted] = await Promise.allSettled([use, deletion]);
      const usedCode = used.status === 'fulfilled' ? 'ok' : await errorCode(Promise.reject(used.reason));
      const deletedCode =
        deleted.status === 'fulfilled' ? 'ok' : await errorCode(Promise.reject(deleted.reason));
      // Exactly one wins: the use (and the group stays), or the deletion (and the use finds no group).
      expect([`ok/DependencyViolation`, `InvalidGroup.NotFound/ok`]).toContain(`${usedCode}/${deletedCode}`);
      const { securityGroups } = await net.client.describeSecurityGroups({
        filters: [{ name: 'vpc-id', values: [vpcId] }],
      });
      const exists = securityGroups.some((g) => g.groupId === groupId);
      expect(exists).toBe(deletedCode !== 'ok');
      if (usedCode === 'ok' && !byRule && used.status === 'fulfilled') {
        const eniId = (used.value as { networkInterface?: { networkInterfaceId: string } }).networkInterface
          ?.networkInterfaceId;
        await net.client.deleteNetworkInterface({ networkInterfaceId: eniId ?? '' });
      }
      if (usedCode === 'ok' && byRule) {
        await net.client.revokeSecurityGroupIngress({
          groupId: dbId,
          ipPermissions: [
            {
              ipProtocol: 'tcp',
              fromPort: 5432,
              toPort: 5432,
              ipRanges: [],
              userIdGroupPairs: [{ groupId }],
            },
          ],
        });
      }
      if (exists) await net.client.deleteSecurityGroup({ groupId });
    }
  });

  it('shows authorized and revoked rules in DescribeSecurityGroupRules, with EC2 errors', async () => {
    const { groupId } = await net.client.createSecurityGroup({ groupName: 'rules', description: 'rules' });
    const added = await net.client.authorizeSecurityGroupIngress({
      groupId,
      ipPermissions: [
        tcp(22, '127.0.0.0/8'),
        { ...tcp(80), ipRanges: [{ cidrIp: '0.0.0.0/0', description: 'http' }] },
      ],
    });
    expect(added.securityGroupRules).toHaveLength(2);
    expect(added.securityGroupRules[0]?.securityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    const shorthand = await net.client.authorizeSecurityGroupIngress({
      groupName: 'rules',
      ipProtocol: 'udp',
      fromPort: 53,
      toPort: 53,
      cidrIp: '127.1.0.0/16',
    });
    expect(shorthand.securityGroupRules[0]).toMatchObject({
      ipProtocol: 'udp',
      fromPort: 53,
      cidrIpv4: '127.1.0.0/16',
    });

    const rules = async () =>
      (await net.client.describeSecurityGroupRules({ filters: [{ name: 'group-id', values: [groupId] }] }))
        .securityGroupRules;
    const ingress = (await rules()).filter((r) => !r.isEgress);
    expect(ingress.map((r) => `${r.ipProtocol}:${r.fromPort}:${r.cidrIpv4}`).sort()).toEqual([
      'tcp:22:127.0.0.0/8',
      'tcp:80:0.0.0.0/0',
      'udp:53:127.1.0.0/16',
    ]);
    expect(ingress.find((r) => r.fromPort === 80)?.description).toBe('http');

    expect(
      await errorCode(
        net.client.authorizeSecurityGroupIngress({ groupId, ipPermissions: [tcp(22, '127.0.0.0/8')] }),
      ),
    ).toBe('InvalidPermission.Duplicate');
    expect(
      await errorCode(net.client.authorizeSecurityGroupIngress({ groupId, ipPermissions: [tcp(70000)] })),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        net.client.authorizeSecurityGroupIngress({
          groupId: 'sg-0123456789abcdef0',
          ipPermissions: [tcp(1)],
        }),
      ),
    ).toBe('InvalidGroup.NotFound');
    expect(
      await errorCode(
        net.client.authorizeSecurityGroupIngress({
          groupId,
          ipPermissions: [
            {
              ipProtocol: 'tcp',
              fromPort: 1,
              toPort: 1,
              userIdGroupPairs: [{ groupId: 'sg-0123456789abcdef0' }],
            },
          ],
        }),
      ),
    ).toBe('InvalidGroup.NotFound');
    expect(
      await errorCode(
        net.client.authorizeSecurityGroupIngress({ groupId, ipPermissions: [tcp(9)], dryRun: true }),
      ),
    ).toBe('DryRunOperation');

    const revoked = await net.client.revokeSecurityGroupIngress({
      groupId,
      ipPermissions: [tcp(80), tcp(443)],
    });
    expect(revoked.return).toBe(true);
    expect(revoked.unknownIpPermissions).toEqual([
      expect.objectContaining({ ipProtocol: 'tcp', fromPort: 443 }),
    ]);
    const ssh = (await rules()).find((r) => r.fromPort === 22);
    await net.client.revokeSecurityGroupIngress({
      groupId,
      securityGroupRuleIds: [ssh?.securityGroupRuleId ?? ''],
    });
    expect(
      await errorCode(net.client.revokeSecurityGroupIngress({ groupId, ipPermissions: [tcp(80)] })),
    ).toBe('InvalidPermission.NotFound');
    expect((await rules()).filter((r) => !r.isEgress).map((r) => r.fromPort)).toEqual([53]);

    // Outbound: the new group's allow-all rule can go, and come back.
    await net.client.revokeSecurityGroupEgress({
      groupId,
      ipPermissions: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0' }] }],
    });
    expect((await rules()).filter((r) => r.isEgress)).toEqual([]);
    await net.client.authorizeSecurityGroupEgress({ groupId, ipPermissions: [tcp(443)] });
    const [group] = (await net.client.describeSecurityGroups({ groupIds: [groupId] })).securityGroups;
    expect(group?.ipPermissionsEgress).toEqual([
      expect.objectContaining({ ipProtocol: 'tcp', fromPort: 443, toPort: 443 }),
    ]);
  });

  it('allows 60 inbound rules per group and refuses the 61st', async () => {
    const { groupId } = await net.client.createSecurityGroup({ groupName: 'full', description: 'full' });
    await net.client.authorizeSecurityGroupIngress({
      groupId,
      ipPermissions: Array.from({ length: 60 }, (_, i) => tcp(1000 + i)),
    });
    expect(
      await errorCode(net.client.authorizeSecurityGroupIngress({ groupId, ipPermissions: [tcp(2000)] })),
    ).toBe('RulesPerSecurityGroupLimitExceeded');
    // Outbound has its own 60.
    await net.client.authorizeSecurityGroupEgress({ groupId, ipPermissions: [tcp(2000)] });
  });

  it('lands every one of many concurrent authorizes of different rules, and publishes each change', async () => {
    const { groupId } = await net.client.createSecurityGroup({ groupName: 'busy', description: 'busy' });
    const seen = new Set<string>();
    const subscription = await net.bus.subscribe({
      durable: 'sg-rules-test',
      subjects: ['nimbus.network.security-group.rules-changed'],
      handler: async ({ event }) => {
        if (event.resourceId === groupId) seen.add(event.id);
      },
    });
    try {
      const ports = Array.from({ length: 20 }, (_, i) => 3000 + i);
      await Promise.all(
        ports.map((port) =>
          net.client.authorizeSecurityGroupIngress({ groupId, ipPermissions: [tcp(port)] }),
        ),
      );
      const { securityGroupRules } = await net.client.describeSecurityGroupRules({
        filters: [{ name: 'group-id', values: [groupId] }],
      });
      expect(
        securityGroupRules
          .filter((r) => !r.isEgress)
          .map((r) => r.fromPort)
          .sort(),
      ).toEqual(ports);
      await waitUntil(() => seen.size === ports.length);
    } finally {
      await subscription.close();
    }
  });

  it('filters, paginates and keeps accounts apart', async () => {
    for (const name of ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6']) {
      await net.client.createSecurityGroup({
        groupName: name,
        description: name,
        tagSpecifications: [
          { resourceType: 'security-group', tags: [{ key: 'tier', value: name === 'p-1' ? 'a' : 'b' }] },
        ],
      });
    }
    const wild = await net.client.describeSecurityGroups({
      filters: [{ name: 'group-name', values: ['p-?'] }],
    });
    expect(wild.securityGroups).toHaveLength(6);
    const tagged = await net.client.describeSecurityGroups({
      filters: [{ name: 'tag:tier', values: ['a'] }],
    });
    expect(tagged.securityGroups.map((g) => g.groupName)).toEqual(['p-1']);
    const names: string[] = [];
    let nextToken = '';
    do {
      const page = await net.client.describeSecurityGroups({
        filters: [{ name: 'group-name', values: ['p-*'] }],
        maxResults: 5,
        nextToken,
      });
      names.push(...page.securityGroups.map((g) => g.groupName));
      nextToken = page.nextToken;
    } while (nextToken !== '');
    expect(names.sort()).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6']);
    const rulePage = await net.client.describeSecurityGroupRules({ maxResults: 5 });
    expect(rulePage.securityGroupRules).toHaveLength(5);
    expect(rulePage.nextToken).not.toBe('');

    const theirs = await net.otherAccount.describeSecurityGroups({});
    expect(theirs.securityGroups.map((g) => g.groupName)).toEqual(['default']);
    const mine = tagged.securityGroups[0]?.groupId ?? '';
    expect(await errorCode(net.otherAccount.describeSecurityGroups({ groupIds: [mine] }))).toBe(
      'InvalidGroup.NotFound',
    );
    expect(
      await errorCode(
        net.otherAccount.authorizeSecurityGroupIngress({ groupId: mine, ipPermissions: [tcp(1)] }),
      ),
    ).toBe('InvalidGroup.NotFound');
    expect(await errorCode(net.otherAccount.deleteSecurityGroup({ groupId: mine }))).toBe(
      'InvalidGroup.NotFound',
    );
  });
});
