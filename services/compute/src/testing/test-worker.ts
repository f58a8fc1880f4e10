/**
 * A small worker for compute's tests: it speaks the real WorkerService
 * protocol over gRPC (Register, then Observed reports and heartbeats) but runs
 * nothing. An instance desired running is reported running at once (with a
 * boot line on its console), stopped is reported stopped, terminated is
 * reported stopped and forgotten. Known differences from services/worker: no
 * processes, volumes, metadata service or usage samples; it dials again 100 ms
 * after its stream ends; `exit()` stands in
 * for a boot process that ends by itself, and `vanish()` for a worker that
 * stops talking without closing its stream.
 */

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  type ConnectRequestSchema,
  type DesiredInstance,
  ObservedInstanceSchema,
  type Registered,
  WorkerService,
} from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { createClient } from '@nimbus/runtime';
import { MessageQueue } from '../workers/message-queue.js';

type Outbound = MessageInitShape<typeof ConnectRequestSchema>;

export interface TestWorkerOptions {
  address: string;
  serviceToken: string;
  workerName: string;
  zone: string;
  vcpus?: number;
  memoryMib?: number;
  runtime?: 'process' | 'fake';
}

export interface TestWorker {
  readonly workerName: string;
  /** The desired instances as the worker holds them. */
  readonly desired: ReadonlyMap<string, DesiredInstance>;
  /** What the worker runs now (instance id -> reboot generation of its current run). */
  readonly running: ReadonlyMap<string, bigint>;
  /** Full sets received so far. */
  readonly fullSets: number;
  registered(): Promise<Registered>;
  /** The boot process of an instance ends by itself with `code` (0: "exited", else "crashed"). */
  exit(instanceId: string, code: number): void;
  /** Console bytes the instance prints. */
  print(instanceId: string, text: string): void;
  /** Stops sending anything while keeping the stream open: the lease runs out. */
  vanish(): void;
  close(): Promise<void>;
}

export function startTestWorker(options: TestWorkerOptions): TestWorker {
  const client = createClient(WorkerService, options.address, { token: options.serviceToken });
  let outbound = new MessageQueue<Outbound>();
  let closed = false;
  const desired = new Map<string, DesiredInstance>();
  const running = new Map<string, bigint>();
  const started = new Map<string, ReturnType<typeof timestampNow>>();
  let fullSets = 0;
  let silent = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let resolveRegistered!: (r: Registered) => void;
  const registeredPromise = new Promise<Registered>((resolve) => {
    resolveRegistered = resolve;
  });
  const send = (message: Outbound) => {
    if (!silent) outbound.push(message);
  };
  const report = (
    instanceId: string,
    fields: Omit<MessageInitShape<typeof ObservedInstanceSchema>, '$typeName'>,
  ) => {
    const d = desired.get(instanceId);
    send({
      message: {
        case: 'observed',
        value: {
          full: false,
          instances: [
            create(ObservedInstanceSchema, {
              instanceId,
              generation: d?.generation ?? 0n,
              rebootGeneration: d?.rebootGeneration ?? 0n,
              ...(started.get(instanceId) ? { startedTime: started.get(instanceId) } : {}),
              ...fields,
            }),
          ],
        },
      },
    });
  };
  const act = (d: DesiredInstance) => {
    const id = d.instanceId;
    if (d.desiredState === 'running') {
      desired.set(id, d);
      const generation = running.get(id);
      if (generation === undefined || generation < d.rebootGeneration) {
        running.set(id, d.rebootGeneration);
        started.set(id, timestampNow());
        report(id, {
          phase: 'running',
          pid: 4242,
          instanceStatus: 'ok',
          consoleOutput: new TextEncoder().encode(`booted ${id} (reboot ${d.rebootGeneration})\n`),
        });
      } else {
        report(id, { phase: 'running', pid: 4242, instanceStatus: 'ok' });
      }
    } else {
      desired.set(id, d);
      running.delete(id);
      report(id, { phase: 'stopped', instanceStatus: 'initializing', endedTime: timestampNow() });
      if (d.desiredState === 'terminated') desired.delete(id);
    }
  };

  const register: Outbound = {
    message: {
      case: 'register',
      value: {
        workerName: options.workerName,
        zone: options.zone,
        vcpus: options.vcpus ?? 8,
        memoryMib: options.memoryMib ?? 16384,
        runtime: options.runtime ?? 'fake',
        address: '127.0.0.1:1',
        bootId: `${options.workerName}-${process.pid}-${Date.now()}`,
        version: 'test',
      },
    },
  };
  const connectOnce = async () => {
    outbound = new MessageQueue<Outbound>();
    outbound.push(register);
    for await (const message of client.connect(outbound, { accountId: '000000000000' })) {
      if (message.message.case === 'registered') {
        const r = message.message.value;
        resolveRegistered(r);
        clearInterval(heartbeat);
        heartbeat = setInterval(
          () => send({ message: { case: 'heartbeat', value: { time: timestampNow() } } }),
          r.heartbeatIntervalMs,
        );
        // After a reconnect, report what runs, as a restarted stream does.
        for (const [id] of running) report(id, { phase: 'running', pid: 4242, instanceStatus: 'ok' });
      } else if (message.message.case === 'desiredInstances') {
        const set = message.message.value;
        if (set.full) {
          fullSets++;
          const wanted = new Set(set.instances.map((i) => i.instanceId));
          for (const id of [...desired.keys()]) {
            if (!wanted.has(id)) {
              desired.delete(id);
              running.delete(id);
            }
          }
        }
        for (const d of set.instances) act(d);
      }
    }
  };
  // Like the real agent, it dials again when the stream ends (compute restarted).
  const reading = (async () => {
    while (!closed) {
      try {
        await connectOnce();
      } catch {
        // The stream failed: dial again.
      }
      if (!closed) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  return {
    workerName: options.workerName,
    desired,
    running,
    get fullSets() {
      return fullSets;
    },
    registered: () => registeredPromise,
    exit(instanceId, code) {
      running.delete(instanceId);
      report(instanceId, {
        phase: code === 0 ? 'exited' : 'crashed',
        exitCode: code,
        endedTime: timestampNow(),
        instanceStatus: code === 0 ? 'ok' : 'impaired',
        statusMessage: code === 0 ? '' : `boot process exited with code ${code}`,
      });
    },
    print(instanceId, text) {
      report(instanceId, {
        phase: running.has(instanceId) ? 'running' : 'stopped',
        instanceStatus: 'ok',
        consoleOutput: new TextEncoder().encode(text),
      });
    },
    vanish() {
      silent = true;
      clearInterval(heartbeat);
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      outbound.close();
      client.close();
      await reading;
    },
  };
}
