import type { DeliveredEvent } from '@nimbus/events';
import { errorCode } from '@nimbus/service-kit';
import { type EtcdServer, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKeys } from '../state/address-keys.js';
import { startReplica } from '../testing/network-replica.js';
import { accountA, type NetworkUnderTest, startNetworkUnderTest } from '../testing/network-under-test.js';

let etcd: EtcdServer;
let nats: NatsServer;
const started: NetworkUnderTest[] = [];
beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
});
afterAll(async () => {
  await Promise.all(started.map((net) => net.stop()));
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

/** A fresh service (its own store namespace), configured by environment. */
async function service(env: Record<string, string> = {}, now?: () => number): Promise<NetworkUnderTest> {
  const net = await startNetworkUnderTest({ etcd, nats, env, ...(now ? { now } : {}) });
  started.push(net);
  return net;
}

/** The outcome of each call: the public address, or the error code. */
async function outcomes(calls: Promise<{ publicIp: string }>[]): Promise<string[]> {
  return Promise.all(
    calls.map((call) =>
      call.then(
        (r) => r.publicIp,
        (e: unknown) => errorCode(Promise.reject(e)),
      ),
    ),
  );
}

const isIp = (s: string) => /^127\.64\.\d+\.\d+$/.test(s);

describe('Elastic IPs over gRPC', () => {
  let net: NetworkUnderTest;
  beforeAll(async () => {
    net = await service();
  });

  it('allocates an address from the pool, describes it by id, address, filter and tag, and releases it', async () => {
    const allocated = await net.client.allocateAddress({
      domain: 'vpc',
      tagSpecifications: [{ resourceType: 'elastic-ip', tags: [{ key: 'team', value: 'web' }] }],
    });
    expect(allocated.allocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    expect(allocated.publicIp).toSatisfy(isIp);
    expect(allocated.domain).toBe('vpc');

    const byId = await net.client.describeAddresses({ allocationIds: [allocated.allocationId] });
    expect(byId.addresses.map((a) => [a.publicIp, a.associationId, a.tags[0]?.value])).toEqual([
      [allocated.publicIp, '', 'web'],
    ]);
    const byIp = await net.client.describeAddresses({ publicIps: [allocated.publicIp] });
    expect(byIp.addresses.map((a) => a.allocationId)).toEqual([allocated.allocationId]);
    const byTag = await net.client.describeAddresses({ filters: [{ name: 'tag:team', values: ['w*'] }] });
    expect(byTag.addresses.map((a) => a.allocationId)).toEqual([allocated.allocationId]);
    const byDomain = await net.client.describeAddresses({
      filters: [
        { name: 'domain', values: ['vpc'] },
        { name: 'public-ip', values: [allocated.publicIp] },
      ],
    });
    expect(byDomain.addresses).toHaveLength(1);
    const unassociated = await net.client.describeAddresses({
      filters: [{ name: 'association-id', values: ['*'] }],
    });
    expect(unassociated.addresses).toEqual([]);

    await net.client.releaseAddress({ allocationId: allocated.allocationId });
    expect(await errorCode(net.client.describeAddresses({ allocationIds: [allocated.allocationId] }))).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(await errorCode(net.client.describeAddresses({ publicIps: [allocated.publicIp] }))).toBe(
      'InvalidAddress.NotFound',
    );
    expect(await errorCode(net.client.releaseAddress({ allocationId: allocated.allocationId }))).toBe(
      'InvalidAllocationID.NotFound',
    );
  });

  it('refuses to release an unknown or malformed allocation, and answers a dry run without allocating', async () => {
    expect(await errorCode(net.client.releaseAddress({ allocationId: 'eipalloc-0123456789abcdef0' }))).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(await errorCode(net.client.releaseAddress({ allocationId: 'eipalloc-nope' }))).toBe(
      'InvalidAllocationID.Malformed',
    );
    expect(await errorCode(net.client.releaseAddress({}))).toBe('MissingParameter');
    expect(await errorCode(net.client.allocateAddress({ domain: 'standard' }))).toBe('InvalidParameterValue');
    const before = (await net.client.describeAddresses({})).addresses.length;
    expect(await errorCode(net.client.allocateAddress({ dryRun: true }))).toBe('DryRunOperation');
    expect((await net.client.describeAddresses({})).addresses).toHaveLength(before);
  });

  it('answers a retried allocation with the same client token with the first allocation', async () => {
    const [first, second] = await Promise.all([
      net.client.allocateAddress({ clientToken: 'retry-me' }),
      net.client.allocateAddress({ clientToken: 'retry-me' }),
    ]);
    expect(second.allocationId).toBe(first.allocationId);
    expect(second.publicIp).toBe(first.publicIp);
    const third = await net.client.allocateAddress({ clientToken: 'retry-me' });
    expect(third.allocationId).toBe(first.allocationId);
    const held = await net.client.describeAddresses({
      filters: [{ name: 'public-ip', values: [first.publicIp] }],
    });
    expect(held.addresses).toHaveLength(1);
    await net.client.releaseAddress({ allocationId: first.allocationId });
    // Released, the token is forgotten: the same token allocates anew.
    const fresh = await net.client.allocateAddress({ clientToken: 'retry-me' });
    expect(fresh.allocationId).not.toBe(first.allocationId);
    await net.client.releaseAddress({ allocationId: fresh.allocationId });
  });

  it('releases by public address (the legacy form)', async () => {
    const allocated = await net.client.allocateAddress({});
    await net.client.releaseAddress({ publicIp: allocated.publicIp });
    expect(await errorCode(net.client.releaseAddress({ publicIp: allocated.publicIp }))).toBe(
      'InvalidAddress.NotFound',
    );
  });

  it("keeps accounts apart: another account neither sees nor releases an account's address", async () => {
    const mine = await net.client.allocateAddress({});
    expect((await net.otherAccount.describeAddresses({})).addresses).toEqual([]);
    expect(await errorCode(net.otherAccount.describeAddresses({ allocationIds: [mine.allocationId] }))).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(await errorCode(net.otherAccount.releaseAddress({ allocationId: mine.allocationId }))).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(await errorCode(net.otherAccount.releaseAddress({ publicIp: mine.publicIp }))).toBe(
      'InvalidAddress.NotFound',
    );
    const theirs = await net.otherAccount.allocateAddress({});
    expect(theirs.publicIp).not.toBe(mine.publicIp);
    expect((await net.client.describeAddresses({})).addresses.map((a) => a.allocationId)).toContain(
      mine.allocationId,
    );
    await net.client.releaseAddress({ allocationId: mine.allocationId });
    await net.otherAccount.releaseAddress({ allocationId: theirs.allocationId });
  });

  it('refuses to release an associated address with InvalidIPAddress.InUse', async () => {
    const allocated = await net.client.allocateAddress({});
    const { vpc } = await net.client.createVpc({ cidrBlock: '127.99.0.0/16' });
    const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: '127.99.0.0/24' });
    const { networkInterface } = await net.client.createNetworkInterface({
      subnetId: subnet?.subnetId ?? '',
    });
    const instanceId = 'i-0123456789abcdef0';
    await net.client.attachNetworkInterface({
      networkInterfaceId: networkInterface?.networkInterfaceId ?? '',
      instanceId,
      deviceIndex: 0,
    });
    const { associationId } = await net.client.associateAddress({
      allocationId: allocated.allocationId,
      instanceId,
    });

    const byInstance = await net.client.describeAddresses({
      filters: [{ name: 'instance-id', values: [instanceId] }],
    });
    expect(byInstance.addresses.map((a) => [a.allocationId, a.associationId, a.privateIpAddress])).toEqual([
      [allocated.allocationId, associationId, networkInterface?.privateIpAddress],
    ]);
    expect(await errorCode(net.client.releaseAddress({ allocationId: allocated.allocationId }))).toBe(
      'InvalidIPAddress.InUse',
    );
    expect(
      (await net.client.describeAddresses({ allocationIds: [allocated.allocationId] })).addresses,
    ).toHaveLength(1);
    await net.client.disassociateAddress({ associationId });
    await net.client.releaseAddress({ allocationId: allocated.allocationId });
  });

  it('publishes allocated and released events', async () => {
    const seen: DeliveredEvent[] = [];
    const subscription = await net.bus.subscribe({
      durable: 'address-events-test',
      subjects: ['nimbus.network.address.*'],
      handler: async (event) => {
        seen.push(event);
      },
    });
    try {
      const allocated = await net.client.allocateAddress({});
      await net.client.releaseAddress({ allocationId: allocated.allocationId });
      const subjects = await waitUntil(() => {
        const mine = seen.filter((e) => e.event.resourceId === allocated.allocationId);
        return mine.length === 2 && mine.map((e) => e.event.subject);
      });
      expect(subjects.sort()).toEqual([
        'nimbus.network.address.allocated',
        'nimbus.network.address.released',
      ]);
    } finally {
      await subscription.close();
    }
  });
});

describe('the address quota', () => {
  it('gives exactly the quota to 10 parallel allocations of one account, and one more after a release', async () => {
    const net = await service({ NIMBUS_ADDRESS_QUOTA: '5' });
    const results = await outcomes(Array.from({ length: 10 }, () => net.client.allocateAddress({})));
    expect(results.filter(isIp)).toHaveLength(5);
    expect(results.filter((r) => r === 'AddressLimitExceeded')).toHaveLength(5);
    const held = (await net.client.describeAddresses({})).addresses;
    expect(held).toHaveLength(5);
    // The quota is per account.
    expect((await net.otherAccount.allocateAddress({})).publicIp).toSatisfy(isIp);

    expect(await errorCode(net.client.allocateAddress({}))).toBe('AddressLimitExceeded');
    await net.client.releaseAddress({ allocationId: held[0]?.allocationId ?? '' });
    expect((await net.client.allocateAddress({})).publicIp).toSatisfy(isIp);
  });
});

/** A new network interface of the caller's account, in its default VPC: what AllocatePublicIp serves. */
async function newInterface(client: NetworkUnderTest['client']): Promise<string> {
  const [subnet] = (await client.describeSubnets({})).subnets;
  const { networkInterface } = await client.createNetworkInterface({ subnetId: subnet?.subnetId ?? '' });
  return networkInterface?.networkInterfaceId ?? '';
}

describe('the public address pool', () => {
  it('never gives one address to two of 16 concurrent callers across two replicas and two accounts', async () => {
    const env = { NIMBUS_ADDRESS_QUOTA: '100', NIMBUS_PUBLIC_IP_POOL: '127.64.0.0/27' };
    const net = await service(env);
    const replica = await startReplica(net, { env });
    try {
      const clients = [net.client, net.otherAccount, replica.client, replica.otherAccount];
      const clientOf = (i: number) => clients[i % clients.length] ?? net.client;
      // A quarter of the callers are compute taking auto-assigned addresses from the same pool.
      const interfaces = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 4 === 3 ? newInterface(clientOf(i)) : undefined)),
      );
      const calls = Array.from({ length: 16 }, (_, i) => {
        const networkInterfaceId = interfaces[i];
        return networkInterfaceId
          ? clientOf(i).allocatePublicIp({ networkInterfaceId })
          : clientOf(i).allocateAddress({});
      });
      const results = await outcomes(calls);
      expect(results.every(isIp)).toBe(true);
      expect(new Set(results).size).toBe(16);
      const claims = await net.store.list(addressKeys.publicIps());
      expect(claims.items.map((kv) => kv.key.slice(addressKeys.publicIps().length)).sort()).toEqual(
        [...results].sort(),
      );
    } finally {
      await replica.stop();
    }
  });

  it('answers InsufficientAddressCapacity when exhausted, leaving no trace, and reuses a released address', async () => {
    // A /30 has two addresses to hand out.
    const net = await service({ NIMBUS_PUBLIC_IP_POOL: '127.64.0.0/30' });
    const results = await outcomes([
      net.client.allocateAddress({}),
      net.client.allocateAddress({}),
      net.client.allocateAddress({}),
    ]);
    expect(results.filter(isIp).sort()).toEqual(['127.64.0.1', '127.64.0.2']);
    expect(results.filter((r) => r === 'InsufficientAddressCapacity')).toHaveLength(1);
    expect(await errorCode(net.otherAccount.allocateAddress({}))).toBe('InsufficientAddressCapacity');
    expect(
      await errorCode(net.client.allocatePublicIp({ networkInterfaceId: await newInterface(net.client) })),
    ).toBe('InsufficientAddressCapacity');

    const held = (await net.client.describeAddresses({})).addresses;
    expect(held.map((a) => a.publicIp).sort()).toEqual(['127.64.0.1', '127.64.0.2']);
    expect((await net.otherAccount.describeAddresses({})).addresses).toEqual([]);
    expect((await net.store.list(addressKeys.publicIps())).items).toHaveLength(2);
    // The failed calls left no quota used: account B can take all of its five once addresses are free.
    const freed = held[0]?.publicIp ?? '';
    await net.client.releaseAddress({ allocationId: held[0]?.allocationId ?? '' });
    expect((await net.otherAccount.allocateAddress({})).publicIp).toBe(freed);
    expect((await net.client.getAddressUsageReport({})).report?.addresses).toHaveLength(2);
  });

  it('finds addresses another replica released once its own view is exhausted', async () => {
    const env = { NIMBUS_PUBLIC_IP_POOL: '127.64.0.0/30' };
    const net = await service(env);
    const replica = await startReplica(net, { env });
    try {
      const first = await net.client.allocateAddress({});
      const second = await replica.client.allocateAddress({});
      expect(await errorCode(net.client.allocateAddress({}))).toBe('InsufficientAddressCapacity');
      await replica.client.releaseAddress({ allocationId: second.allocationId });
      expect((await net.client.allocateAddress({})).publicIp).toBe(second.publicIp);
      expect(first.publicIp).not.toBe(second.publicIp);
    } finally {
      await replica.stop();
    }
  });
});

describe('auto-assigned public addresses', () => {
  it('gives an interface one address however often compute asks, and takes it back once', async () => {
    const net = await service();
    const eni = await newInterface(net.client);
    const [a, b] = await Promise.all([
      net.client.allocatePublicIp({ networkInterfaceId: eni }),
      net.client.allocatePublicIp({ networkInterfaceId: eni }),
    ]);
    expect(a.publicIp).toSatisfy(isIp);
    expect(b.publicIp).toBe(a.publicIp);
    expect((await net.client.allocatePublicIp({ networkInterfaceId: eni })).publicIp).toBe(a.publicIp);
    expect((await net.client.describeAddresses({})).addresses).toEqual([]);
    expect((await net.client.releasePublicIp({ networkInterfaceId: eni })).publicIp).toBe(a.publicIp);
    expect((await net.client.releasePublicIp({ networkInterfaceId: eni })).publicIp).toBe('');
    expect(await errorCode(net.client.allocatePublicIp({ networkInterfaceId: 'i-0123456789abcdef0' }))).toBe(
      'InvalidNetworkInterfaceID.Malformed',
    );
    expect(
      await errorCode(net.client.allocatePublicIp({ networkInterfaceId: 'eni-0123456789abcdef0' })),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    // Another account's interface is not the caller's to give an address.
    expect(await errorCode(net.otherAccount.allocatePublicIp({ networkInterfaceId: eni }))).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
  });
});

describe('auto-assigned and Elastic IP on one interface at once', () => {
  it('never leaves an interface with both: the Elastic IP wins', async () => {
    const net = await service();
    for (let round = 0; round < 5; round++) {
      const eni = await newInterface(net.client);
      const elastic = await net.client.allocateAddress({});
      // Whichever lands first: compute asking after the association is told the Elastic IP;
      // asking before, its address is given back by the association.
      await Promise.all([
        net.client.allocatePublicIp({ networkInterfaceId: eni }),
        net.client.associateAddress({ allocationId: elastic.allocationId, networkInterfaceId: eni }),
      ]);
      expect((await net.client.releasePublicIp({ networkInterfaceId: eni })).publicIp).toBe('');
      const [described] = (await net.client.describeNetworkInterfaces({ networkInterfaceIds: [eni] }))
        .networkInterfaces;
      expect(described?.association?.publicIp).toBe(elastic.publicIp);
    }
  });
});

describe('the address usage report', () => {
  const hour = 3_600_000;
  it('bills each public address by the hour, idle or in use, and survives a restart', async () => {
    let now = Date.UTC(2025, 2, 1);
    const net = await service({}, () => now);
    const elastic = await net.client.allocateAddress({});
    const eni = await newInterface(net.client);
    now += hour;
    await net.client.allocatePublicIp({ networkInterfaceId: eni });
    now += 2 * hour;
    await net.client.releasePublicIp({ networkInterfaceId: eni });
    now += 7 * hour;
    await net.client.releaseAddress({ allocationId: elastic.allocationId });
    const late = await net.client.allocateAddress({});
    now = Date.UTC(2025, 3, 1) + 4 * hour;

    const march = (await net.client.getAddressUsageReport({ month: '2025-03' })).report;
    // Elastic: 10 h idle; auto-assigned: 2 h in use; the late one: all of March after hour 10.
    const lateHours = 31 * 24 - 10;
    expect(march).toMatchObject({
      accountId: accountA,
      month: '2025-03',
      idleHours: 10 + lateHours,
      inUseHours: 2,
      remaps: 0,
      billableRemaps: 0,
      remapCostUsd: 0,
    });
    expect(march?.totalCostUsd).toBeCloseTo((12 + lateHours) * 0.005, 6);
    expect(march?.addresses.map((a) => [a.allocationId, a.idleHours + a.inUseHours])).toEqual(
      expect.arrayContaining([
        [elastic.allocationId, 10],
        ['', 2],
        [late.allocationId, lateHours],
      ]),
    );
    const april = (await net.client.getAddressUsageReport({})).report;
    expect(april).toMatchObject({ month: '2025-04', idleHours: 4, addressHoursCostUsd: 0.02 });
    expect((await net.otherAccount.getAddressUsageReport({ month: '2025-03' })).report?.totalCostUsd).toBe(0);

    // A replica started afresh knows only the store: it reports the same.
    const restarted = await startReplica(net, { now: () => now });
    try {
      expect((await restarted.client.getAddressUsageReport({ month: '2025-03' })).report).toEqual(march);
    } finally {
      await restarted.stop();
    }
    expect(await errorCode(net.client.getAddressUsageReport({ month: '2025-13' }))).toBe(
      'InvalidParameterValue',
    );
  });

  it('bills by the configured price list', async () => {
    let now = Date.UTC(2025, 6, 1);
    const net = await service({ NIMBUS_ADDRESS_PRICES: 'hour=0.01' }, () => now);
    const allocated = await net.client.allocateAddress({});
    now += 5 * hour;
    await net.client.releaseAddress({ allocationId: allocated.allocationId });
    const report = (await net.client.getAddressUsageReport({ month: '2025-07' })).report;
    expect(report).toMatchObject({ idleHours: 5, addressHoursCostUsd: 0.05, totalCostUsd: 0.05 });
  });
});
