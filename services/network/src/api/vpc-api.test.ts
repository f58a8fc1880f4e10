import { errorCode } from '@nimbus/service-kit';
import { type EtcdServer, type NatsServer, startEtcd, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkUnderTest, startNetworkUnderTest } from '../testing/network-under-test.js';

let etcd: EtcdServer;
let nats: NatsServer;
let net: NetworkUnderTest;
beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  net = await startNetworkUnderTest({ etcd, nats });
});
afterAll(async () => {
  await net?.stop();
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

describe('the default VPC', () => {
  it('appears once, with a /20 subnet per zone and its default group, across concurrent first calls', async () => {
    const fresh = await startNetworkUnderTest({ etcd, nats, env: { NIMBUS_ZONES: 'z-a,z-b,z-c' } });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => fresh.client.describeVpcs({})));
      const ids = new Set(answers.flatMap((a) => a.vpcs.map((v) => v.vpcId)));
      expect(ids.size).toBe(1);
      const vpc = answers[0]?.vpcs[0];
      expect(vpc).toMatchObject({ cidrBlock: '127.16.0.0/16', isDefault: true, state: 'available' });
      const subnets = (await fresh.client.describeSubnets({})).subnets;
      expect(subnets.map((s) => [s.availabilityZone, s.cidrBlock]).sort()).toEqual([
        ['z-a', '127.16.0.0/20'],
        ['z-b', '127.16.16.0/20'],
        ['z-c', '127.16.32.0/20'],
      ]);
      expect(subnets.every((s) => s.defaultForAz && s.mapPublicIpOnLaunch && s.vpcId === vpc?.vpcId)).toBe(
        true,
      );
      expect(subnets[0]?.availableIpAddressCount).toBe(4091);
      const groups = (await fresh.client.describeSecurityGroups({})).securityGroups;
      expect(groups.map((g) => [g.groupName, g.vpcId])).toEqual([['default', vpc?.vpcId]]);
    } finally {
      await fresh.stop();
    }
  });

  it('takes its CIDR from configuration', async () => {
    const fresh = await startNetworkUnderTest({
      etcd,
      nats,
      env: { NIMBUS_DEFAULT_VPC_CIDR: '127.99.0.0/16' },
    });
    try {
      const [first, second] = await Promise.all([
        fresh.client.describeSubnets({}),
        fresh.client.describeVpcs({ filters: [{ name: 'is-default', values: ['true'] }] }),
      ]);
      expect(second.vpcs.map((v) => v.cidrBlock)).toEqual(['127.99.0.0/16']);
      expect(first.subnets.map((s) => s.cidrBlock).sort()).toEqual(['127.99.0.0/20', '127.99.16.0/20']);
    } finally {
      await fresh.stop();
    }
  });
});

describe('VPCs and subnets over gRPC', () => {
  it('creates a VPC with its own default group, and refuses CIDRs EC2 or the runtime would', async () => {
    const { vpc } = await net.client.createVpc({
      cidrBlock: '127.20.0.0/16',
      tagSpecifications: [{ resourceType: 'vpc', tags: [{ key: 'team', value: 'blue' }] }],
    });
    expect(vpc?.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc).toMatchObject({
      isDefault: false,
      state: 'available',
      tags: [{ key: 'team', value: 'blue' }],
    });
    const groups = await net.client.describeSecurityGroups({
      filters: [{ name: 'vpc-id', values: [vpc?.vpcId ?? ''] }],
    });
    expect(groups.securityGroups.map((g) => g.groupName)).toEqual(['default']);

    expect(await errorCode(net.client.createVpc({ cidrBlock: '10.0.0.0/16' }))).toBe('InvalidParameterValue');
    await net.client.createVpc({ cidrBlock: '10.0.0.0/16' }).catch((error: Error) => {
      expect(error.message).toContain('127.0.0.0/8');
    });
    expect(await errorCode(net.client.createVpc({ cidrBlock: '127.0.0.0/8' }))).toBe('InvalidVpc.Range');
    expect(await errorCode(net.client.createVpc({ cidrBlock: '127.1.0.0/29' }))).toBe('InvalidVpc.Range');
    expect(await errorCode(net.client.createVpc({ cidrBlock: '127.1.0.1/16' }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(net.client.createVpc({ cidrBlock: '' }))).toBe('MissingParameter');
    expect(await errorCode(net.client.createVpc({ cidrBlock: '127.21.0.0/16', dryRun: true }))).toBe(
      'DryRunOperation',
    );
    const cidrs = (await net.client.describeVpcs({})).vpcs.map((v) => v.cidrBlock);
    expect(cidrs).not.toContain('127.21.0.0/16');
  });

  it('keeps subnets inside their VPC and apart from each other', async () => {
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.30.0.0/16' });
    const vpcId = vpc?.vpcId ?? '';
    const { subnet } = await net.client.createSubnet({ vpcId, cidrBlock: '127.30.1.0/24' });
    expect(subnet).toMatchObject({
      vpcId,
      cidrBlock: '127.30.1.0/24',
      availableIpAddressCount: 251,
      mapPublicIpOnLaunch: false,
      defaultForAz: false,
    });
    expect(['nimbus-1a', 'nimbus-1b']).toContain(subnet?.availabilityZone);
    expect(await errorCode(net.client.createSubnet({ vpcId, cidrBlock: '127.31.0.0/24' }))).toBe(
      'InvalidSubnet.Range',
    );
    expect(await errorCode(net.client.createSubnet({ vpcId, cidrBlock: '127.30.0.0/29' }))).toBe(
      'InvalidSubnet.Range',
    );
    expect(await errorCode(net.client.createSubnet({ vpcId, cidrBlock: '127.30.1.128/25' }))).toBe(
      'InvalidSubnet.Conflict',
    );
    expect(
      await errorCode(
        net.client.createSubnet({ vpcId, cidrBlock: '127.30.2.0/24', availabilityZone: 'mars-1a' }),
      ),
    ).toBe('InvalidParameterValue');

    // Overlapping subnets created at once: exactly one lands.
    const racing = await Promise.allSettled(
      ['127.30.8.0/24', '127.30.8.0/23', '127.30.8.128/25', '127.30.8.0/22'].map((cidrBlock) =>
        net.client.createSubnet({ vpcId, cidrBlock }),
      ),
    );
    const landed = racing.filter((r) => r.status === 'fulfilled');
    expect(landed).toHaveLength(1);
  });

  it('makes one VPC, subnet, group and key pair per client token, also for racing callers', async () => {
    const times = <T>(call: () => Promise<T>) => Promise.all(Array.from({ length: 5 }, call));
    const vpcs = await times(() =>
      net.client.createVpc({ cidrBlock: '127.87.0.0/16', clientToken: 'vpc-once' }),
    );
    const vpcId = vpcs[0]?.vpc?.vpcId ?? '';
    expect(new Set(vpcs.map((v) => v.vpc?.vpcId))).toEqual(new Set([vpcId]));
    expect(
      (await net.client.describeVpcs({ filters: [{ name: 'cidr', values: ['127.87.0.0/16'] }] })).vpcs,
    ).toHaveLength(1);
    expect(
      await errorCode(net.client.createVpc({ cidrBlock: '127.88.0.0/16', clientToken: 'vpc-once' })),
    ).toBe('IdempotentParameterMismatch');

    const subnets = await times(() =>
      net.client.createSubnet({ vpcId, cidrBlock: '127.87.1.0/24', clientToken: 'subnet-once' }),
    );
    expect(new Set(subnets.map((s) => s.subnet?.subnetId)).size).toBe(1);

    const groups = await times(() =>
      net.client.createSecurityGroup({
        vpcId,
        groupName: 'once',
        description: 'made once',
        clientToken: 'group-once',
      }),
    );
    expect(new Set(groups.map((g) => g.groupId)).size).toBe(1);

    const keys = await times(() =>
      net.client.createKeyPair({ keyName: 'once', keyType: 'ed25519', clientToken: 'key-once' }),
    );
    const withMaterial = keys.filter((k) => k.keyMaterial !== '');
    // The private key is given once, to the call that made it; the others get the key pair without it.
    expect(withMaterial).toHaveLength(1);
    expect(new Set(keys.map((k) => k.keyPairId)).size).toBe(1);
    expect(
      await errorCode(
        net.client.createKeyPair({ keyName: 'other', keyType: 'ed25519', clientToken: 'key-once' }),
      ),
    ).toBe('IdempotentParameterMismatch');
    await net.client.deleteKeyPair({ keyName: 'once' });
  });

  it('answers DependencyViolation while a VPC holds subnets, then deletes it', async () => {
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.40.0.0/16' });
    const vpcId = vpc?.vpcId ?? '';
    const { subnet } = await net.client.createSubnet({ vpcId, cidrBlock: '127.40.0.0/20' });
    const subnetId = subnet?.subnetId ?? '';
    expect(await errorCode(net.client.deleteVpc({ vpcId }))).toBe('DependencyViolation');
    expect(await errorCode(net.client.deleteSubnet({ subnetId, dryRun: true }))).toBe('DryRunOperation');
    await net.client.deleteSubnet({ subnetId });
    expect(await errorCode(net.client.deleteSubnet({ subnetId }))).toBe('InvalidSubnetID.NotFound');
    await net.client.deleteVpc({ vpcId });
    expect(await errorCode(net.client.describeVpcs({ vpcIds: [vpcId] }))).toBe('InvalidVpcID.NotFound');
    const groups = await net.client.describeSecurityGroups({
      filters: [{ name: 'vpc-id', values: [vpcId] }],
    });
    expect(groups.securityGroups).toEqual([]);
  });

  it('turns MapPublicIpOnLaunch on and off', async () => {
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.50.0.0/24' });
    const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: '127.50.0.0/28' });
    const subnetId = subnet?.subnetId ?? '';
    await net.client.modifySubnetAttribute({ subnetId, mapPublicIpOnLaunch: true });
    const on = await net.client.describeSubnets({ subnetIds: [subnetId] });
    expect(on.subnets[0]?.mapPublicIpOnLaunch).toBe(true);
    expect(on.subnets[0]?.availableIpAddressCount).toBe(11);
    await net.client.modifySubnetAttribute({ subnetId, mapPublicIpOnLaunch: false });
    const off = await net.client.describeSubnets({
      filters: [
        { name: 'map-public-ip-on-launch', values: ['false'] },
        { name: 'subnet-id', values: [subnetId] },
      ],
    });
    expect(off.subnets.map((s) => s.subnetId)).toEqual([subnetId]);
    expect(await errorCode(net.client.modifySubnetAttribute({ subnetId }))).toBe('MissingParameter');
  });

  it('names malformed and unknown ids with EC2 codes and messages', async () => {
    expect(await errorCode(net.client.describeVpcs({ vpcIds: ['vpc-123'] }))).toBe('InvalidVpcID.Malformed');
    expect(await errorCode(net.client.deleteVpc({ vpcId: 'vpc-0123456789abcdef0' }))).toBe(
      'InvalidVpcID.NotFound',
    );
    await net.client.deleteVpc({ vpcId: 'vpc-0123456789abcdef0' }).catch((error: Error) => {
      expect(error.message).toContain("The vpc ID 'vpc-0123456789abcdef0' does not exist");
    });
    expect(await errorCode(net.client.describeSubnets({ subnetIds: ['subnet-zz'] }))).toBe(
      'InvalidSubnetID.Malformed',
    );
    expect(await errorCode(net.client.describeSubnets({ subnetIds: ['subnet-0123456789abcdef0'] }))).toBe(
      'InvalidSubnetID.NotFound',
    );
    expect(
      await errorCode(
        net.client.createSubnet({ vpcId: 'vpc-0123456789abcdef0', cidrBlock: '127.16.0.0/24' }),
      ),
    ).toBe('InvalidVpcID.NotFound');
  });

  it('filters by tag and wildcard, paginates, and keeps accounts apart', async () => {
    for (const [i, team] of ['red', 'red', 'green', 'red', 'green', 'red'].entries()) {
      await net.client.createVpc({
        cidrBlock: `127.60.${i * 16}.0/20`,
        tagSpecifications: [{ resourceType: 'vpc', tags: [{ key: 'team', value: team }] }],
      });
    }
    const red = await net.client.describeVpcs({ filters: [{ name: 'tag:team', values: ['r*'] }] });
    expect(red.vpcs).toHaveLength(4);
    const wild = await net.client.describeVpcs({
      filters: [{ name: 'cidr-block', values: ['127.60.?.0/20'] }],
    });
    expect(wild.vpcs.map((v) => v.cidrBlock)).toEqual(['127.60.0.0/20']);

    const seen: string[] = [];
    let nextToken = '';
    do {
      const page = await net.client.describeVpcs({ maxResults: 5, nextToken });
      expect(page.vpcs.length).toBeLessThanOrEqual(5);
      seen.push(...page.vpcs.map((v) => v.vpcId));
      nextToken = page.nextToken;
    } while (nextToken !== '');
    const all = (await net.client.describeVpcs({})).vpcs.map((v) => v.vpcId);
    expect(seen.sort()).toEqual(all.sort());
    expect(all.length).toBeGreaterThan(5);

    const theirs = await net.otherAccount.describeVpcs({});
    expect(theirs.vpcs).toHaveLength(1);
    expect(all).not.toContain(theirs.vpcs[0]?.vpcId);
    expect(await errorCode(net.otherAccount.describeVpcs({ vpcIds: [all[0] ?? ''] }))).toBe(
      'InvalidVpcID.NotFound',
    );
    const mine = await net.client.describeSubnets({});
    expect(
      await errorCode(net.otherAccount.deleteSubnet({ subnetId: mine.subnets[0]?.subnetId ?? '' })),
    ).toBe('InvalidSubnetID.NotFound');
  });
});
