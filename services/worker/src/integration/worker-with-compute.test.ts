/**
 * The worker agent with the real compute service: instances launched through
 * the EC2 API run as processes in mounted root volumes, serve HTTP on their
 * private IPs, read their own metadata, and survive a worker restart without
 * a second copy; a worker that dies leaves nothing behind once it returns.
 */
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { processesWithEnv } from '../process/proc.js';
import { useComputeWithWorkers } from '../testing/compute-with-workers.js';

const region = useComputeWithWorkers({
  computeEnv: { NIMBUS_WORKER_LEASE_TTL: '2s', NIMBUS_WORKER_LOST_GRACE: '3s' },
});

/**
 * User data: an HTTP server on the private IP answering with the id it reads
 * from its metadata (IMDSv2), and at /pid with its process id alone (no metadata needed).
 */
const serverUserData = Buffer.from(`#!/bin/sh
echo "user data runs in $PWD"
exec node -e '
const base = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
require("node:http").createServer(async (req, res) => {
  if (req.url === "/pid") return res.end(JSON.stringify({ pid: process.pid }));
  try {
    const token = await (await fetch(base + "latest/api/token", { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" } })).text();
    const id = await (await fetch(base + "latest/meta-data/instance-id", { headers: { "X-aws-ec2-metadata-token": token } })).text();
    res.end(JSON.stringify({ id, pid: process.pid }));
  } catch (error) {
    console.log("metadata: " + error.message + " " + (error.cause && error.cause.message));
    res.statusCode = 503;
    res.end("{}");
  }
}).listen(8080, process.env.NIMBUS_PRIVATE_IP, () => console.log("serving on " + process.env.NIMBUS_PRIVATE_IP));
'
`).toString('base64');

const images = new Map<string, Promise<string>>();
/** One image per boot command for the whole file. */
const imageWith = (bootCommand: string) => {
  let image = images.get(bootCommand);
  if (!image) {
    image = region.image(bootCommand);
    images.set(bootCommand, image);
  }
  return image;
};

async function launch(
  zone: string,
  options: { bootCommand?: string; userData?: string } = {},
): Promise<{ instanceId: string; url: string }> {
  const imageId = await imageWith(options.bootCommand ?? 'sleep infinity');
  // A worker started a moment ago may not be Ready in compute yet: until it is, the zone has no capacity.
  const run = await waitUntil(
    () =>
      region.client.runInstances({
        imageId,
        minCount: 1,
        maxCount: 1,
        instanceType: 't3.micro',
        userData: options.userData ?? serverUserData,
        placement: { availabilityZone: zone },
      }),
    { message: `capacity in ${zone}` },
  );
  const instanceId = run.instances[0]?.instanceId ?? '';
  const running = await waitUntil(
    async () => {
      const instance = await describeInstance(instanceId);
      return instance?.state?.name === 'running' && instance;
    },
    { timeoutMs: 20_000, message: `${instanceId} to run` },
  );
  return { instanceId, url: `http://${running.privateIpAddress}:8080/` };
}

async function describeInstance(instanceId: string) {
  const answer = await region.client.describeInstances({ instanceIds: [instanceId] });
  return answer.reservations[0]?.instances[0];
}

async function ask(url: string): Promise<{ id?: string; pid: number } | undefined> {
  try {
    return (await (await fetch(url, { signal: AbortSignal.timeout(2_000) })).json()) as {
      id: string;
      pid: number;
    };
  } catch {
    return undefined;
  }
}

/** The instance's init processes on this host (process group leaders carrying its id). */
async function initsOf(instanceId: string): Promise<number> {
  const processes = await processesWithEnv('NIMBUS_INSTANCE_ID', instanceId);
  return processes.filter((p) => p.pid === p.pgid).length;
}

const waitState = (instanceId: string, state: string) =>
  waitUntil(async () => (await describeInstance(instanceId))?.state?.name === state, {
    timeoutMs: 20_000,
    message: `${instanceId} to be ${state}`,
  });

describe('worker agent with compute', () => {
  it('runs an instance through its whole life: HTTP on its private IP, metadata, console, reboot, stop, start, terminate', async () => {
    const worker = await region.startWorker('nimbus-1a');
    const { instanceId, url } = await launch('nimbus-1a');
    const first = await waitUntil(() => ask(url), { message: 'the instance to serve' });
    expect(first.id).toBe(instanceId);

    const consoleText = await waitUntil(
      async () => {
        const { output } = await region.client.getConsoleOutput({ instanceId });
        const text = Buffer.from(output, 'base64').toString();
        return text.includes('serving on') && text;
      },
      { message: 'the console output' },
    );
    expect(consoleText).toContain(`user data runs in ${worker.home}/roots/${instanceId}`);
    await waitUntil(async () => {
      const { instanceStatuses } = await region.client.describeInstanceStatus({ instanceIds: [instanceId] });
      return instanceStatuses[0]?.instanceStatus?.status === 'ok';
    });
    // Its usage, as the worker's metrics show it.
    await waitUntil(
      async () => {
        const text = await (await fetch(worker.metricsUrl)).text();
        const memory = new RegExp(
          `^nimbus_instance_memory_bytes\\{[^}]*instance_id="${instanceId}"[^}]*\\} (\\d+)`,
          'm',
        );
        return (
          Number(memory.exec(text)?.[1] ?? 0) > 1_000_000 &&
          /nimbus_worker_instances\{[^}]*phase="running"/.test(text)
        );
      },
      { message: "the instance's memory in the worker's metrics" },
    );

    await region.client.rebootInstances({ instanceIds: [instanceId] });
    await waitUntil(
      async () => {
        const seen = await ask(url);
        return seen && seen.pid !== first.pid;
      },
      { message: 'the rebooted instance to serve from a new process' },
    );

    await region.client.stopInstances({ instanceIds: [instanceId] });
    await waitState(instanceId, 'stopped');
    expect(await ask(url)).toBeUndefined();
    expect(await initsOf(instanceId)).toBe(0);

    await region.client.startInstances({ instanceIds: [instanceId] });
    await waitState(instanceId, 'running');
    await waitUntil(() => ask(url), { message: 'the started instance to serve' });

    await region.client.terminateInstances({ instanceIds: [instanceId] });
    await waitState(instanceId, 'terminated');
    expect(await ask(url)).toBeUndefined();
    expect(await initsOf(instanceId)).toBe(0);
    await worker.stop();
  });

  it('a restarted worker re-adopts its instance: the same process serves on, never a second copy', async () => {
    const worker = await region.startWorker('nimbus-1b', { keepInstances: true });
    const { instanceId, url } = await launch('nimbus-1b');
    const before = await waitUntil(() => ask(url));
    await worker.stop();
    expect((await ask(`${url}pid`))?.pid).toBe(before.pid);

    const again = await region.startWorker('nimbus-1b', { home: worker.home });
    // The re-adopted instance still reaches its metadata (same endpoint in its environment).
    await waitUntil(async () => (await ask(url))?.id === instanceId, {
      message: 'metadata after the restart',
    });
    expect((await ask(url))?.pid).toBe(before.pid);
    expect(await initsOf(instanceId)).toBe(1);
    expect((await describeInstance(instanceId))?.state?.name).toBe('running');
    await region.client.terminateInstances({ instanceIds: [instanceId] });
    await waitState(instanceId, 'terminated');
    await again.stop();
  });

  it('a worker that dies: its instance is impaired, then lost; back, the worker kills the leftover', async () => {
    const worker = await region.startWorker('nimbus-1a', { keepInstances: true });
    const { instanceId, url } = await launch('nimbus-1a');
    await waitUntil(() => ask(url));
    await worker.stop();

    await waitUntil(
      async () => {
        const { instanceStatuses } = await region.client.describeInstanceStatus({
          instanceIds: [instanceId],
          includeAllInstances: true,
        });
        return instanceStatuses[0]?.systemStatus?.status === 'impaired';
      },
      { timeoutMs: 10_000, message: 'the system status check to be impaired' },
    );
    await waitState(instanceId, 'terminated');
    expect((await describeInstance(instanceId))?.stateReason?.code).toBe('Server.InternalError');
    // Still running on the host: nobody told it otherwise yet.
    expect(await ask(`${url}pid`)).toBeDefined();

    const back = await region.startWorker('nimbus-1a', { home: worker.home });
    await waitUntil(async () => (await initsOf(instanceId)) === 0, { message: 'the leftover to be killed' });
    expect(await ask(`${url}pid`)).toBeUndefined();
    await back.stop();
  });

  it('a boot process that exits by itself stops the instance; one that crashes impairs it', async () => {
    const worker = await region.startWorker('nimbus-1b');
    const quiet = Buffer.from('#!/bin/sh\necho quiet\n').toString('base64');
    const shutdown = await launch('nimbus-1b', { bootCommand: 'sleep 1; echo bye; exit 0', userData: quiet });
    await waitState(shutdown.instanceId, 'stopped');
    expect((await describeInstance(shutdown.instanceId))?.stateReason?.code).toBe(
      'Client.InstanceInitiatedShutdown',
    );

    const crash = await launch('nimbus-1b', {
      bootCommand: 'sleep 1; echo failing; exit 3',
      userData: quiet,
    });
    await waitUntil(
      async () => {
        const { instanceStatuses } = await region.client.describeInstanceStatus({
          instanceIds: [crash.instanceId],
        });
        return instanceStatuses[0]?.instanceStatus?.status === 'impaired';
      },
      { message: 'the crashed instance to be impaired' },
    );
    expect(await initsOf(crash.instanceId)).toBe(0);
    await region.client.terminateInstances({ instanceIds: [shutdown.instanceId, crash.instanceId] });
    await waitState(crash.instanceId, 'terminated');
    await worker.stop();
  });
});
