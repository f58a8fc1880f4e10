import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerService } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { type Client, createClient, createLogger, type TraceJoiner } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRuntime, type FakeRuntime } from '../fake/fake-runtime.js';
import { type DesiredInit, type FakeCompute, startFakeCompute } from '../testing/fake-compute.js';
import { testInstanceId, testPrivateIp } from '../testing/test-instances.js';
import { openActedStore } from './acted-generations.js';
import { createWorkerAgent } from './worker-agent.js';

const logger = createLogger({ service: 'worker-agent-test', level: 'silent' });

let compute: FakeCompute;
let client: Client<typeof WorkerService>;
let runtime: FakeRuntime;
let stopAgent: AbortController;
let running: Promise<void>;
let home: string;

function desired(instanceId: string, extra: Record<string, unknown> = {}): DesiredInit {
  return {
    instanceId,
    generation: 1n,
    desiredState: 'running',
    stopTimeoutMs: 1_000,
    bootCommand: 'sleep 1000',
    vcpus: 2,
    memoryMib: 1024,
    instanceType: 't3.micro',
    imageId: 'ami-0123456789abcdef0',
    zone: 'nimbus-1a',
    region: 'nimbus-1',
    accountId: '111111111111',
    privateIp: testPrivateIp(),
    volumes: [{ volumeId: 'vol-0123456789abcdef0', deviceName: '/dev/xvda', isRoot: true }],
    ...extra,
  } as DesiredInit;
}

/** The traces the agent joined: which traceparent, for what. */
const joined: { traceparent: string | undefined; name: string }[] = [];
const tracing: TraceJoiner = {
  capture: () => undefined,
  continue(traceparent, name, work) {
    joined.push({ traceparent, name });
    return work();
  },
};

async function startAgent() {
  stopAgent = new AbortController();
  const agent = createWorkerAgent({
    name: 'worker-nimbus-1a',
    zone: 'nimbus-1a',
    region: 'nimbus-1',
    vcpus: 8,
    memoryMiB: 16_384,
    address: '127.0.0.1:1',
    version: 'test',
    runtime,
    client,
    accountId: '000000000000',
    acted: await openActedStore(undefined),
    logger,
    backoffInitialMs: 50,
    backoffMaxMs: 200,
    reportDelayMs: 10,
    tracing,
  });
  running = agent.run(stopAgent.signal);
  return agent;
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'nimbus-agent-'));
  compute = await startFakeCompute();
  client = createClient(WorkerService, compute.address);
  runtime = createFakeRuntime();
});

afterEach(async () => {
  stopAgent.abort();
  await running;
  await runtime.close();
  client.close();
  await compute.stop().catch(() => {});
  await rm(home, { recursive: true, force: true });
});

async function registeredAgent() {
  await startAgent();
  await waitUntil(() => compute.received.some((r) => r.message.case === 'register'));
  compute.registered();
}

describe('worker agent', () => {
  it('registers with its zone, capacity and runtime, then reports a full set', async () => {
    await registeredAgent();
    const register = compute.received.find((r) => r.message.case === 'register')?.message.value;
    expect(register).toMatchObject({
      workerName: 'worker-nimbus-1a',
      zone: 'nimbus-1a',
      vcpus: 8,
      memoryMib: 16_384,
      runtime: 'fake',
      address: '127.0.0.1:1',
      limitsEnforced: false,
    });
    const first = await waitUntil(() => compute.received.find((r) => r.message.case === 'observed'));
    expect(first.message.value).toMatchObject({ full: true, instances: [], availableVcpus: 8 });
  });

  it('runs what compute desires, stops and terminates it, and reports each step', async () => {
    await registeredAgent();
    const a = testInstanceId();
    const b = testInstanceId();
    compute.desired(true, [desired(a), desired(b)]);
    await waitUntil(() => compute.latest(a)?.phase === 'running' && compute.latest(b)?.phase === 'running');
    expect(compute.latest(a)).toMatchObject({ generation: 1n, instanceStatus: 'ok' });

    compute.desired(false, [desired(a, { generation: 2n, desiredState: 'stopped' })]);
    await waitUntil(() => compute.latest(a)?.phase === 'stopped' && compute.latest(a)?.generation === 2n);
    expect(runtime.observeInstance(a)?.phase).toBe('stopped');

    // An older message than the one held changes nothing.
    compute.desired(false, [desired(a, { generation: 1n, desiredState: 'running' })]);
    compute.desired(false, [desired(b, { generation: 2n, desiredState: 'terminated' })]);
    await waitUntil(() => runtime.observeInstance(b) === undefined);
    expect(compute.latest(b)?.phase).toBe('stopped');
    expect(runtime.observeInstance(a)?.phase).toBe('stopped');
  });

  it('boots an instance in the trace of the call that launched it', async () => {
    await registeredAgent();
    const a = testInstanceId();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    compute.desired(true, [desired(a, { traceparent })]);
    await waitUntil(() => compute.latest(a)?.phase === 'running');
    expect(joined).toContainEqual({ traceparent, name: `boot ${a}` });
  });

  it('reboots when the reboot generation grows, once, and reports it', async () => {
    await registeredAgent();
    const id = testInstanceId();
    compute.desired(true, [desired(id)]);
    await waitUntil(() => compute.latest(id)?.phase === 'running');
    compute.desired(false, [desired(id, { generation: 2n, rebootGeneration: 1n })]);
    await waitUntil(() => compute.latest(id)?.rebootGeneration === 1n);
    expect(runtime.observeInstance(id)?.bootCount).toBe(2);
    // The same reboot generation again (another change of the instance): no second reboot.
    compute.desired(false, [desired(id, { generation: 3n, rebootGeneration: 1n, publicIp: '127.64.0.3' })]);
    await waitUntil(() => compute.latest(id)?.generation === 3n);
    expect(runtime.observeInstance(id)?.bootCount).toBe(2);
  });

  it('kills what a full set leaves out, and reports a crash as impaired', async () => {
    await registeredAgent();
    const kept = testInstanceId();
    const dropped = testInstanceId();
    compute.desired(true, [desired(kept), desired(dropped)]);
    await waitUntil(() => runtime.observe().filter((o) => o.phase === 'running').length === 2);
    compute.desired(true, [desired(kept)]);
    await waitUntil(() => runtime.observeInstance(dropped) === undefined);

    runtime.exit(kept, 3);
    const crashed = await waitUntil(() => compute.latest(kept)?.phase === 'crashed' && compute.latest(kept));
    expect(crashed).toMatchObject({
      exitCode: 3,
      instanceStatus: 'impaired',
      statusMessage: expect.stringContaining('3'),
    });
    // A crashed instance stays down until compute asks: a reboot boots it once.
    compute.desired(false, [desired(kept, { generation: 2n, rebootGeneration: 1n })]);
    await waitUntil(
      () => compute.latest(kept)?.rebootGeneration === 1n && compute.latest(kept)?.phase === 'running',
    );
    expect(runtime.observeInstance(kept)?.bootCount).toBe(2);
  });

  it('reports an instance it cannot set up with an error', async () => {
    await registeredAgent();
    const id = testInstanceId();
    compute.desired(true, [desired(id, { volumes: [] })]);
    const seen = await waitUntil(() => compute.latest(id));
    expect(seen).toMatchObject({ phase: 'crashed', error: expect.stringContaining('no root volume') });
  });

  it('reconnects when compute restarts, registers again, and keeps its instances', async () => {
    await registeredAgent();
    const id = testInstanceId();
    compute.desired(true, [desired(id)]);
    await waitUntil(() => compute.latest(id)?.phase === 'running');
    await compute.stop();
    await compute.restart();
    await waitUntil(() => compute.streams === 2 && compute.open, { message: 'the worker to reconnect' });
    const registers = compute.received.flatMap((r) =>
      r.message.case === 'register' ? [r.message.value] : [],
    );
    expect(registers).toHaveLength(2);
    // Both registrations come from the same agent process.
    expect(registers[1]?.bootId).toBe(registers[0]?.bootId);
    compute.registered();
    compute.desired(true, [desired(id)]);
    const before = compute.received.length;
    await waitUntil(() =>
      compute.received.slice(before).some((r) => r.message.case === 'observed' && r.message.value.full),
    );
    expect(runtime.observeInstance(id)).toMatchObject({ phase: 'running', bootCount: 1 });
  });

  it('sends heartbeats when it has nothing else to say', async () => {
    await startAgent();
    await waitUntil(() => compute.received.some((r) => r.message.case === 'register'));
    compute.registered({ heartbeatIntervalMs: 100 });
    await waitUntil(() => compute.received.filter((r) => r.message.case === 'heartbeat').length >= 2);
  });

  it('carries thousands of fake instances: one full set in, every one reported running', async () => {
    await registeredAgent();
    const ids = Array.from({ length: 3_000 }, () => testInstanceId());
    compute.desired(
      true,
      ids.map((id) => desired(id)),
    );
    await waitUntil(
      () => {
        const last = compute.received.findLast((r) => r.message.case === 'observed' && r.message.value.full);
        const seen = new Set<string>();
        for (const r of compute.received) {
          if (r.message.case !== 'observed') continue;
          for (const i of r.message.value.instances) if (i.phase === 'running') seen.add(i.instanceId);
        }
        return (last !== undefined && seen.size === ids.length) || undefined;
      },
      { timeoutMs: 20_000, message: 'every instance reported running' },
    );
    expect(runtime.observe()).toHaveLength(3_000);
  });
});
