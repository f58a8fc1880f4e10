/**
 * Unary Echo throughput through the full Nimbus chain (typed client, request
 * id, logging, errors, deadline and auth interceptors) against a bare grpc-js
 * server and client using the same serviceDefinition and a trivial handler.
 * Both sides keep 32 calls in flight; rounds alternate; figures are medians.
 * A third server is the same chain with tracing (a span per call, batched to
 * a local OTLP receiver that drops them) and metrics (calls counted and timed),
 * compared with the chain without them: the cost of observing.
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx packages/runtime/bench/runtime.bench.ts
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import {
  credentials,
  Client as GrpcClient,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { methodDefinition, serviceDefinition } from '@nimbus/api';
import {
  type EchoRequest,
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
} from '@nimbus/api/gen/nimbus/testing/v1/echo_pb';
import { median, percentile, reportBench } from '@nimbus/testkit';
import { createClient } from '../src/client.js';
import { createServiceMetrics } from '../src/metrics.js';
import { startEchoServer } from '../src/testing/start-echo.js';
import { createServiceTracing } from '../src/tracing.js';

const CONCURRENCY = 32;
// Short rounds, many of them: on a shared machine the load changes within seconds,
// and finely alternating rounds let both sides meet the same load.
const ROUND_MS = 1_000;
const ROUNDS = 15;

interface RoundResult {
  callsPerSecond: number;
  latenciesMs: number[];
}

/** Keeps CONCURRENCY calls in flight for ROUND_MS and measures each. */
async function drive(call: () => Promise<unknown>): Promise<RoundResult> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const end = started + ROUND_MS;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call();
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { callsPerSecond: latenciesMs.length / ((performance.now() - started) / 1000), latenciesMs };
}

async function startBare(): Promise<{ address: string; stop(): void }> {
  const server = new Server();
  server.addService(serviceDefinition(EchoService), {
    echo: (call: ServerUnaryCall<EchoRequest, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, create(EchoResponseSchema, { message: call.request.message })),
    fail: () => undefined,
    count: () => undefined,
    chat: () => undefined,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

const ours = await startEchoServer({ level: 'info' });
const oursClient = createClient(EchoService, ours.address, { accountId: '123456789012' });
const bare = await startBare();
const bareClient = new GrpcClient(bare.address, credentials.createInsecure());
const echo = methodDefinition(EchoService.method.echo);
const bareCall = () =>
  new Promise((resolve, reject) =>
    bareClient.makeUnaryRequest(
      echo.path,
      echo.requestSerialize,
      echo.responseDeserialize,
      create(EchoRequestSchema, { message: 'hello' }),
      new Metadata(),
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
const oursCall = () => oursClient.echo({ message: 'hello' });
const collector = createHttpServer((request, response) => {
  request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const tracing = createServiceTracing('echo', {
  endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`,
});
const metered = await startEchoServer({
  level: 'info',
  observers: [tracing.interceptor, createServiceMetrics('echo').interceptor],
});
const meteredClient = createClient(EchoService, metered.address, { accountId: '123456789012' });
const meteredCall = () => meteredClient.echo({ message: 'hello' });

// Warm both paths (JIT, connections) before measuring.
await drive(oursCall);
await drive(bareCall);
await drive(meteredCall);

const oursRounds: RoundResult[] = [];
const bareRounds: RoundResult[] = [];
const meteredRounds: RoundResult[] = [];
const sides = [
  { rounds: oursRounds, call: oursCall },
  { rounds: bareRounds, call: bareCall },
  { rounds: meteredRounds, call: meteredCall },
];
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with a different side, so that none always meets the same load.
  for (let i = 0; i < sides.length; i++) {
    const side = sides[(round + i) % sides.length] as (typeof sides)[number];
    side.rounds.push(await drive(side.call));
  }
  const [o, b, m] = [oursRounds.at(-1), bareRounds.at(-1), meteredRounds.at(-1)];
  console.error(
    `round ${round}: ${o?.callsPerSecond.toFixed(0)}/${b?.callsPerSecond.toFixed(0)}/${m?.callsPerSecond.toFixed(0)} calls/s (ours/baseline/ours with tracing and metrics)`,
  );
}

oursClient.close();
bareClient.close();
meteredClient.close();
await ours.stop();
await metered.stop();
await tracing.shutdown();
collector.close();
bare.stop();

const throughput = (rounds: RoundResult[]) => median(rounds.map((r) => r.callsPerSecond));
const latency = (rounds: RoundResult[], p: number) => median(rounds.map((r) => percentile(r.latenciesMs, p)));
const baselineName = 'bare grpc-js server + client, same serviceDefinition';

reportBench({
  suite: 'runtime',
  rounds: ROUNDS,
  figures: [
    {
      name: 'runtime.unary.calls_per_s',
      unit: 'calls/s',
      value: throughput(oursRounds),
      baseline: throughput(bareRounds),
      baselineName,
      goal: { minRatio: 0.7 },
    },
    {
      name: 'runtime.unary.observed.calls_per_s',
      unit: 'calls/s',
      value: throughput(meteredRounds),
      baseline: throughput(oursRounds),
      baselineName: 'the same chain without tracing and metrics',
      goal: { minRatio: 0.9 },
    },
    {
      name: 'runtime.unary.p50_ms',
      unit: 'ms',
      value: latency(oursRounds, 50),
      baseline: latency(bareRounds, 50),
      baselineName,
    },
    {
      name: 'runtime.unary.p99_ms',
      unit: 'ms',
      value: latency(oursRounds, 99),
      baseline: latency(bareRounds, 99),
      baselineName,
    },
  ],
});
