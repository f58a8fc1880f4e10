/**
 * The public edge against a direct connection to the private address, in the
 * same run: streaming throughput (200 MB uploaded, the server answering with
 * the byte count after the client's half-close) and new connections per
 * second (32 loops of connect, read one byte, close). As on a real host, the
 * edge has its own thread (this one, as it lives in the network service) and
 * so do the instance's servers and the clients (two workers). Rounds
 * alternate sides; figures are medians.
 *
 * What bounds the ratio: a relay in user space repeats the kernel work of
 * both ends (per connection an accept and a connect, per chunk a read and a
 * write), so the edge thread costs about what client and instance cost
 * together; `edge_thread_busy` near 1 says it is the bottleneck. Where the
 * three threads share two cores, as on the machines this ran on first, the
 * ratio stays near 0.5 (single-thread runs of both sides give the same).
 * The HAProxy engine (when its binary is on PATH) is measured in the same
 * rounds on its own public address: one native thread, outside this one, so
 * its busy figure is not taken. Its figures are `edge.*`, with the goal, when
 * it is what the default NIMBUS_EDGE_ENGINE=auto runs here; the Node relay's
 * are then `edge.node.*`, for comparison (without HAProxy, `edge.*` is the
 * Node relay's).
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/network/bench/edge.bench.ts
 */
import { Worker } from 'node:worker_threads';
import { median, reportBench } from '@nimbus/testkit';
import type { SecurityGroupRule } from '../src/domain/security-group-rules.js';
import type { Edge } from '../src/edge/edge.js';
import { createEdgeEngine, resolveEdgeEngine } from '../src/edge/edge-engine.js';
import { haproxyUnusable } from '../src/edge/haproxy-edge.js';

const STREAM_BYTES = 200 * 1024 * 1024;
const CONNECT_MS = 1_500;
const CONCURRENCY = 32;
const ROUNDS = 7;
const PRIVATE_IP = '127.16.250.1';
const PUBLIC_IPS = { node: '127.64.250.1', haproxy: '127.64.250.2' } as const;
const CLIENT_IP = '127.0.0.1';

/** The instance: a sink that answers a half-close with the byte count, and a server that says one byte. */
const instanceCode = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const sink = net.createServer({ allowHalfOpen: true }, (socket) => {
  let received = 0;
  socket.on('error', () => {});
  socket.on('data', (chunk) => { received += chunk.length; });
  socket.on('end', () => socket.end(String(received)));
});
const hello = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.end('k');
});
const listen = (server) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen({ host: workerData.host, port: 0 }, () => resolve(server.address().port));
});
Promise.all([listen(sink), listen(hello)]).then(([sinkPort, helloPort]) =>
  parentPort.postMessage({ sinkPort, helloPort }));
`;

/** The clients: one job at a time, each answered with its measurement. */
const clientCode = `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
const chunk = Buffer.alloc(64 * 1024, 120);

function stream({ host, port, localAddress, bytes }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port, localAddress, allowHalfOpen: true });
    let answer = '';
    let sent = 0;
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (text) => { answer += text; });
    socket.on('end', () => {
      socket.end();
      if (Number(answer) !== bytes) reject(new Error('sink received ' + answer + ' of ' + bytes));
      else resolve({ ms: performance.now() - started });
    });
    const write = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', write);
      }
      socket.end();
    };
    write();
  });
}

async function connections({ host, port, localAddress, concurrency, durationMs }) {
  let count = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + durationMs;
  const once = () => new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress });
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (text) => { got += text; });
    socket.on('error', () => {});
    socket.on('close', (hadError) => {
      if (!hadError && got === 'k') count += 1; else errors += 1;
      resolve();
    });
  });
  const loop = async () => { while (performance.now() < end) await once(); };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { count, errors, ms: performance.now() - started };
}

parentPort.on('message', async (job) => {
  try {
    const result = job.kind === 'stream' ? await stream(job) : await connections(job);
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error) });
  }
});
`;

function once<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      worker.off('message', succeed);
      reject(error);
    };
    const succeed = (message: T) => {
      worker.off('error', fail);
      resolve(message);
    };
    worker.once('message', succeed);
    worker.once('error', fail);
  });
}

const instance = new Worker(instanceCode, { eval: true, workerData: { host: PRIVATE_IP } });
const { sinkPort, helloPort } = await once<{ sinkPort: number; helloPort: number }>(instance);
const client = new Worker(clientCode, { eval: true });

async function job<T>(message: object): Promise<T> {
  client.postMessage(message);
  const reply = await once<{ ok: boolean; result?: T; error?: string }>(client);
  if (!reply.ok) throw new Error(reply.error);
  return reply.result as T;
}

const rule = (port: number): SecurityGroupRule => ({
  securityGroupRuleId: `sgr-${port.toString(16).padStart(17, '0')}`,
  isEgress: false,
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  cidrIpv4: `${CLIENT_IP}/32`,
});
type Engine = keyof typeof PUBLIC_IPS;
const engines: Engine[] = haproxyUnusable() === undefined ? ['node', 'haproxy'] : ['node'];
const defaultEngine = resolveEdgeEngine('auto');
const edges = new Map<Engine, Edge>();
for (const engine of engines) {
  const edge = createEdgeEngine(engine);
  edges.set(engine, edge);
  const publicIp = PUBLIC_IPS[engine];
  await edge.apply([{ publicIp, privateIp: PRIVATE_IP, rules: [rule(sinkPort), rule(helloPort)] }]);
  const failed = edge.listeners().filter((l) => l.state !== 'listening');
  if (failed.length > 0) throw new Error(`${engine} edge listeners did not bind: ${JSON.stringify(failed)}`);
}

type Side = Engine | 'direct';
const sides: Side[] = [...engines, 'direct'];
const hostOf = (side: Side) => (side === 'direct' ? PRIVATE_IP : PUBLIC_IPS[side]);

async function streamMbPerSecond(side: Side, bytes = STREAM_BYTES): Promise<number> {
  const { ms } = await job<{ ms: number }>({
    kind: 'stream',
    host: hostOf(side),
    port: sinkPort,
    localAddress: CLIENT_IP,
    bytes,
  });
  return bytes / (1024 * 1024) / (ms / 1000);
}

async function connectionsPerSecond(side: Side, durationMs = CONNECT_MS): Promise<number> {
  const { count, errors, ms } = await job<{ count: number; errors: number; ms: number }>({
    kind: 'connect',
    host: hostOf(side),
    port: helloPort,
    localAddress: CLIENT_IP,
    concurrency: CONCURRENCY,
    durationMs,
  });
  if (errors > 0) console.error(`${side}: ${errors} connections failed`);
  return count / (ms / 1000);
}

// Warm both paths (JIT, socket buffers) before measuring.
for (const side of sides) {
  await streamMbPerSecond(side, STREAM_BYTES / 4);
  await connectionsPerSecond(side, 300);
}

interface Samples {
  mbps: number[];
  cps: number[];
}
const samples = Object.fromEntries(sides.map((side) => [side, { mbps: [], cps: [] }])) as unknown as Record<
  Side,
  Samples
>;
/** How busy this thread (the Node edge's) was during its rounds: near 1 means the edge is the bottleneck. */
const busy = { stream: [] as number[], connect: [] as number[] };
async function measure<T>(side: Side, into: number[], run: () => Promise<T>): Promise<T> {
  const before = performance.eventLoopUtilization();
  const result = await run();
  if (side === 'node') into.push(performance.eventLoopUtilization(before).utilization);
  return result;
}
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? sides : [...sides].reverse();
  for (const side of order) {
    samples[side].mbps.push(await measure(side, busy.stream, () => streamMbPerSecond(side)));
  }
  for (const side of order) {
    samples[side].cps.push(await measure(side, busy.connect, () => connectionsPerSecond(side)));
  }
}

for (const edge of edges.values()) await edge.close();
await Promise.all([instance.terminate(), client.terminate()]);

const baselineName = 'direct to the private IP';
reportBench({
  suite: 'network-edge',
  rounds: ROUNDS,
  figures: [
    // `edge.*` is the engine the default setting (auto) runs here, with the
    // goal; `edge.node.*` the fallback where HAProxy is installed, for comparison.
    ...engines.flatMap((engine) => {
      const isDefault = engine === defaultEngine;
      const prefix = isDefault ? 'edge' : `edge.${engine}`;
      const goal = isDefault ? { goal: { minRatio: 0.6 } } : {};
      return [
        {
          name: `${prefix}.stream.mb_per_s`,
          unit: 'MB/s',
          value: median(samples[engine].mbps),
          baseline: median(samples.direct.mbps),
          baselineName,
          ...goal,
        },
        {
          name: `${prefix}.connect.conns_per_s`,
          unit: 'conn/s',
          value: median(samples[engine].cps),
          baseline: median(samples.direct.cps),
          baselineName,
          ...goal,
        },
      ];
    }),
    { name: 'edge.node.stream.edge_thread_busy', unit: 'fraction', value: median(busy.stream) },
    { name: 'edge.node.connect.edge_thread_busy', unit: 'fraction', value: median(busy.connect) },
  ],
});
