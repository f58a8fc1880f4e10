/**
 * The worker agent: one Connect stream to compute's WorkerService (see
 * proto/nimbus/compute/v1/worker_service.proto for the protocol). It
 * registers, applies the desired instances compute sends to its runtime, and
 * reports what the runtime observes: changes as they happen (coalesced), a
 * full report every report interval while instances exist, heartbeats when
 * nothing else went out. When the stream ends (compute restarted, network
 * trouble) it reconnects with exponential backoff; the instances run on
 * meanwhile, and the next full desired set settles what to keep.
 *
 * Desired state is applied level-based, per instance one step at a time: a
 * DesiredInstance older than the one held is ignored; an instance absent from
 * a full set, or desired "terminated", is killed and forgotten.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type {
  ConnectRequestSchema,
  DesiredInstance,
  DesiredInstances,
  Registered,
  WorkerService,
} from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import type { Client, TraceJoiner } from '@nimbus/runtime';
import type { Logger } from 'pino';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';
import type { ActedStore } from './acted-generations.js';
import { createAsyncQueue } from './async-queue.js';
import { specOf } from './desired-spec.js';
import { type ObservedInstanceInit, observedReport } from './observed-report.js';

type ConnectRequestInit = MessageInitShape<typeof ConnectRequestSchema>;

/** Console bytes per instance per report, as the contract bounds them. */
const consoleBytesPerReport = 64 * 1024;

export interface WorkerAgentOptions {
  /** worker_name: unique in the region, stable across restarts, e.g. `worker-nimbus-1a`. */
  name: string;
  zone: string;
  /** The region, until compute's Registered names it. */
  region: string;
  vcpus: number;
  memoryMiB: number;
  /** Register.address: this worker's own address (host:port). */
  address: string;
  version: string;
  runtime: InstanceRuntime;
  client: Client<typeof WorkerService>;
  /** The account the stream is opened for (calls with the service token must name one). */
  accountId: string;
  acted: ActedStore;
  logger: Logger;
  /** Joins an instance's boot to the trace of the call that launched it. */
  tracing?: TraceJoiner;
  /** Reconnect backoff: first wait and cap, ms. Defaults 200 and 5,000. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Changes are reported together after this delay, ms. Default 100. */
  reportDelayMs?: number;
}

export interface WorkerAgent {
  /** Re-adopts what the runtime still runs, then keeps a stream to compute until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** True while a stream is registered. */
  readonly connected: boolean;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createWorkerAgent(options: WorkerAgentOptions): WorkerAgent {
  const { runtime, logger } = options;
  const bootId = crypto.randomUUID();
  const backoffInitialMs = options.backoffInitialMs ?? 200;
  const backoffMaxMs = options.backoffMaxMs ?? 5_000;
  const reportDelayMs = options.reportDelayMs ?? 100;
  const desired = new Map<string, DesiredInstance>();
  const chains = new Map<string, Promise<void>>();
  /** Set-up problems of instances the runtime never got (no root volume in the message). */
  const refused = new Map<string, string>();
  let region = options.region;
  let session: Session | undefined;

  interface Session {
    send(message: ConnectRequestInit): void;
    markDirty(instanceId: string): void;
  }

  const schedule = (instanceId: string) => {
    const previous = chains.get(instanceId) ?? Promise.resolve();
    const next = previous
      .then(() => reconcile(instanceId))
      .catch((error: unknown) =>
        logger.error({ err: error, instanceId }, 'applying the desired state failed'),
      )
      .finally(() => {
        if (chains.get(instanceId) === next) chains.delete(instanceId);
      });
    chains.set(instanceId, next);
  };

  /** Drives one instance one step toward its desired state. */
  const reconcile = async (instanceId: string) => {
    const want = desired.get(instanceId);
    const seen = runtime.observeInstance(instanceId);
    if (!want || want.desiredState === 'terminated') {
      if (seen) {
        await runtime.remove(instanceId, { graceMs: want ? want.stopTimeoutMs : 0 });
        // Its last word before it is forgotten: stopped.
        session?.send({
          message: {
            case: 'observed',
            value: {
              full: false,
              instances: [
                {
                  ...observedReport(
                    { ...seen, phase: 'stopped', listeningPorts: [] },
                    want && { generation: want.generation, rebootGeneration: want.rebootGeneration },
                    undefined,
                  ),
                  pid: 0,
                  instanceStatus: '',
                },
              ],
            },
          },
        });
      }
      refused.delete(instanceId);
      await options.acted.delete(instanceId);
      // Forgotten, so that a long-lived stream does not pile up the terminated. Compute sends each
      // instance's generations in order on one stream, so no older message can bring it back.
      if (desired.get(instanceId) === want) desired.delete(instanceId);
      return;
    }
    let acted = options.acted.get(instanceId);
    if (want.desiredState === 'running') {
      let spec: ReturnType<typeof specOf>;
      try {
        spec = specOf(want, region);
        refused.delete(instanceId);
      } catch (error) {
        refused.set(instanceId, (error as Error).message);
        session?.markDirty(instanceId);
        return;
      }
      const reboot = acted !== undefined && want.rebootGeneration > acted.rebootGeneration;
      const live = seen?.phase === 'running' || seen?.phase === 'starting' || seen?.phase === 'stopping';
      if (!seen || seen.phase === 'stopped' || (reboot && !live)) {
        // Not running (or a reboot of an exited or crashed instance, which is a boot): start it,
        // in the trace of the call that launched it.
        const boot = () => runtime.start(spec);
        await (options.tracing
          ? options.tracing.continue(want.traceparent, `boot ${instanceId}`, boot)
          : boot());
      } else if (live) {
        // Running already: this refreshes only its data (public IP, groups, tags).
        await runtime.start(spec);
        if (reboot) await runtime.reboot(instanceId, { graceMs: want.stopTimeoutMs });
      }
      // Otherwise an exited or crashed instance waits for compute: a stop, a terminate or a reboot.
      acted = { generation: want.generation, rebootGeneration: want.rebootGeneration };
    } else if (want.desiredState === 'stopped') {
      if (seen && seen.phase !== 'stopped') await runtime.stop(instanceId, { graceMs: want.stopTimeoutMs });
      acted = {
        generation: want.generation,
        rebootGeneration: acted?.rebootGeneration ?? want.rebootGeneration,
      };
    } else {
      logger.warn({ instanceId, desiredState: want.desiredState }, 'unknown desired state; ignored');
      return;
    }
    await options.acted.set(instanceId, acted);
    session?.markDirty(instanceId);
  };

  const applyDesired = (message: DesiredInstances) => {
    const touched = new Set<string>();
    for (const instance of message.instances) {
      const held = desired.get(instance.instanceId);
      if (held && held.generation > instance.generation) continue;
      desired.set(instance.instanceId, instance);
      touched.add(instance.instanceId);
    }
    if (message.full) {
      const listed = new Set(message.instances.map((i) => i.instanceId));
      const known = [...desired.keys(), ...runtime.observe().map((o) => o.instanceId)];
      for (const instanceId of known) {
        if (listed.has(instanceId)) continue;
        desired.delete(instanceId);
        touched.add(instanceId);
      }
    }
    for (const instanceId of touched) schedule(instanceId);
  };

  const availableCapacity = () => {
    let vcpus = options.vcpus;
    let memoryMiB = options.memoryMiB;
    for (const o of runtime.observe()) {
      if (o.phase !== 'starting' && o.phase !== 'running' && o.phase !== 'stopping') continue;
      const want = desired.get(o.instanceId);
      vcpus -= want?.vcpus ?? 0;
      memoryMiB -= want?.memoryMib ?? 0;
    }
    return { availableVcpus: Math.max(0, vcpus), availableMemoryMib: Math.max(0, memoryMiB) };
  };

  /** One Connect stream, from Register to its end. */
  const runSession = async (signal: AbortSignal): Promise<boolean> => {
    const outgoing = createAsyncQueue<ConnectRequestInit>();
    const streamAbort = new AbortController();
    const onAbort = () => streamAbort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const cursors = new Map<string, number>();
    const dirty = new Set<string>();
    const timers: NodeJS.Timeout[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    let reporting = Promise.resolve();
    let lastSent = Date.now();
    let registered: Registered | undefined;

    const send = (message: ConnectRequestInit) => {
      outgoing.push(message);
      lastSent = Date.now();
    };

    const reportOf = async (instanceId: string): Promise<ObservedInstanceInit | undefined> => {
      const seen = runtime.observeInstance(instanceId);
      const problem = refused.get(instanceId);
      if (!seen) {
        return problem === undefined
          ? undefined
          : {
              instanceId,
              phase: 'crashed',
              instanceStatus: 'impaired',
              statusMessage: problem,
              error: problem,
            };
      }
      const chunk = await runtime.consoleSince(instanceId, cursors.get(instanceId), consoleBytesPerReport);
      cursors.set(instanceId, chunk.cursor);
      return observedReport(seen, options.acted.get(instanceId), chunk);
    };

    const report = (full: boolean) => {
      reporting = reporting
        .then(async () => {
          const ids = full
            ? [...new Set([...runtime.observe().map((o) => o.instanceId), ...refused.keys()])]
            : [...dirty];
          dirty.clear();
          if (!full && ids.length === 0) return;
          const instances: ObservedInstanceInit[] = [];
          for (const id of ids) {
            const one = await reportOf(id);
            if (one) instances.push(one);
          }
          if (streamAbort.signal.aborted) return;
          send({ message: { case: 'observed', value: { full, instances, ...availableCapacity() } } });
        })
        .catch((error: unknown) => logger.error({ err: error }, 'reporting failed'));
    };

    const markDirty = (instanceId: string) => {
      dirty.add(instanceId);
      if (!registered || flushTimer) return;
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        report(false);
      }, reportDelayMs);
    };

    const unsubscribe = runtime.onChange((o) => markDirty(o.instanceId));
    session = { send, markDirty };
    const limits = await runtime.hostLimits();
    send({
      message: {
        case: 'register',
        value: {
          workerName: options.name,
          zone: options.zone,
          vcpus: options.vcpus,
          memoryMib: options.memoryMiB,
          runtime: runtime.kind,
          address: options.address,
          bootId,
          version: options.version,
          limitsEnforced: limits.enforced,
        },
      },
    });
    try {
      const responses = options.client.connect(outgoing, {
        signal: streamAbort.signal,
        accountId: options.accountId,
      });
      for await (const response of responses) {
        const message = response.message;
        if (message.case === 'registered') {
          registered = message.value;
          if (registered.region) region = registered.region;
          logger.info({ worker: options.name, region }, 'registered with compute');
          report(true);
          const heartbeatMs = registered.heartbeatIntervalMs || 5_000;
          const reportMs = registered.reportIntervalMs || 10_000;
          timers.push(
            setInterval(() => {
              if (Date.now() - lastSent >= heartbeatMs * 0.9) {
                send({ message: { case: 'heartbeat', value: { time: timestampNow() } } });
              }
            }, heartbeatMs),
            setInterval(() => {
              if (runtime.observe().length > 0 || refused.size > 0) report(true);
            }, reportMs),
          );
          for (const id of dirty) markDirty(id);
        } else if (message.case === 'desiredInstances') {
          applyDesired(message.value);
        }
      }
    } catch (error) {
      if (!signal.aborted) logger.warn({ err: error }, 'the stream to compute ended');
    } finally {
      signal.removeEventListener('abort', onAbort);
      for (const timer of timers) clearInterval(timer);
      clearTimeout(flushTimer);
      unsubscribe();
      session = undefined;
      streamAbort.abort();
      outgoing.end();
    }
    return registered !== undefined;
  };

  return {
    get connected() {
      return session !== undefined;
    },
    async run(signal) {
      const adopted = await runtime.recover();
      if (adopted.length > 0) logger.info({ instances: adopted.length }, 'instances found at start');
      let backoff = backoffInitialMs;
      while (!signal.aborted) {
        const wasRegistered = await runSession(signal);
        if (signal.aborted) break;
        if (wasRegistered) backoff = backoffInitialMs;
        const wait = backoff * (0.8 + Math.random() * 0.4);
        logger.info({ inMs: Math.round(wait) }, 'reconnecting to compute');
        await abortableSleep(wait, signal);
        backoff = Math.min(backoffMaxMs, backoff * 2);
      }
      await Promise.all(chains.values());
    },
  };
}
