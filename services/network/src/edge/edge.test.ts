import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';
import type { Edge } from './edge.js';
import { createEdgeEngine } from './edge-engine.js';
import { EdgeMappingError } from './edge-mapping.js';
import type { EdgeOptions } from './edge-options.js';
import { haproxyUnusable } from './haproxy-edge.js';

// Addresses of this file only, so that other test files running at once do not meet them.
const privateA = '127.16.77.10';
const privateB = '127.16.77.11';
const publicA = '127.64.77.5';
const publicB = '127.64.77.6';
const allowedClient = '127.0.0.1';
const otherClient = '127.99.0.1';

let ruleCount = 0;
function tcp(fromPort: number, toPort: number, cidrIpv4: string): SecurityGroupRule {
  ruleCount += 1;
  return {
    securityGroupRuleId: `sgr-${ruleCount.toString(16).padStart(17, '0')}`,
    isEgress: false,
    ipProtocol: 'tcp',
    fromPort,
    toPort,
    cidrIpv4,
  };
}

/** An instance's server: greets with its name, echoes, and answers a half-close with "bye". */
interface Backend {
  name: string;
  port: number;
  accepted: number;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

async function startBackend(name: string, host: string, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const backend: Backend = { name, port: 0, accepted: 0, close: async () => undefined };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    backend.accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`hello from ${name}\n`);
    socket.on('data', (data) => socket.write(data));
    socket.on('end', () => socket.end('bye\n'));
  });
  backend.port = await listen(server, host, port);
  backend.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  cleanups.push(() => backend.close());
  return backend;
}

/** Backends with one port on several addresses; a port free on the first may be taken on another. */
async function startBackends(names: string[], hosts: string[]): Promise<Backend[]> {
  for (let attempt = 0; ; attempt++) {
    const first = await startBackend(names[0] as string, hosts[0] as string);
    const rest: Backend[] = [];
    try {
      for (let i = 1; i < hosts.length; i++) {
        rest.push(await startBackend(names[i] as string, hosts[i] as string, first.port));
      }
      return [first, ...rest];
    } catch (error) {
      for (const backend of [first, ...rest]) await backend.close();
      if (attempt >= 4) throw error;
    }
  }
}

/** A client socket and everything it saw. */
interface Peer {
  socket: Socket;
  received: string;
  ended: boolean;
  closed: boolean;
  error?: string;
}

function dial(host: string, port: number, localAddress: string): Peer {
  const socket = connect({ host, port, localAddress, allowHalfOpen: true });
  const peer: Peer = { socket, received: '', ended: false, closed: false };
  socket.setEncoding('utf8');
  socket.on('data', (data: string) => {
    peer.received += data;
  });
  socket.on('end', () => {
    peer.ended = true;
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    peer.error = error.code ?? error.message;
  });
  socket.on('close', () => {
    peer.closed = true;
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return peer;
}

const within = (timeoutMs: number, message: string) => ({ timeoutMs, message });

async function expectGreeting(peer: Peer, name: string): Promise<void> {
  await waitUntil(
    () => peer.received.startsWith(`hello from ${name}\n`),
    within(5000, `greeting of ${name}`),
  );
}

async function expectEcho(peer: Peer, text: string): Promise<void> {
  peer.socket.write(text);
  await waitUntil(() => peer.received.endsWith(text), within(5000, `echo of ${text}`));
}

/** Refused: closed with a reset or a refusal and not one byte from the instance. */
async function expectRefused(peer: Peer): Promise<string> {
  await waitUntil(() => peer.closed, within(1000, 'the connection to be refused'));
  expect(peer.received).toBe('');
  expect(peer.error).toMatch(/^(ECONNREFUSED|ECONNRESET)$/);
  return peer.error as string;
}

// The same contract for both engines; HAProxy's only where it can serve (CI installs it and runs as root).
const haproxyMissing = haproxyUnusable();
if (haproxyMissing !== undefined) console.warn(`edge tests: HAProxy engine not tested: ${haproxyMissing}`);
const engines = haproxyMissing === undefined ? (['node', 'haproxy'] as const) : (['node'] as const);

describe.each(engines)('public edge (%s engine)', (engine) => {
  const createEdge = (options: EdgeOptions = {}) => createEdgeEngine(engine, options);
  function startEdge(): Edge {
    const edge = createEdge({ retryIntervalMs: 100 });
    cleanups.push(() => edge.close());
    return edge;
  }

  it('forwards an allowed source both ways with half-close, and refuses any other source', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const edge = startEdge();
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [tcp(a.port, a.port, '127.0.0.1/32')] },
    ]);
    expect(edge.listeners()).toEqual([
      { publicIp: publicA, port: a.port, privateIp: privateA, state: 'listening' },
    ]);

    const client = dial(publicA, a.port, allowedClient);
    await expectGreeting(client, 'a');
    await expectEcho(client, 'ping');
    await expectEcho(client, 'x'.repeat(256 * 1024));
    // Half-close: the client stops writing and still reads the instance's answer.
    client.socket.end();
    await waitUntil(() => client.ended && client.received.endsWith('bye\n'), within(5000, 'bye'));
    await waitUntil(() => client.closed && edge.connectionCount() === 0, within(5000, 'no sockets left'));
    expect(client.error).toBeUndefined();

    const stranger = dial(publicA, a.port, otherClient);
    expect(await expectRefused(stranger)).toBe('ECONNRESET');
    expect(a.accepted).toBe(1);
    expect(edge.connectionCount()).toBe(0);
  });

  it('passes on an instance that refuses: the client gets not one byte and nothing stays open', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const edge = startEdge();
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [tcp(a.port, a.port, '127.0.0.0/8')] },
    ]);
    await a.close();
    const client = dial(publicA, a.port, allowedClient);
    if (engine === 'node') {
      expect(await expectRefused(client)).toBe('ECONNRESET');
    } else {
      // The one documented difference (haproxy-edge.ts): HAProxy ends the
      // client's side with a FIN instead of a reset, and resets a client that
      // writes on.
      await waitUntil(() => client.ended, within(1000, 'the connection to be ended'));
      expect(client.received).toBe('');
      expect(client.error).toBeUndefined();
      // HAProxy holds nothing for it, even while the client keeps its side open.
      await waitUntil(() => edge.connectionCount() === 0, within(1000, 'no sockets left'));
      // The first write draws the reset; Node, which stopped reading at the
      // FIN, reports it on a later one.
      await waitUntil(
        () => {
          if (!client.closed) client.socket.write('anyone there?');
          return client.closed;
        },
        within(1000, 'the writes to be reset'),
      );
      expect(client.error).toMatch(/^(ECONNRESET|EPIPE)$/);
      expect(client.received).toBe('');
    }
    await waitUntil(() => edge.connectionCount() === 0, within(1000, 'no sockets left'));
  });

  it('closes a revoked port within a second and keeps established connections', async () => {
    const [a, b] = (await startBackends(['a', 'b'], [privateA, privateB])) as [Backend, Backend];
    const edge = startEdge();
    const port = a.port;
    const mappingB = { publicIp: publicB, privateIp: privateB, rules: [tcp(port, port, '127.0.0.0/8')] };
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [tcp(port, port, '127.0.0.0/8')] },
      mappingB,
    ]);
    const onA = dial(publicA, port, allowedClient);
    const onB = dial(publicB, port, allowedClient);
    await expectGreeting(onA, 'a');
    await expectGreeting(onB, 'b');

    await edge.apply([{ publicIp: publicA, privateIp: privateA, rules: [] }, mappingB]);
    expect(await expectRefused(dial(publicA, port, allowedClient))).toBe('ECONNREFUSED');
    expect(edge.listeners().map((l) => l.publicIp)).toEqual([publicB]);
    // EC2 lets tracked connections finish after their rule goes; the other mapping is untouched.
    await expectEcho(onA, 'still here');
    await expectEcho(onB, 'me too');
    expect(b.accepted).toBe(1);

    // Narrowing the source takes effect for the next connection, in place.
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [] },
      { ...mappingB, rules: [tcp(port, port, '127.0.0.2/32')] },
    ]);
    expect(await expectRefused(dial(publicB, port, allowedClient))).toBe('ECONNRESET');
    await expectGreeting(dial(publicB, port, '127.0.0.2'), 'b');
    await expectEcho(onB, 'unaffected');
  });

  it('moves new connections of a remapped address within a second and resets the old ones', async () => {
    const [, , port] = await startBackends(['a', 'b'], [privateA, privateB]).then(
      ([a, b]) => [a, b, (a as Backend).port] as const,
    );
    const edge = startEdge();
    const rules = [tcp(port, port, '127.0.0.0/8')];
    await edge.apply([{ publicIp: publicA, privateIp: privateA, rules }]);
    const before = dial(publicA, port, allowedClient);
    await expectGreeting(before, 'a');

    const remapped = Date.now();
    await edge.apply([{ publicIp: publicA, privateIp: privateB, rules }]);
    const after = dial(publicA, port, allowedClient);
    await expectGreeting(after, 'b');
    expect(Date.now() - remapped).toBeLessThan(1000);
    await waitUntil(() => before.closed, within(1000, 'the old connection to be reset'));
    expect(before.error).toBe('ECONNRESET');

    // Disassociated: the address leads nowhere and its connections go.
    await edge.apply([]);
    expect(await expectRefused(dial(publicA, port, allowedClient))).toBe('ECONNREFUSED');
    await waitUntil(() => after.closed && edge.connectionCount() === 0, within(1000, 'connections reset'));
    expect(edge.listeners()).toEqual([]);
  });

  it('listens on a wide range only at the ports the instance listens on', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const [second] = (await startBackends(['second'], [privateA])) as [Backend];
    const edge = startEdge();
    const mapping = { publicIp: publicA, privateIp: privateA, rules: [tcp(0, 65535, '127.0.0.0/8')] };
    await edge.apply([mapping]);
    expect(edge.listeners()).toEqual([]);

    await edge.apply([{ ...mapping, listeningPorts: [a.port] }]);
    expect(edge.listeners().map((l) => l.port)).toEqual([a.port]);
    await expectGreeting(dial(publicA, a.port, allowedClient), 'a');
    expect(await expectRefused(dial(publicA, second.port, allowedClient))).toBe('ECONNREFUSED');

    await edge.apply([{ ...mapping, listeningPorts: [a.port, second.port] }]);
    await expectGreeting(dial(publicA, second.port, allowedClient), 'second');
    await edge.apply([{ ...mapping, listeningPorts: [second.port] }]);
    expect(await expectRefused(dial(publicA, a.port, allowedClient))).toBe('ECONNREFUSED');
    expect(edge.listeners().map((l) => l.port)).toEqual([second.port]);
  });

  it('retries a port another process holds, and serves it within a second once freed', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const squatter = createServer();
    await listen(squatter, publicA, a.port);
    const edge = startEdge();
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [tcp(a.port, a.port, '127.0.0.0/8')] },
    ]);
    expect(edge.listeners()).toEqual([
      { publicIp: publicA, port: a.port, privateIp: privateA, state: 'failed', error: 'EADDRINUSE' },
    ]);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await waitUntil(() => edge.listeners()[0]?.state === 'listening', within(1000, 'the listener to bind'));
    await expectGreeting(dial(publicA, a.port, allowedClient), 'a');
  });

  it('matches a group rule by the groups that sourceGroups gives the client address', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const edge = createEdge({
      sourceGroups: (address) => (address === '127.0.0.2' ? ['sg-0aaaaaaaaaaaaaaaa'] : []),
    });
    cleanups.push(() => edge.close());
    const { cidrIpv4: _, ...byAddress } = tcp(a.port, a.port, '127.0.0.0/8');
    const groupRule = { ...byAddress, referencedGroupId: 'sg-0aaaaaaaaaaaaaaaa' };
    await edge.apply([{ publicIp: publicA, privateIp: privateA, rules: [groupRule] }]);
    await expectGreeting(dial(publicA, a.port, '127.0.0.2'), 'a');
    expect(await expectRefused(dial(publicA, a.port, allowedClient))).toBe('ECONNRESET');
  });

  it('runs until its signal aborts, then closes listeners and resets connections', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const edge = createEdge();
    const controller = new AbortController();
    const running = edge.start(controller.signal);
    await edge.apply([
      { publicIp: publicA, privateIp: privateA, rules: [tcp(a.port, a.port, '127.0.0.0/8')] },
    ]);
    const client = dial(publicA, a.port, allowedClient);
    await expectGreeting(client, 'a');
    controller.abort();
    await running;
    await waitUntil(() => client.closed, within(1000, 'the reset'));
    expect(client.error).toBe('ECONNRESET');
    expect(edge.connectionCount()).toBe(0);
    expect(await expectRefused(dial(publicA, a.port, allowedClient))).toBe('ECONNREFUSED');
    await expect(edge.apply([])).rejects.toThrow(/closed/);
  });

  it('closes at once with a connection its client half-closed and its instance keeps open', async () => {
    // The edge has passed the client's FIN on; resetting that upstream socket is what once hung close().
    let sawEnd = false;
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      socket.on('end', () => {
        sawEnd = true;
      });
      socket.write('hello from lingering\n');
      cleanups.push(() => {
        socket.destroy();
      });
    });
    const port = await listen(server, privateB, 0);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const edge = createEdge();
    await edge.apply([{ publicIp: publicB, privateIp: privateB, rules: [tcp(port, port, '127.0.0.0/8')] }]);
    const client = dial(publicB, port, allowedClient);
    await expectGreeting(client, 'lingering');
    client.socket.end();
    await waitUntil(() => sawEnd, within(2000, 'the instance to see the half-close'));
    let closed = false;
    const closing = edge.close().then(() => {
      closed = true;
    });
    await waitUntil(() => closed, within(2000, 'the edge to close'));
    await closing;
    expect(edge.connectionCount()).toBe(0);
  });

  it('refuses a bad table whole and keeps the current one', async () => {
    const [a] = (await startBackends(['a'], [privateA])) as [Backend];
    const edge = startEdge();
    const good = { publicIp: publicA, privateIp: privateA, rules: [tcp(a.port, a.port, '127.0.0.0/8')] };
    await edge.apply([good]);
    await expect(edge.apply([{ ...good, privateIp: '10.0.0.1' }])).rejects.toThrow(EdgeMappingError);
    await expect(edge.apply([good, { ...good, publicIp: '192.168.1.1' }])).rejects.toThrow(EdgeMappingError);
    await expectGreeting(dial(publicA, a.port, allowedClient), 'a');
    // Idempotent: the same table again keeps the same listener and its connections.
    const kept = dial(publicA, a.port, allowedClient);
    await expectGreeting(kept, 'a');
    await edge.apply([good]);
    await expectEcho(kept, 'same');
    expect(edge.listeners()).toHaveLength(1);
  });
});
