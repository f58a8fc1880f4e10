/**
 * The load generator of gateway.bench.ts, in a process of its own so that
 * the clients' work (signing, parsing) does not share the event loop of the
 * gateway and services it measures. Reads its orders as JSON from argv[2],
 * prints the calls per second of each round as JSON.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { createClient } from '@nimbus/runtime';
import { signedQuery } from '../src/testing/signed-fetch.js';

interface Orders {
  url: string;
  key: { accountId: string; accessKeyId: string; secretAccessKey: string };
  computeAddress: string;
  serviceToken: string;
  rounds: number;
  windowMs: number;
  inFlight: number;
}

const orders = JSON.parse(process.argv[2] ?? '{}') as Orders;
const grpc = createClient(ComputeService, orders.computeAddress, { token: orders.serviceToken });
const ec2 = new EC2Client({
  endpoint: orders.url,
  region: 'nimbus-1',
  credentials: { accessKeyId: orders.key.accessKeyId, secretAccessKey: orders.key.secretAccessKey },
  maxAttempts: 1,
});

async function rate(call: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const until = started + orders.windowMs;
  await Promise.all(
    Array.from({ length: orders.inFlight }, async () => {
      while (performance.now() < until) {
        await call();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const result = { grpc: [] as number[], signed: [] as number[], sdk: [] as number[] };
const signed = async () => {
  const answer = await signedQuery(orders.url, orders.key, {
    Action: 'DescribeInstances',
    Version: '2016-11-15',
  });
  if (answer.status !== 200) throw new Error(`DescribeInstances answered ${answer.status}`);
};
// Warm both paths up before measuring.
await rate(() => grpc.describeInstances({}, { accountId: orders.key.accountId }));
await rate(signed);
for (let round = 0; round < orders.rounds; round++) {
  result.grpc.push(await rate(() => grpc.describeInstances({}, { accountId: orders.key.accountId })));
  result.signed.push(await rate(signed));
  result.sdk.push(await rate(() => ec2.send(new DescribeInstancesCommand({}))));
}
grpc.close();
ec2.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
