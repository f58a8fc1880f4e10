/**
 * The WorkerService: one Connect stream per worker. Every replica of compute
 * serves it. A worker registers, gets the full set of its instances, then
 * every change of one of them as it happens (an informer over the instance
 * records), and sends what it observes: the hub keeps the worker's lease
 * alive with every message, writes observations that matter to the
 * controller (phase, status, generation, ports) and the console output to the
 * store, and relays listening ports to the network service.
 */

import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import type {
  ConnectRequest,
  ConnectResponseSchema,
  ObservedInstance,
  Register,
  WorkerService,
} from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { EventBus } from '@nimbus/events';
import { type CallContext, type Client, DomainError, type ServiceImpl } from '@nimbus/runtime';
import { createRecords } from '@nimbus/service-kit';
import type { Lease, Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { ComputeConfig } from '../compute-config.js';
import { computeKeys } from '../state/compute-keys.js';
import type { InstanceCache } from '../state/instance-cache.js';
import { publishStatusChange, publishWorkerReadiness } from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { appendConsole, type ConsoleRecord, type ObservationRecord } from '../state/observation-records.js';
import { belongsTo, toDesiredInstance } from './desired-instances.js';
import { MessageQueue } from './message-queue.js';
import { checkRegister, registerWorker } from './worker-registration.js';

type Outbound = MessageInitShape<typeof ConnectResponseSchema>;

export interface WorkerHubDeps {
  store: Store;
  bus: EventBus;
  logger: Logger;
  config: ComputeConfig;
  network: Pick<Client<typeof NetworkService>, 'reportListeningPorts'>;
  /** The instance records it sends from (started by the service). */
  cache: InstanceCache;
  now: () => number;
}

interface Session {
  workerName: string;
  queue: MessageQueue<Outbound>;
  /** Generation last sent per instance (absent: not sent / told to forget). */
  sent: Map<string, bigint>;
  lease: Lease;
  lastKeepAlive: number;
  /** The last observation written per instance, to write only changes. */
  written: Map<string, string>;
  ports: Map<string, string>;
  end(reason: string): void;
}

export interface WorkerHub {
  impl: ServiceImpl<typeof WorkerService>;
  /** Ends every stream when the signal aborts. */
  start(signal: AbortSignal): Promise<void>;
  /** Names of the workers with a stream open to this replica. */
  connected(): string[];
}

const heartbeatIntervalMs = (ttl: number) => Math.max(200, Math.floor(ttl / 4));

export function createWorkerHub(deps: WorkerHubDeps): WorkerHub {
  const { store, config, logger } = deps;
  const cache = deps.cache;
  const sessions = new Map<string, Session>();
  const observations = createRecords<ObservationRecord>(store);
  const consoles = createRecords<ConsoleRecord>(store);
  const desired = (r: InstanceRecord) => toDesiredInstance(r, config.region, config.stopTimeout);

  const sendChange = (session: Session, r: InstanceRecord | undefined, instanceId: string) => {
    if (r && belongsTo(r, session.workerName)) {
      const generation = BigInt(r.generation);
      if (session.sent.get(instanceId) === generation) return;
      session.sent.set(instanceId, generation);
      session.queue.push({
        message: { case: 'desiredInstances', value: { full: false, instances: [desired(r)] } },
      });
    } else if (session.sent.has(instanceId)) {
      // Newer than anything the worker was told of it, so that it acts on it.
      const last = session.sent.get(instanceId) ?? 0n;
      const generation = r && BigInt(r.generation) > last ? BigInt(r.generation) : last + 1n;
      session.sent.delete(instanceId);
      session.queue.push({
        message: {
          case: 'desiredInstances',
          value: { full: false, instances: [{ instanceId, desiredState: 'terminated', generation }] },
        },
      });
    }
  };

  cache.onChange((instanceId, now, before) => {
    const names = new Set([now?.workerName, before?.workerName].filter((n): n is string => !!n));
    for (const name of names) {
      const session = sessions.get(name);
      if (session) sendChange(session, now, instanceId);
    }
  });

  const fullSet = (session: Session): Outbound => {
    session.sent.clear();
    const instances = [];
    for (const r of cache.values()) {
      if (!belongsTo(r, session.workerName)) continue;
      session.sent.set(r.instanceId, BigInt(r.generation));
      instances.push(desired(r));
    }
    return { message: { case: 'desiredInstances', value: { full: true, instances } } };
  };

  const keepAlive = async (session: Session) => {
    const now = Date.now();
    if (now - session.lastKeepAlive < 1000) return;
    session.lastKeepAlive = now;
    if (!(await store.keepAliveOnce(session.lease.id))) {
      session.end('lease expired');
    }
  };

  const observe = async (session: Session, seen: ObservedInstance) => {
    const instance = cache.byId(seen.instanceId);
    if (!instance || instance.workerName !== session.workerName) return;
    const key = computeKeys.observation(seen.instanceId);
    if (seen.consoleOutput.length > 0 || seen.consoleReset) {
      for (;;) {
        const held = await consoles.get(computeKeys.console(seen.instanceId));
        const output = appendConsole(
          Buffer.from(held?.value.output ?? '', 'base64'),
          seen.consoleOutput,
          seen.consoleReset,
        ).toString('base64');
        const value = { output, updatedAt: new Date(deps.now()).toISOString() };
        const ok = held
          ? await consoles.update(held, value)
          : await consoles.create(computeKeys.console(seen.instanceId), value);
        if (ok) break;
      }
    }
    const ports = seen.listeningPorts.map((p) => ({
      protocol: p.protocol,
      address: p.address,
      port: p.port,
    }));
    const portsText = JSON.stringify(ports);
    if (session.ports.get(seen.instanceId) !== portsText) {
      session.ports.set(seen.instanceId, portsText);
      deps.network
        .reportListeningPorts(
          {
            instanceId: seen.instanceId,
            ports: ports.map((p) => ({ protocol: p.protocol, privateIpAddress: p.address, port: p.port })),
          },
          { accountId: instance.ownerId },
        )
        .catch((error: unknown) => {
          session.ports.delete(seen.instanceId);
          logger.warn({ err: error, instanceId: seen.instanceId }, 'listening ports not relayed');
        });
    }
    const phase =
      (['starting', 'running', 'exited', 'crashed', 'stopped'] as const).find((p) => p === seen.phase) ??
      'starting';
    const instanceStatus =
      (['initializing', 'ok', 'impaired'] as const).find((s) => s === seen.instanceStatus) ?? 'initializing';
    const essence = {
      instanceId: seen.instanceId,
      accountId: instance.ownerId,
      workerName: session.workerName,
      generation: Number(seen.generation),
      phase,
      pid: seen.pid,
      ...(seen.exitCode === undefined ? {} : { exitCode: seen.exitCode }),
      exitSignal: seen.exitSignal,
      ...(seen.startedTime ? { startedTime: timestampDate(seen.startedTime).toISOString() } : {}),
      ...(seen.endedTime ? { endedTime: timestampDate(seen.endedTime).toISOString() } : {}),
      listeningPorts: ports,
      instanceStatus,
      statusMessage: seen.statusMessage,
      rebootGeneration: Number(seen.rebootGeneration),
      limitsEnforced: seen.limitsEnforced,
      error: seen.error,
    };
    const text = JSON.stringify(essence);
    if (session.written.get(seen.instanceId) === text) return;
    for (;;) {
      const held = await observations.get(key);
      const since =
        held && held.value.phase === phase && held.value.instanceStatus === instanceStatus
          ? held.value.since
          : new Date(deps.now()).toISOString();
      const value: ObservationRecord = { ...essence, since };
      const ok = held ? await observations.update(held, value) : await observations.create(key, value);
      if (!ok) continue;
      session.written.set(seen.instanceId, text);
      if (held?.value.instanceStatus !== instanceStatus) {
        await publishStatusChange(
          { bus: deps.bus, logger },
          { instanceId: seen.instanceId, accountId: instance.ownerId },
          { instanceStatus, ...(held ? { previous: held.value.instanceStatus } : {}) },
          Date.parse(since),
        );
      }
      return;
    }
  };

  const handle = async (session: Session, message: ConnectRequest) => {
    await keepAlive(session);
    if (message.message.case === 'observed') {
      for (const seen of message.message.value.instances) await observe(session, seen);
    } else if (message.message.case === 'register') {
      throw new DomainError(
        'FailedPrecondition',
        'Register is sent once, first.',
        status.FAILED_PRECONDITION,
      );
    }
  };

  async function* connect(
    requests: AsyncIterable<ConnectRequest>,
    context: CallContext,
  ): AsyncIterable<Outbound> {
    if (!context.service) {
      throw new DomainError(
        'UnauthorizedOperation',
        "Only the region's workers (holding its service token) may connect.",
      );
    }
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done || first.value.message.case !== 'register') {
      throw new DomainError(
        'FailedPrecondition',
        'The first message of a worker must be Register.',
        status.FAILED_PRECONDITION,
      );
    }
    const register: Register = first.value.message.value;
    checkRegister(register, config.zones);
    await cache.synced();
    const registered = await registerWorker(store, register, config.workerLeaseTtl, deps.now);
    if (!registered.wasReady) {
      const sink = { bus: deps.bus, logger };
      await publishWorkerReadiness(sink, register.workerName, true, registered.revision, {
        zone: register.zone,
        runtime: register.runtime,
      });
      // Its running instances' system status checks pass again.
      for (const r of cache.values()) {
        if (r.workerName !== register.workerName || r.state !== 'running') continue;
        await publishStatusChange(
          sink,
          { instanceId: r.instanceId, accountId: r.ownerId },
          { systemStatus: 'ok', previous: 'impaired' },
          registered.revision,
        );
      }
    }
    sessions.get(register.workerName)?.end('replaced by a new stream');
    const queue = new MessageQueue<Outbound>();
    const session: Session = {
      workerName: register.workerName,
      queue,
      sent: new Map(),
      lease: registered.lease,
      lastKeepAlive: Date.now(),
      written: new Map(),
      ports: new Map(),
      end: (reason) => {
        logger.info({ workerName: register.workerName, reason }, 'worker stream ends');
        queue.close();
        if (sessions.get(register.workerName) === session) sessions.delete(register.workerName);
      },
    };
    sessions.set(register.workerName, session);
    logger.info(
      { worker: register.workerName, zone: register.zone, runtime: register.runtime },
      'worker registered',
    );
    queue.push({
      message: {
        case: 'registered',
        value: {
          workerName: register.workerName,
          region: config.region,
          leaseTtlMs: config.workerLeaseTtl,
          heartbeatIntervalMs: heartbeatIntervalMs(config.workerLeaseTtl),
          reportIntervalMs: 2000,
        },
      },
    });
    queue.push(fullSet(session));
    const reading = (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done || queue.closed) break;
          await handle(session, next.value);
        }
        session.end('worker closed its stream');
      } catch (error) {
        logger.warn({ err: error, workerName: register.workerName }, 'worker stream failed');
        session.end('stream failed');
      }
    })();
    try {
      yield* queue;
    } finally {
      session.end('stream closed');
      await iterator.return?.();
      await reading;
    }
  }

  return {
    impl: { connect },
    async start(signal) {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      for (const s of sessions.values()) s.end('compute shutting down');
    },
    connected: () => [...sessions.keys()],
  };
}
