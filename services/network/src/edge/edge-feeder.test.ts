import { connect, createServer, type Server, type Socket } from 'node:net';
import { errorCode } from '@nimbus/service-kit';
import { type EtcdServer, freePort, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkReplica, startReplica } from '../testing/network-replica.js';
import { type NetworkUnderTest, startNetworkUnderTest } from '../testing/network-under-test.js';

// A VPC and a public pool of this file only, so that other test files' edges never hold its addresses.
const env = { NIMBUS_PUBLIC_IP_POOL: '127.66.5.0/24' };
const allowedClient = '127.0.0.1';
const otherClient = '127.99.0.1';

let etcd: EtcdServer;
let nats: NatsServer;
/** Serves the API only (NIMBUS_EDGE=off), so that the edge below can stop and start on its own. */
let net: NetworkUnderTest;
/** A replica with the default settings: it runs the edge. */
let edgeHost: NetworkReplica;
let vpcId = '';
let subnetId = '';

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  net = await startNetworkUnderTest({ etcd, nats, env: { ...env, NIMBUS_EDGE: 'off' } });
  edgeHost = await startReplica(net, { env });
  const { vpc } = await net.client.createVpc({ cidrBlock: '127.86.0.0/16' });
  vpcId = vpc?.vpcId ?? '';
  const { subnet } = await net.client.createSubnet({ vpcId, cidrBlock: '127.86.1.0/24' });
  subnetId = subnet?.subnetId ?? '';
});
afterAll(async () => {
  await edgeHost?.stop();
  await net?.stop();
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** An instance's server on `host:port`: greets with its name, then echoes. */
async function startBackend(name: string, host: string, port: number): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`hello from ${name}\n`);
    socket.on('data', (data) => socket.write(data));
  });
  await listen(server, host, port);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
}

/** Backends on one port of several private addresses: a port free on one may be taken on another. */
async function startBackends(backends: { name: string; host: string }[]): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const started = cleanups.length;
    try {
      for (const { name, host } of backends) await startBackend(name, host, port);
      return port;
    } catch (error) {
      for (const cleanup of cleanups.splice(started).reverse()) await cleanup();
      if (attempt >= 4) throw error;
    }
  }
}

/** One connection attempt: the instance's greeting line, or how it failed. */
function probe(host: string, port: number, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress });
    let received = '';
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(2000, () => done('timeout'));
    socket.on('data', (data: string) => {
      received += data;
      const line = received.indexOf('\n');
      if (line >= 0) done(received.slice(0, line));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.on('close', () => done('closed'));
  });
}

/** Probes until the outcome is `expected`, for at most `timeoutMs`. */
async function expectProbe(
  host: string,
  port: number,
  localAddress: string,
  expected: string | RegExp,
  timeoutMs = 1000,
): Promise<void> {
  let last = '';
  await waitUntil(
    async () => {
      last = await probe(host, port, localAddress);
      return typeof expected === 'string' ? last === expected : expected.test(last);
    },
    { timeoutMs, intervalMs: 20, message: `${localAddress} -> ${host}:${port} to give ${expected}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last outcome: ${last})`);
  });
}

const refused = /^(ECONNREFUSED|ECONNRESET)$/;

async function newGroup(name: string, port?: number): Promise<string> {
  const { groupId } = await net.client.createSecurityGroup({ groupName: name, description: name, vpcId });
  if (port !== undefined) await allowTcp(groupId, port);
  return groupId;
}

async function allowTcp(groupId: string, port: number) {
  const { securityGroupRules } = await net.client.authorizeSecurityGroupIngress({
    groupId,
    ipPermissions: [
      { ipProtocol: 'tcp', fromPort: port, toPort: port, ipRanges: [{ cidrIp: `${allowedClient}/32` }] },
    ],
  });
  return securityGroupRules.map((r) => r.securityGroupRuleId);
}

async function newInterface(groups: string[]) {
  const { networkInterface } = await net.client.createNetworkInterface({ subnetId, groups });
  const privateIp = networkInterface?.privateIpAddress ?? '';
  expect(privateIp).toMatch(/^127\.86\.1\.\d+$/);
  return { networkInterfaceId: networkInterface?.networkInterfaceId ?? '', privateIp };
}

/** A client's connection that stays open, to see whether a change cuts it. */
async function openSession(host: string, port: number) {
  const socket = connect({ host, port, localAddress: allowedClient });
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (data: string) => {
    received += data;
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
  });
  cleanups.push(() => {
    socket.destroy();
  });
  await waitUntil(() => received.includes('\n'), { timeoutMs: 2000, message: 'a greeting' });
  return {
    async echo(text: string) {
      socket.write(text);
      await waitUntil(() => received.endsWith(text), { timeoutMs: 2000, message: `echo of ${text}` });
    },
    closed: () => closed,
  };
}

describe('the edge in the network service', () => {
  it('forwards an associated Elastic IP for the sources its groups allow, and closes a revoked rule within a second', async () => {
    const group = await newGroup('web-1');
    const eni = await newInterface([group]);
    const port = await startBackends([{ name: 'a', host: eni.privateIp }]);
    const [ruleId] = await allowTcp(group, port);
    const eip = await net.client.allocateAddress({});
    expect(eip.publicIp).toMatch(/^127\.66\.5\.\d+$/);
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from a');

    const session = await openSession(eip.publicIp, port);
    await session.echo('ping');
    await session.echo('x'.repeat(64 * 1024));
    expect(await probe(eip.publicIp, port, otherClient)).toMatch(refused);

    await net.client.revokeSecurityGroupIngress({ groupId: group, securityGroupRuleIds: [ruleId ?? ''] });
    await expectProbe(eip.publicIp, port, allowedClient, refused);
    // A revoked rule stops new connections; established ones run on, as EC2 tracks them.
    await session.echo('still here');
    expect(session.closed()).toBe(false);
  });

  it('moves new connections within a second of a remap to another interface, and stops them at disassociation', async () => {
    const group = await newGroup('web-2');
    const a = await newInterface([group]);
    const b = await newInterface([group]);
    const port = await startBackends([
      { name: 'a', host: a.privateIp },
      { name: 'b', host: b.privateIp },
    ]);
    await allowTcp(group, port);
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: a.networkInterfaceId,
    });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from a');
    const onA = await openSession(eip.publicIp, port);

    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: b.networkInterfaceId,
      allowReassociation: true,
    });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from b');
    // The public address no longer leads to a: its connections are dropped, as EC2 drops them.
    await waitUntil(() => onA.closed(), { timeoutMs: 1000, message: 'the connection to a to be dropped' });

    await net.client.disassociateAddress({
      associationId: (await describeAssociation(eip.allocationId)) ?? '',
    });
    await expectProbe(eip.publicIp, port, allowedClient, refused);
  });

  it("follows the interface's groups for its auto-assigned public address", async () => {
    const closed = await newGroup('closed-3');
    const eni = await newInterface([closed]);
    const port = await startBackends([{ name: 'c', host: eni.privateIp }]);
    const open = await newGroup('web-3', port);
    const { publicIp } = await net.client.allocatePublicIp({ networkInterfaceId: eni.networkInterfaceId });
    expect(publicIp).toMatch(/^127\.66\.5\.\d+$/);
    expect(await probe(publicIp, port, allowedClient)).toMatch(refused);

    await net.client.modifyNetworkInterfaceAttribute({
      networkInterfaceId: eni.networkInterfaceId,
      groups: [closed, open],
    });
    await expectProbe(publicIp, port, allowedClient, 'hello from c');
    await net.client.modifyNetworkInterfaceAttribute({
      networkInterfaceId: eni.networkInterfaceId,
      groups: [closed],
    });
    await expectProbe(publicIp, port, allowedClient, refused);
  });

  it('opens an all-traffic rule only at the ports the instance reports listening on', async () => {
    const group = await newGroup('all-5');
    await net.client.authorizeSecurityGroupIngress({
      groupId: group,
      ipPermissions: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: `${allowedClient}/32` }] }],
    });
    const eni = await newInterface([group]);
    const instanceId = 'i-0e5a1b2c3d4e5f607';
    await net.client.attachNetworkInterface({
      networkInterfaceId: eni.networkInterfaceId,
      instanceId,
      deviceIndex: 1,
    });
    const port = await startBackends([{ name: 'f', host: eni.privateIp }]);
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    // Nothing reported yet: the edge does not listen on all 65535 ports.
    expect(await probe(eip.publicIp, port, allowedClient)).toMatch(refused);

    await net.client.reportListeningPorts({
      instanceId,
      ports: [
        { protocol: 'tcp', privateIpAddress: eni.privateIp, port },
        { protocol: 'udp', privateIpAddress: '0.0.0.0', port: 53 },
      ],
    });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from f');
    expect(await probe(eip.publicIp, port, otherClient)).toMatch(refused);
    await net.client.reportListeningPorts({ instanceId, ports: [] });
    await expectProbe(eip.publicIp, port, allowedClient, refused);

    expect(await errorCode(net.client.reportListeningPorts({ instanceId: 'vol-1', ports: [] }))).toBe(
      'InvalidInstanceID.Malformed',
    );
    expect(
      await errorCode(
        net.client.reportListeningPorts({
          instanceId,
          ports: [{ protocol: 'sctp', privateIpAddress: eni.privateIp, port }],
        }),
      ),
    ).toBe('InvalidParameterValue');
  });

  it('restores every forwarding from the store when the service starts again', async () => {
    const group = await newGroup('web-4');
    const eni = await newInterface([group]);
    const other = await newInterface([group]);
    const port = await startBackends([
      { name: 'd', host: eni.privateIp },
      { name: 'e', host: other.privateIp },
    ]);
    await allowTcp(group, port);
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({
      allocationId: eip.allocationId,
      networkInterfaceId: eni.networkInterfaceId,
    });
    const { publicIp } = await net.client.allocatePublicIp({ networkInterfaceId: other.networkInterfaceId });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from d');
    await expectProbe(publicIp, port, allowedClient, 'hello from e');

    await edgeHost.stop();
    // The other service serves the API with NIMBUS_EDGE=off: nothing forwards now.
    expect(await probe(eip.publicIp, port, allowedClient)).toMatch(refused);
    expect(await probe(publicIp, port, allowedClient)).toMatch(refused);

    edgeHost = await startReplica(net, { env });
    await expectProbe(eip.publicIp, port, allowedClient, 'hello from d', 5000);
    await expectProbe(publicIp, port, allowedClient, 'hello from e', 1000);
    expect(await probe(eip.publicIp, port, otherClient)).toMatch(refused);
  });
});

async function describeAssociation(allocationId: string): Promise<string | undefined> {
  const [address] = (await net.client.describeAddresses({ allocationIds: [allocationId] })).addresses;
  return address?.associationId;
}
