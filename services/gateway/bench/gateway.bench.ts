/**
 * The gateway against the gRPC services it fronts, in the same run (issue 9):
 *
 * - DescribeInstances (20 fake-runtime instances) through the gateway, each
 *   request signed with SigV4 and its XML read whole, vs the same call
 *   straight over gRPC, 8 calls in flight from a load generator in its own
 *   process (load-client.ts): calls per second, goal ratio >= 0.6; the same
 *   through the AWS SDK client is reported too, without a goal (its XML
 *   deserialization is the client's cost, not the gateway's);
 * - RunInstances of one instance (fake runtime), one at a time, same
 *   comparison (the instances are terminated between rounds, untimed);
 * - SigV4 verification per request, in µs (signing key cached, secret looked
 *   up from memory), against the median latency of a DescribeInstances
 *   through the gateway: its share of a request.
 *
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/gateway/bench/gateway.bench.ts
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { createClient } from '@nimbus/runtime';
import { median, reportBench } from '@nimbus/testkit';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { headerValues } from '../src/sigv4/canonical-request.js';
import { createSigningKeyCache } from '../src/sigv4/signing-key.js';
import { verifyRequest } from '../src/sigv4/verify-request.js';
import { startGatewayUnderTest } from '../src/testing/gateway-under-test.js';
import { registerBenchImage } from './bench-image.js';

const run = promisify(execFile);
const ROUNDS = 5;
const WINDOW_MS = 1_500;
const IN_FLIGHT = 8;
const RUNS_PER_ROUND = 8;

const gw = await startGatewayUnderTest({
  compute: true,
  workerVcpus: 2_000,
  throttle: JSON.stringify({
    describe: { burst: 1e9, rate: 1e9 },
    mutate: { burst: 1e9, rate: 1e9 },
    runInstances: { burst: 1e9, rate: 1e9 },
    runInstancesInstances: { burst: 1e9, rate: 1e9 },
    terminateInstances: { burst: 1e9, rate: 1e9 },
  }),
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void gw.stop().finally(() => process.exit(1));
  });
}

const ec2 = gw.ec2();
const grpc = createClient(ComputeService, gw.addresses.compute as string, { token: gw.serviceToken });
const asA = { accountId: gw.keyA.accountId };

// An image of account A to launch from (registered through the gateway, as a user would).
const imageId = await registerBenchImage(ec2);

const ids: string[] = [];
const first = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 20, MaxCount: 20 }));
ids.push(...(first.Instances ?? []).map((i) => i.InstanceId ?? ''));

// DescribeInstances from a load generator in its own process (load-client.ts).
const loadClient = fileURLToPath(new URL('./load-client.ts', import.meta.url));
const orders = {
  url: gw.url,
  key: gw.keyA,
  computeAddress: gw.addresses.compute,
  serviceToken: gw.serviceToken,
  rounds: ROUNDS,
  windowMs: WINDOW_MS,
  inFlight: IN_FLIGHT,
};
const { stdout } = await run(
  process.execPath,
  ['--conditions=nimbus-source', '--import', 'tsx', loadClient, JSON.stringify(orders)],
  { maxBuffer: 1 << 20, timeout: 120_000 },
);
const describe = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
  grpc: number[];
  signed: number[];
  sdk: number[];
};
const latencies: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  await ec2.send(new DescribeInstancesCommand({}));
  latencies.push(performance.now() - t);
}

const runGateway: number[] = [];
const runGrpc: number[] = [];
for (let round = 0; round < 3; round++) {
  const launched: string[] = [];
  let t = performance.now();
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const reservation = await grpc.runInstances({ imageId, minCount: 1, maxCount: 1 }, asA);
    launched.push(...reservation.instances.map((instance) => instance.instanceId));
  }
  runGrpc.push(RUNS_PER_ROUND / ((performance.now() - t) / 1000));
  t = performance.now();
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const reservation = await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }),
    );
    launched.push(...(reservation.Instances ?? []).map((instance) => instance.InstanceId ?? ''));
  }
  runGateway.push(RUNS_PER_ROUND / ((performance.now() - t) / 1000));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched }));
}

// SigV4 verification alone: one request as the SDK signs it, verified again and again.
const body =
  'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running';
const url = new URL(gw.url);
const signed = await new SignatureV4({
  credentials: { accessKeyId: gw.keyA.accessKeyId, secretAccessKey: gw.keyA.secretAccessKey },
  region: 'nimbus-1',
  service: 'ec2',
  sha256: Hash.bind(null, 'sha256'),
}).sign(
  new HttpRequest({
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    method: 'POST',
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  }),
);
const rawHeaders = Object.entries(signed.headers).flat();
const request = {
  method: 'POST',
  rawPath: '/',
  rawQuery: '',
  headers: headerValues(rawHeaders),
  body: Buffer.from(body),
};
const secret = { accountId: gw.keyA.accountId, secret: gw.keyA.secretAccessKey };
const keys = createSigningKeyCache();
const verifyMicros: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const count = 20_000;
  const t = performance.now();
  for (let i = 0; i < count; i++) {
    await verifyRequest(request, {
      lookup: async () => secret,
      keys,
      region: 'nimbus-1',
      services: ['ec2'],
      now: Date.now(),
    });
  }
  verifyMicros.push(((performance.now() - t) * 1000) / count);
}

reportBench({
  suite: 'gateway',
  rounds: ROUNDS,
  figures: [
    {
      name: `DescribeInstances (${ids.length} instances) through the gateway, signed requests, ${IN_FLIGHT} in flight`,
      unit: 'calls/s',
      value: median(describe.signed),
      baseline: median(describe.grpc),
      baselineName: 'the same call straight over gRPC',
      goal: { minRatio: 0.6 },
    },
    {
      name: `DescribeInstances (${ids.length} instances) through the gateway with the AWS SDK client, ${IN_FLIGHT} in flight`,
      unit: 'calls/s',
      value: median(describe.sdk),
      baseline: median(describe.grpc),
      baselineName: 'the same call straight over gRPC',
    },
    {
      name: 'RunInstances of one instance (fake runtime) through the gateway, one at a time',
      unit: 'calls/s',
      value: median(runGateway),
      baseline: median(runGrpc),
      baselineName: 'the same call straight over gRPC',
      goal: { minRatio: 0.6 },
    },
    {
      name: 'SigV4 verification per request (signing key cached)',
      unit: 'µs',
      value: median(verifyMicros),
      baseline: median(latencies) * 1000,
      baselineName: 'a whole DescribeInstances through the gateway (median latency, µs)',
    },
  ],
});

grpc.close();
await gw.stop();
