import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetadataService } from '../imds/metadata-service.js';
import type { InstanceRuntime, ObservedInstance } from '../runtime/instance-runtime.js';
import type { MetadataEndpoints } from '../runtime/metadata-endpoints.js';
import { getJson, makeTestInstance } from '../testing/test-instances.js';
import { cfsPeriodUs, probeCgroups } from './cgroups.js';
import { processesWithEnv, readProcStat } from './proc.js';
import { createProcessRuntime, workerIdEnv } from './process-runtime.js';

const logger = createLogger({ service: 'worker-test', level: 'silent' });

let home: string;
let workerId: string;
const runtimes: InstanceRuntime[] = [];

function newRuntime(
  extra: { consoleSegmentBytes?: number; metadata?: MetadataEndpoints; cgroups?: 'auto' | 'off' } = {},
): InstanceRuntime {
  const runtime = createProcessRuntime({
    home,
    workerId,
    logger,
    stopGraceMs: 2_000,
    sampleIntervalMs: 100,
    ...extra,
  });
  runtimes.push(runtime);
  return runtime;
}

function observed(runtime: InstanceRuntime, instanceId: string): ObservedInstance | undefined {
  return runtime.observe().find((o) => o.instanceId === instanceId);
}

/** Inits of this worker's instances (process group leaders), by instance id. */
async function inits(): Promise<Map<number, number>> {
  const processes = await processesWithEnv(workerIdEnv, workerId);
  const leaders = processes.filter((p) => p.pid === p.pgid);
  return new Map(leaders.map((p) => [p.pid, p.startTime]));
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'nimbus-worker-'));
  workerId = randomBytes(6).toString('hex');
});

afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  // Whatever a test left running (it must not), this ends it.
  for (const p of await processesWithEnv(workerIdEnv, workerId)) process.kill(p.pid, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe('process runtime', () => {
  it('boots the image command in the root volume with the instance environment, and user data after it', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home, {
      userData: new TextEncoder().encode(
        '#!/bin/sh\necho "user data in $PWD for $NIMBUS_INSTANCE_ID"\ntouch ran-user-data\n',
      ),
    });
    await runtime.start(instance.spec);

    const seen = await waitUntil(() => getJson(instance.url), { message: 'the instance to serve HTTP' });
    expect(seen).toMatchObject({
      instanceId: instance.spec.instanceId,
      privateIp: instance.spec.privateIp,
      zone: 'nimbus-1a',
      cwd: instance.root,
    });
    await waitUntil(() => existsSync(join(instance.root, 'ran-user-data')), { message: 'user data to run' });
    const output = await waitUntil(
      async () => {
        const text = await runtime.consoleOutput(instance.spec.instanceId);
        return text.includes('user data exited with status 0') && text;
      },
      { message: 'user data output on the console' },
    );
    expect(output).toContain(`serving on ${instance.spec.privateIp}`);
    expect(output).toContain(`user data in ${instance.root} for ${instance.spec.instanceId}`);
    expect(observed(runtime, instance.spec.instanceId)).toMatchObject({ phase: 'running', bootCount: 1 });
    const port = Number(new URL(instance.url).port);
    const ports = await waitUntil(
      () => {
        const seen = observed(runtime, instance.spec.instanceId)?.listeningPorts ?? [];
        return seen.length > 0 && seen;
      },
      { message: 'the listening port to be seen' },
    );
    expect(ports).toEqual([{ protocol: 'tcp', address: instance.spec.privateIp, port }]);
  });

  it('puts each instance in its own process group and cgroups with its type limits, or says they are not enforced', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home, { vcpus: 2, memoryMiB: 512 });
    await runtime.start(instance.spec);
    const seen = await waitUntil(() => getJson<{ pid: number }>(instance.url));
    const state = observed(runtime, instance.spec.instanceId);
    const pid = state?.pid as number;
    // The server is exec'd by the boot shell, a child of the init, in the init's process group.
    const serverStat = await readFile(`/proc/${seen.pid}/stat`, 'utf8');
    expect(Number(serverStat.slice(serverStat.lastIndexOf(')') + 2).split(' ')[2])).toBe(pid);

    const support = await probeCgroups(`nimbus-${workerId}`);
    if (!support.available || !support.parents) {
      expect(state?.limits).toEqual({ enforced: false, reason: support.reason });
      return;
    }
    expect(state?.limits).toEqual({ enforced: true });
    const cpu = join(support.parents.cpu, instance.spec.instanceId);
    const memory = join(support.parents.memory, instance.spec.instanceId);
    expect(Number(await readFile(join(cpu, 'cpu.cfs_quota_us'), 'utf8'))).toBe(2 * cfsPeriodUs);
    expect(Number(await readFile(join(memory, 'memory.limit_in_bytes'), 'utf8'))).toBe(512 * 1024 * 1024);
    expect((await readFile(join(memory, 'cgroup.procs'), 'utf8')).split('\n')).toContain(String(seen.pid));
    const usage = await waitUntil(() => observed(runtime, instance.spec.instanceId)?.usage);
    expect(usage.memoryBytes).toBeGreaterThan(1024 * 1024);

    await runtime.stop(instance.spec.instanceId);
    expect(existsSync(cpu)).toBe(false);
    expect(existsSync(memory)).toBe(false);
  });

  it('without cgroups, says the limits are not enforced and still samples and ends the whole tree', async () => {
    const runtime = newRuntime({ cgroups: 'off' });
    await runtime.recover();
    const instance = await makeTestInstance(home, {
      userData: new TextEncoder().encode('#!/bin/sh\nsleep 300 &\nsleep 300\n'),
    });
    await runtime.start(instance.spec);
    await waitUntil(() => getJson(instance.url));
    expect(observed(runtime, instance.spec.instanceId)?.limits).toEqual({
      enforced: false,
      reason: 'cgroups are turned off for this worker',
    });
    expect(await runtime.hostLimits()).toMatchObject({ enforced: false });
    const usage = await waitUntil(() => observed(runtime, instance.spec.instanceId)?.usage);
    expect(usage.memoryBytes).toBeGreaterThan(1024 * 1024);
    await runtime.stop(instance.spec.instanceId);
    expect(await processesWithEnv(workerIdEnv, workerId)).toEqual([]);
  });

  it('reboots by restarting the process tree, and stops with SIGTERM', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home);
    await runtime.start(instance.spec);
    const first = await waitUntil(() => getJson<{ pid: number }>(instance.url));

    await runtime.reboot(instance.spec.instanceId);
    const second = await waitUntil(async () => {
      const seen = await getJson<{ pid: number }>(instance.url);
      return seen && seen.pid !== first.pid && seen;
    });
    expect(await readProcStat(first.pid)).toBeUndefined();
    expect(observed(runtime, instance.spec.instanceId)).toMatchObject({ phase: 'running', bootCount: 2 });

    await runtime.stop(instance.spec.instanceId);
    expect(await getJson(instance.url)).toBeUndefined();
    expect(await readProcStat(second.pid)).toBeUndefined();
    expect(await inits()).toEqual(new Map());
    expect(observed(runtime, instance.spec.instanceId)?.phase).toBe('stopped');

    await runtime.start(instance.spec);
    await waitUntil(() => getJson(instance.url), { message: 'the instance to serve again after a start' });
    expect(observed(runtime, instance.spec.instanceId)?.bootCount).toBe(3);
  });

  it('ends a process that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home, {
      bootCommand: "trap '' TERM; echo stubborn; while :; do sleep 0.1; done",
    });
    await runtime.start(instance.spec);
    await waitUntil(async () => (await runtime.consoleOutput(instance.spec.instanceId)).includes('stubborn'));
    const started = Date.now();
    await runtime.stop(instance.spec.instanceId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(await inits()).toEqual(new Map());
  });

  it('reports a boot process that exits by itself, and one that crashes', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const clean = await makeTestInstance(home, { bootCommand: 'echo shutting down; exit 0' });
    const failing = await makeTestInstance(home, { bootCommand: 'echo oops; exit 3' });
    const killed = await makeTestInstance(home, { bootCommand: 'kill -9 $$' });
    const changes: ObservedInstance[] = [];
    runtime.onChange((o) => changes.push(o));
    await Promise.all([runtime.start(clean.spec), runtime.start(failing.spec), runtime.start(killed.spec)]);

    const ended = (id: string) => waitUntil(() => changes.find((o) => o.instanceId === id && o.exit));
    expect(await ended(clean.spec.instanceId)).toMatchObject({ phase: 'exited', exit: { code: 0 } });
    expect(await ended(failing.spec.instanceId)).toMatchObject({
      phase: 'crashed',
      exit: { code: 3, reason: 'the boot process exited with status 3' },
    });
    expect(await ended(killed.spec.instanceId)).toMatchObject({
      phase: 'crashed',
      exit: { signal: 'SIGKILL' },
    });
    expect(await runtime.consoleOutput(failing.spec.instanceId)).toContain('oops');
    await waitUntil(async () => (await inits()).size === 0, {
      message: 'nothing of the ended instances to run',
    });
  });

  it('reports a root volume that cannot be used as a failed boot, not a hang', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home);
    await runtime.start({
      ...instance.spec,
      rootVolume: { volumeId: 'vol-1', hostPath: join(home, 'missing') },
    });
    expect(observed(runtime, instance.spec.instanceId)).toMatchObject({
      phase: 'crashed',
      exit: { reason: expect.stringContaining('could not boot') },
      error: expect.stringContaining('has no'),
    });
  });

  it('a restarted worker re-adopts live instances and never runs a second copy', async () => {
    const first = newRuntime();
    await first.recover();
    const instance = await makeTestInstance(home);
    await first.start(instance.spec);
    const before = await waitUntil(() => getJson<{ pid: number }>(instance.url));
    await first.close({ keepInstances: true });
    runtimes.splice(runtimes.indexOf(first), 1);

    const second = newRuntime();
    const recovered = await second.recover();
    expect(recovered).toEqual([
      expect.objectContaining({ instanceId: instance.spec.instanceId, phase: 'running', adopted: true }),
    ]);
    await second.start(instance.spec);
    expect((await getJson<{ pid: number }>(instance.url))?.pid).toBe(before.pid);
    expect((await inits()).size).toBe(1);

    // The adopted init is not the new worker's child: its end is still seen.
    process.kill(observed(second, instance.spec.instanceId)?.pid as number, 'SIGKILL');
    await waitUntil(() => observed(second, instance.spec.instanceId)?.phase === 'crashed', {
      message: 'the re-adopted instance to be reported crashed',
    });
    expect(await getJson(instance.url)).toBeUndefined();
  });

  it('a restarted worker kills the processes of instances it has no record of', async () => {
    const first = newRuntime();
    await first.recover();
    const kept = await makeTestInstance(home);
    const forgotten = await makeTestInstance(home);
    await first.start(kept.spec);
    await first.start(forgotten.spec);
    await waitUntil(async () => (await getJson(kept.url)) && (await getJson(forgotten.url)));
    await first.close({ keepInstances: true });
    runtimes.splice(runtimes.indexOf(first), 1);
    // As if the worker died between spawning the process and recording it.
    await unlink(join(home, 'instances', forgotten.spec.instanceId, 'state.json'));

    const second = newRuntime();
    await second.recover();
    expect(await getJson(kept.url)).toBeDefined();
    await waitUntil(async () => (await getJson(forgotten.url)) === undefined, {
      message: 'the leftover to be killed',
    });
    expect((await inits()).size).toBe(1);
    expect(second.observe().map((o) => o.instanceId)).toEqual([kept.spec.instanceId]);
    const support = await probeCgroups(`nimbus-${workerId}`);
    if (support.parents) {
      // The forgotten instance's groups went with its processes.
      expect(existsSync(join(support.parents.pids, forgotten.spec.instanceId))).toBe(false);
      expect(existsSync(join(support.parents.pids, kept.spec.instanceId))).toBe(true);
    }
  });

  it('keeps the console bounded, with its latest output', async () => {
    const runtime = newRuntime({ consoleSegmentBytes: 4096 });
    await runtime.recover();
    const instance = await makeTestInstance(home, {
      bootCommand:
        'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo last-line; sleep 30',
    });
    await runtime.start(instance.spec);
    await waitUntil(async () =>
      (await runtime.consoleOutput(instance.spec.instanceId)).includes('last-line'),
    );
    const dir = join(home, 'instances', instance.spec.instanceId);
    await waitUntil(async () => (await stat(join(dir, 'console.log'))).size <= 4096, { message: 'a trim' });
    const tail = await runtime.consoleOutput(instance.spec.instanceId);
    expect(tail.length).toBeLessThanOrEqual(4096 * 2);
    expect(tail).toContain('line 1999');
    expect(tail).not.toContain('line 1\n');
  });

  it('hands out console output since a cursor, across trims, and the tail when it fell behind', async () => {
    const runtime = newRuntime({ consoleSegmentBytes: 8192 });
    await runtime.recover();
    // About 13 KiB at most 4.5 KiB/s: trimmed at least once while read every 50 ms.
    const instance = await makeTestInstance(home, {
      bootCommand:
        'i=0; while [ $i -lt 300 ]; do echo "line $i of the console, padded to some length"; i=$((i+1)); sleep 0.01; done; echo done; sleep 30',
    });
    await runtime.start(instance.spec);
    const first = await runtime.consoleSince(instance.spec.instanceId, undefined);
    expect(first.reset).toBe(true);
    let text = Buffer.from(first.bytes).toString();
    let cursor = first.cursor;
    const resets: boolean[] = [];
    await waitUntil(
      async () => {
        const chunk = await runtime.consoleSince(instance.spec.instanceId, cursor);
        resets.push(chunk.reset);
        text += Buffer.from(chunk.bytes).toString();
        cursor = chunk.cursor;
        return text.includes('done');
      },
      { intervalMs: 50 },
    );
    expect(resets.every((reset) => !reset)).toBe(true);
    expect(existsSync(join(home, 'instances', instance.spec.instanceId, 'console.1.log'))).toBe(true);
    const lines = text.split('\n').filter((l) => l.startsWith('line '));
    const numbers = lines.map((l) =>
      Number(/^line (\d+) of the console, padded to some length$/.exec(l)?.[1]),
    );
    // Read often enough, nothing is repeated or out of order although the file was trimmed
    // meanwhile; only what the instance printed in the instant between a trim's copy and its
    // truncate may be lost (console-log.ts says why): a line or two, not a stretch.
    expect(numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n > (numbers[i - 1] ?? -1)))).toBe(
      true,
    );
    expect(numbers[0]).toBe(0);
    expect(numbers.at(-1)).toBe(299);
    expect(300 - numbers.length).toBeLessThanOrEqual(2);
    const behind = await runtime.consoleSince(instance.spec.instanceId, 0, 1024);
    expect(behind.reset).toBe(true);
    expect(behind.bytes.length).toBe(1024);
  });

  it('leaves no cgroup of its own behind when it closes', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home, { bootCommand: 'sleep 30' });
    await runtime.start(instance.spec);
    const support = await probeCgroups(`nimbus-${workerId}`);
    await runtime.close();
    runtimes.splice(runtimes.indexOf(runtime), 1);
    if (!support.parents) return;
    for (const dir of Object.values(support.parents)) expect(existsSync(dir)).toBe(false);
  });

  it('removing an instance stops it and forgets its files', async () => {
    const runtime = newRuntime();
    await runtime.recover();
    const instance = await makeTestInstance(home, { rootVolume: { volumeId: 'vol-0123456789abcdef0' } });
    await writeFile(join(home, 'unrelated'), '');
    await runtime.start({ ...instance.spec, bootCommand: 'sleep 30' });
    await runtime.remove(instance.spec.instanceId);
    expect(runtime.observe()).toEqual([]);
    expect(existsSync(join(home, 'instances', instance.spec.instanceId))).toBe(false);
    expect(existsSync(join(home, 'roots', instance.spec.instanceId))).toBe(false);
    expect(await inits()).toEqual(new Map());
  });

  it('gives the instance its metadata endpoint, which a restarted worker serves on again', async () => {
    const metadata = createMetadataService({ tokenKey: randomBytes(32), logger });
    const first = newRuntime({ metadata });
    await first.recover();
    const script = [
      '#!/bin/sh',
      'while :; do',
      '  curl -s "$AWS_EC2_METADATA_SERVICE_ENDPOINT"latest/meta-data/instance-id > seen-id.tmp && mv seen-id.tmp seen-id',
      '  sleep 0.1',
      'done',
    ].join('\n');
    const instance = await makeTestInstance(home, { userData: new TextEncoder().encode(script) });
    await first.start(instance.spec);
    const seenId = join(instance.root, 'seen-id');
    const read = async () => (await readFile(seenId, 'utf8').catch(() => '')) === instance.spec.instanceId;
    await waitUntil(read, { message: 'the instance to read its own id from its metadata endpoint' });
    const endpoint = observed(first, instance.spec.instanceId)?.metadataEndpoint;
    expect(new URL(endpoint as string).hostname).toBe(instance.spec.privateIp);
    await first.close({ keepInstances: true });
    runtimes.splice(runtimes.indexOf(first), 1);

    await unlink(seenId);
    const second = newRuntime({ metadata });
    await second.recover();
    expect(observed(second, instance.spec.instanceId)?.metadataEndpoint).toBe(endpoint);
    await waitUntil(read, { message: 'the re-adopted instance to reach its endpoint again' });
  });
});
