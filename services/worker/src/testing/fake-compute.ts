/**
 * A stand-in for compute's WorkerService in the worker's tests: a real gRPC
 * server on a free loopback port that records every message a worker sends
 * and sends what the test tells it to. It can be stopped and started again
 * on the same port, as compute restarting.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  type ConnectRequest,
  type ConnectResponseSchema,
  type DesiredInstanceSchema,
  type ObservedInstance,
  WorkerService,
} from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { createLogger, createServer, devAccount, type NimbusServer } from '@nimbus/runtime';
import { type AsyncQueue, createAsyncQueue } from '../agent/async-queue.js';

type Response = MessageInitShape<typeof ConnectResponseSchema>;
export type DesiredInit = MessageInitShape<typeof DesiredInstanceSchema>;

export interface FakeCompute {
  address: string;
  /** Every message received, over all streams. */
  received: ConnectRequest[];
  /** Streams opened so far. */
  streams: number;
  /** Whether a stream is open now. */
  readonly open: boolean;
  send(response: Response): void;
  registered(options?: { heartbeatIntervalMs?: number; reportIntervalMs?: number }): void;
  desired(full: boolean, instances: DesiredInit[]): void;
  /** The latest observation of an instance (over all reports). */
  latest(instanceId: string): ObservedInstance | undefined;
  /** Every observation of an instance, oldest first. */
  history(instanceId: string): ObservedInstance[];
  stop(): Promise<void>;
  /** Listens again on the same port (after `stop`). */
  restart(): Promise<void>;
}

export async function startFakeCompute(): Promise<FakeCompute> {
  const logger = createLogger({ service: 'fake-compute', level: 'silent' });
  let server: NimbusServer;
  let current: AsyncQueue<Response> | undefined;
  let port = 0;
  const fake: FakeCompute = {
    address: '',
    received: [],
    streams: 0,
    get open() {
      return current !== undefined;
    },
    send(response) {
      if (!current) throw new Error('no worker stream is open');
      current.push(response);
    },
    registered(options = {}) {
      fake.send({
        message: {
          case: 'registered',
          value: {
            workerName: 'worker-test',
            region: 'nimbus-1',
            leaseTtlMs: 10_000,
            heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2_500,
            reportIntervalMs: options.reportIntervalMs ?? 10_000,
          },
        },
      });
    },
    desired(full, instances) {
      fake.send({ message: { case: 'desiredInstances', value: { full, instances } } });
    },
    latest(instanceId) {
      return fake.history(instanceId).at(-1);
    },
    history(instanceId) {
      return fake.received.flatMap((r) =>
        r.message.case === 'observed'
          ? r.message.value.instances.filter((i) => i.instanceId === instanceId)
          : [],
      );
    },
    async stop() {
      current?.end();
      current = undefined;
      await server.shutdown(100);
    },
    async restart() {
      await listen();
    },
  };
  const listen = async () => {
    server = createServer({
      logger,
      authenticator: devAccount('000000000000'),
      services: [
        {
          service: WorkerService,
          impl: {
            async *connect(requests) {
              const queue = createAsyncQueue<Response>();
              current = queue;
              fake.streams += 1;
              void (async () => {
                try {
                  for await (const request of requests) fake.received.push(request);
                } catch {
                  // The worker went away; the stream ends below.
                } finally {
                  if (current === queue) current = undefined;
                  queue.end();
                }
              })();
              yield* queue;
            },
          },
        },
      ],
    });
    port = await server.listen('127.0.0.1', port);
    fake.address = `127.0.0.1:${port}`;
  };
  await listen();
  return fake;
}
