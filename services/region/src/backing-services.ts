/**
 * The region's store and bus: real etcd and nats-server as child processes
 * with their data under the region's home when the binaries are on PATH, the
 * embedded implementations otherwise (or when asked), said loudly.
 */
import { join } from 'node:path';
import { EtcdServer, findOnPath, NatsServer } from '@nimbus/testkit';
import type { Logger } from 'pino';

export type BackingMode = 'auto' | 'real' | 'embedded';

export interface BackingServices {
  store: { kind: 'etcd'; endpoints: string[] } | { kind: 'embedded'; endpoints: [] };
  bus: { kind: 'nats'; servers: string[] } | { kind: 'embedded'; servers: [] };
  /** Process ids of etcd and nats-server, so a later region can clean up after a hard kill. */
  pids: number[];
  stop(): Promise<void>;
}

export async function startBackingServices(
  home: string,
  mode: BackingMode,
  logger: Logger,
): Promise<BackingServices> {
  const haveBinaries = Boolean(findOnPath('etcd') && findOnPath('nats-server'));
  if (mode === 'real' && !haveBinaries) {
    throw new Error(
      'NIMBUS_BACKING=real but etcd or nats-server is not on PATH; install them with `apt-get install etcd-server nats-server`',
    );
  }
  if (mode === 'embedded' || !haveBinaries) {
    const why = mode === 'embedded' ? 'NIMBUS_BACKING=embedded' : 'etcd or nats-server is not on PATH';
    logger.warn(
      `EMBEDDED STORE AND BUS (${why}): state lives in this process only and is lost when the region stops; ` +
        'install etcd-server and nats-server for a durable region',
    );
    return {
      store: { kind: 'embedded', endpoints: [] },
      bus: { kind: 'embedded', servers: [] },
      pids: [],
      stop: async () => {},
    };
  }
  // They outlive a launcher killed outright, like its services: the next start cleans up (leftovers.ts).
  const etcd = new EtcdServer({ dataDir: join(home, 'etcd'), dieWithOwner: false });
  const nats = new NatsServer({ dataDir: join(home, 'nats'), dieWithOwner: false });
  const started = await Promise.allSettled([etcd.start(), nats.start()]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    // Neither may outlive a failed start: nothing recorded their pids yet.
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    throw failed.reason;
  }
  logger.info({ etcd: etcd.endpoint, nats: nats.endpoint, data: home }, 'etcd and nats-server started');
  return {
    store: { kind: 'etcd', endpoints: [etcd.endpoint] },
    bus: { kind: 'nats', servers: [nats.endpoint] },
    pids: [etcd.pid, nats.pid].filter((pid) => pid !== undefined),
    stop: async () => {
      await Promise.all([etcd.stop(), nats.stop()]);
    },
  };
}
