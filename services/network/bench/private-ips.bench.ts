/**
 * 10,000 private IPs allocated by 16 concurrent callers, with no address held
 * twice. Ours: CreateNetworkInterface over gRPC, one address per interface,
 * in a fresh /18 subnet per run; afterwards DescribeNetworkInterfaces (paged)
 * must show one interface per successful call and no address twice, or the
 * bench fails. Baseline, in the same run on the same etcd: the same 10,000
 * claims sent straight through the raw etcd3 client, one create-if-absent
 * transaction per address key, each caller taking the next address from a
 * shared cursor.
 *
 * The ratio is what the service adds (gRPC, reads of the subnet and groups,
 * the interface record, its event). Until November 2026 each attempt listed
 * the subnet's claims, picked the lowest free address and rewrote the subnet,
 * so concurrent creates all conflicted: about 12 interfaces/s with 16
 * callers on the 2-core machine this was written on. Now creates only check
 * the subnet's revision and choose from a per-subnet pool starting at a
 * random free address: about 540/s there. Ours still stops starting calls
 * after OURS_DEADLINE_MS and reports its rate over what it allocated, so a
 * regression shows as `allocated` missing its goal rather than a timeout.
 *
 * The baseline runs at least BASELINE_MIN_RUNS times; ours runs again only
 * when it finished and another pair of runs fits in RUN_BUDGET_MS. Runs
 * alternate; figures are medians.
 *
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/network/bench/private-ips.bench.ts
 */
import { median, reportBench, startEtcd, startNats } from '@nimbus/testkit';
import { Etcd3 } from 'etcd3';
import { formatIpv4, hostRange, parseCidr } from '../src/domain/cidr.js';
import { startNetworkUnderTest } from '../src/testing/network-under-test.js';

const ADDRESSES = 10_000;
const CALLERS = 16;
const BASELINE_MIN_RUNS = 3;
/** Ours starts no call after this long in one run (the whole bench must stay near 2 minutes). */
const OURS_DEADLINE_MS = 60_000;
/** Another ours run starts only if, after the last pair, the bench would still be under this. */
const RUN_BUDGET_MS = 100_000;

interface Run {
  /** Addresses claimed: ADDRESSES, or fewer when ours reached its deadline. */
  allocated: number;
  addressesPerSecond: number;
  duplicates: number;
  ms: number;
}

/**
 * Calls `allocate` from CALLERS loops until ADDRESSES calls were made or, after
 * `deadlineMs`, no new call starts; returns how many completed and the elapsed ms.
 */
async function concurrently(
  allocate: (index: number) => Promise<void>,
  deadlineMs = Number.POSITIVE_INFINITY,
): Promise<{ allocated: number; ms: number }> {
  let next = 0;
  let allocated = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < ADDRESSES && performance.now() - started < deadlineMs) {
        await allocate(next++);
        allocated += 1;
      }
    }),
  );
  return { allocated, ms: performance.now() - started };
}

/** How many of the addresses repeat one before them. */
function duplicatesIn(addresses: readonly string[]): number {
  return addresses.length - new Set(addresses).size;
}

const benchStarted = performance.now();
const etcd = await startEtcd();
const nats = await startNats();
// Both servers run detached: when `pnpm bench` stops an overrunning bench (SIGTERM), or on Ctrl-C, stop them too.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(
    signal,
    () => void Promise.all([etcd.dispose(), nats.dispose()]).finally(() => process.exit(1)),
  );
}
const net = await startNetworkUnderTest({ etcd, nats, env: { NIMBUS_EDGE: 'off' } });
const raw = new Etcd3({ hosts: etcd.endpoint });

async function ours(run: number): Promise<Run> {
  const { vpc } = await net.client.createVpc({ cidrBlock: `127.${100 + run}.0.0/16` });
  const { subnet } = await net.client.createSubnet({
    vpcId: vpc?.vpcId ?? '',
    cidrBlock: `127.${100 + run}.0.0/18`,
  });
  const subnetId = subnet?.subnetId ?? '';
  const { allocated, ms } = await concurrently(async () => {
    await net.client.createNetworkInterface({ subnetId });
  }, OURS_DEADLINE_MS);

  let interfaces = 0;
  const addresses: string[] = [];
  let nextToken = '';
  do {
    const page = await net.client.describeNetworkInterfaces({
      filters: [{ name: 'subnet-id', values: [subnetId] }],
      maxResults: 1000,
      nextToken,
    });
    interfaces += page.networkInterfaces.length;
    for (const eni of page.networkInterfaces) {
      addresses.push(...eni.privateIpAddresses.map((p) => p.privateIpAddress));
    }
    nextToken = page.nextToken;
  } while (nextToken !== '');
  if (interfaces !== allocated || addresses.length !== allocated) {
    throw new Error(
      `ours, run ${run}: ${interfaces} interfaces holding ${addresses.length} addresses after ${allocated} creates`,
    );
  }
  if (allocated < ADDRESSES) {
    console.error(
      `ours, run ${run}: only ${allocated} of ${ADDRESSES} addresses in ${(ms / 1000).toFixed(0)} s; ` +
        `at that rate 10,000 would take ${((ADDRESSES / allocated) * (ms / 1000)).toFixed(0)} s or more`,
    );
  }
  return { allocated, addressesPerSecond: allocated / (ms / 1000), duplicates: duplicatesIn(addresses), ms };
}

async function baseline(run: number): Promise<Run> {
  const { first, last } = hostRange(parseCidr(`127.${200 + run}.0.0/18`));
  const prefix = `/bench/private-ips/${run}/`;
  let cursor = first;
  let lost = 0;
  const { allocated, ms } = await concurrently(async (index) => {
    for (;;) {
      if (cursor > last) throw new Error(`baseline, run ${run}: the subnet ran out of addresses`);
      const key = prefix + formatIpv4(cursor++);
      const claim = await raw
        .if(key, 'Create', '==', 0)
        .then(raw.put(key).value(JSON.stringify({ call: index })))
        .commit();
      if (claim.succeeded) return;
      lost += 1;
    }
  });
  if (lost > 0) console.error(`baseline, run ${run}: ${lost} claims found their address taken`);
  const claims = await raw.getAll().prefix(prefix).strings();
  const addresses = Object.keys(claims).map((key) => key.slice(prefix.length));
  const calls = new Set(Object.values(claims)).size;
  if (addresses.length !== allocated || calls !== allocated) {
    throw new Error(`baseline, run ${run}: ${addresses.length} claims by ${calls} calls after ${allocated}`);
  }
  return { allocated, addressesPerSecond: allocated / (ms / 1000), duplicates: duplicatesIn(addresses), ms };
}

const runs = { ours: [] as Run[], baseline: [] as Run[] };
try {
  for (let run = 0; ; run++) {
    const last = { ours: runs.ours.at(-1), baseline: runs.baseline.at(-1) };
    const pairMs = (last.ours?.ms ?? 0) + (last.baseline?.ms ?? 0);
    const oursWanted =
      last.ours === undefined ||
      (last.ours.allocated === ADDRESSES && performance.now() - benchStarted + pairMs < RUN_BUDGET_MS);
    const baselineWanted = runs.baseline.length < BASELINE_MIN_RUNS || oursWanted;
    if (!oursWanted && !baselineWanted) break;
    // The baseline goes first in even runs, so ours does not always meet a fresher etcd.
    for (const side of run % 2 === 0 ? (['baseline', 'ours'] as const) : (['ours', 'baseline'] as const)) {
      if (side === 'ours' ? !oursWanted : !baselineWanted) continue;
      const result = await (side === 'ours' ? ours(run) : baseline(run));
      runs[side].push(result);
      console.error(
        `run ${run} ${side}: ${result.allocated} addresses, ${result.addressesPerSecond.toFixed(0)} addresses/s, ${result.duplicates} duplicates`,
      );
    }
  }
} finally {
  raw.close();
  await net.stop();
  await Promise.all([etcd.dispose(), nats.dispose()]);
}

const duplicates = [...runs.ours, ...runs.baseline].reduce((sum, r) => sum + r.duplicates, 0);
reportBench({
  suite: 'network-private-ips',
  rounds: runs.ours.length,
  figures: [
    {
      name: `private_ips.by_16_callers.addresses_per_s (ours: ${runs.ours.length} run(s), baseline: ${runs.baseline.length})`,
      unit: 'addresses/s',
      value: median(runs.ours.map((r) => r.addressesPerSecond)),
      baseline: median(runs.baseline.map((r) => r.addressesPerSecond)),
      baselineName: 'raw etcd3 client, create-if-absent per address',
    },
    {
      name: `private_ips.by_16_callers.allocated_within_${OURS_DEADLINE_MS / 1000}_s`,
      unit: 'addresses',
      value: median(runs.ours.map((r) => r.allocated)),
      goal: { min: ADDRESSES },
    },
    { name: 'private_ips.duplicates', unit: 'addresses', value: duplicates, goal: { max: 0 } },
  ],
});
if (duplicates > 0) {
  console.error(`FAIL: ${duplicates} private addresses were handed out twice`);
  process.exitCode = 1;
}
