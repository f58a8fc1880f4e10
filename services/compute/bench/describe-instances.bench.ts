/**
 * DescribeInstances over 10,000 instances of one account: every page of
 * 1,000 instances filtered by state (instance-state-name=running, 8,000 of
 * them), through gRPC. Goal (issue 6): p99 of a page at most 200 ms. Baseline,
 * in the same run on the same etcd: listing the account's 10,000 records
 * straight from the store (what every call reads), to show what the service
 * adds. Also reported: the heap compute holds per 10,000 instances (its
 * informers: the worker hub's and the controller's), measured after a forced
 * GC before and after the records exist.
 *
 * The records are written straight to the store (the bench measures reads,
 * not launches), as running or stopped instances on no worker, so that the
 * controller has nothing to do with them. Compute runs alone: the services it
 * calls are not needed for reads.
 *
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/compute/bench/describe-instances.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { openNatsEventBus } from '@nimbus/events';
import { createClient, createLogger, hostServiceModule } from '@nimbus/runtime';
import { newId } from '@nimbus/service-kit';
import { openEtcdStore, type TxnOp } from '@nimbus/store';
import { median, percentile, reportBench, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { createComputeServiceModule } from '../src/service.js';
import { computeKeys } from '../src/state/compute-keys.js';
import type { InstanceRecord } from '../src/state/instance-records.js';

const INSTANCES = 10_000;
const PAGE = 1_000;
const ROUNDS = 5;
const account = '111111111111';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const etcd = await startEtcd();
const nats = await startNats();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.all([etcd.dispose(), nats.dispose()]).finally(() => process.exit(1));
  });
}
const store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/b-${randomUUID()}` });
const bus = await openNatsEventBus({ servers: nats.endpoint });
const nowhere = '127.0.0.1:9';
const hosted = await hostServiceModule(createComputeServiceModule(), {
  store,
  bus,
  logger: createLogger({ service: 'compute', level: 'silent' }),
  env: {
    NIMBUS_AUTH_TOKENS: `token-a=${account}`,
    NIMBUS_SERVICE_TOKEN: `bench-${randomUUID()}`,
    NIMBUS_ENDPOINTS: JSON.stringify({ network: nowhere, 'block-storage': nowhere, image: nowhere }),
  },
});
const client = createClient(ComputeService, hosted.address, { token: 'token-a' });

function record(i: number): InstanceRecord {
  const instanceId = newId('i');
  const ip = `127.16.${(i >> 8) & 255}.${i & 255}`;
  const now = new Date().toISOString();
  return {
    instanceId,
    ownerId: account,
    reservationId: newId('r'),
    requesterId: '',
    amiLaunchIndex: 0,
    clientToken: '',
    createTime: now,
    imageId: 'ami-0123456789abcdef0',
    instanceType: 't3.micro',
    keyName: '',
    publicKey: '',
    availabilityZone: 'nimbus-1a',
    subnetId: 'subnet-0123456789abcdef0',
    vpcId: 'vpc-0123456789abcdef0',
    groups: [{ groupId: 'sg-0123456789abcdef0', groupName: 'default' }],
    userData: '',
    requestedPrivateIp: '',
    associatePublicIp: true,
    interfaceDeleteOnTermination: true,
    shutdownBehavior: 'stop',
    disableApiTermination: false,
    metadataOptions: {
      httpTokens: 'optional',
      httpEndpoint: 'enabled',
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: 'disabled',
    },
    tags: [{ key: 'Name', value: `web-${i}` }],
    volumeTags: [],
    image: { bootCommand: 'exec node ./server.mjs', rootDeviceName: '/dev/xvda', architecture: 'x86_64' },
    desired: i % 5 === 0 ? 'stopped' : 'running',
    forceStop: false,
    rebootGeneration: 0,
    generation: 3,
    state: i % 5 === 0 ? 'stopped' : 'running',
    stateTransitionReason: '',
    launchTime: now,
    volumes: [
      {
        deviceName: '/dev/xvda',
        snapshotId: 'snap-0123456789abcdef0',
        size: 8,
        volumeType: 'gp2',
        iops: 100,
        throughput: 0,
        encrypted: false,
        deleteOnTermination: true,
        isRoot: true,
        volumeId: newId('vol'),
        hostPath: `/var/lib/nimbus/volumes/vol-${i}`,
        attachTime: now,
        ready: true,
        attached: true,
      },
    ],
    networkInterfaceId: newId('eni'),
    attachmentId: '',
    privateIpAddress: ip,
    privateDnsName: `ip-${ip.replaceAll('.', '-')}.nimbus-1.compute.internal`,
    macAddress: '02:00:00:00:00:01',
    subnetCidrBlock: '127.16.0.0/20',
    publicIp: '',
    workerName: '',
  };
}

const before = heapAfterGc();
for (let i = 0; i < INSTANCES; i += 100) {
  const ops: TxnOp[] = [];
  for (let j = i; j < Math.min(INSTANCES, i + 100); j++) {
    const r = record(j);
    ops.push({ type: 'create', key: computeKeys.instance(account, r.instanceId), value: JSON.stringify(r) });
  }
  const result = await store.txn(ops);
  if (!result.ok) throw new Error('seeding failed');
}
const running = INSTANCES - INSTANCES / 5;

async function pages(): Promise<number[]> {
  const latencies: number[] = [];
  let nextToken = '';
  let seen = 0;
  do {
    const started = performance.now();
    const page = await client.describeInstances({
      filters: [{ name: 'instance-state-name', values: ['running'] }],
      maxResults: PAGE,
      nextToken,
    });
    latencies.push(performance.now() - started);
    seen += page.reservations.reduce((sum, r) => sum + r.instances.length, 0);
    nextToken = page.nextToken;
  } while (nextToken);
  if (seen !== running) throw new Error(`saw ${seen} running instances, not ${running}`);
  return latencies;
}

async function rawList(): Promise<number> {
  const started = performance.now();
  let after: string | undefined;
  let count = 0;
  for (;;) {
    const page = await store.list(computeKeys.instances(account), {
      limit: 500,
      ...(after ? { after } : {}),
    });
    for (const kv of page.items) JSON.parse(kv.value);
    count += page.items.length;
    if (!page.more) break;
    after = page.items.at(-1)?.key;
  }
  if (count !== INSTANCES) throw new Error(`listed ${count}`);
  return performance.now() - started;
}

// The informers hold every record once the pages show them all; warm-up rounds first, while the
// controller looks once at each new instance.
await waitUntil(async () => (await pages()).length > 0, { timeoutMs: 60_000 });
for (let i = 0; i < 3; i++) await pages();
const heldBytes = heapAfterGc() - before;

const ours: number[] = [];
const baseline: number[] = [];
const oursP99: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const latencies = await pages();
  ours.push(...latencies);
  oursP99.push(percentile(latencies, 99));
  baseline.push(await rawList());
}

reportBench({
  suite: 'compute-describe-instances',
  rounds: ROUNDS,
  figures: [
    {
      name: `DescribeInstances p99 of a ${PAGE}-instance page filtered by state, ${INSTANCES} instances`,
      unit: 'ms',
      value: percentile(ours, 99),
      baseline: median(baseline),
      baselineName: `listing the account's ${INSTANCES} records from the store (median)`,
      goal: { max: 200 },
    },
    { name: 'DescribeInstances page median', unit: 'ms', value: median(ours) },
    { name: `compute heap per ${INSTANCES} instances (informers)`, unit: 'MiB', value: heldBytes / 2 ** 20 },
  ],
});

client.close();
await hosted.stop();
await bus.close();
await store.close();
await Promise.all([etcd.dispose(), nats.dispose()]);
