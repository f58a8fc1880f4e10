import type { Etcd3 } from 'etcd3';
import { LeaseLostError } from '../lease-lost-error.js';
import type { Lease } from '../store.js';

type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/**
 * Grants a lease. With `autoKeepAlive`, etcd3 sends the heartbeats and says
 * when the lease is lost; without, nobody here renews it, so a timer asks etcd
 * once per TTL whether it still lives (someone else's `keepAliveOnce` may have
 * renewed it) and marks it lost when it is gone.
 */
export async function grantEtcdLease(
  client: Etcd3,
  guard: Guard,
  ttlSeconds: number,
  autoKeepAlive: boolean,
  closed: AbortSignal,
): Promise<Lease> {
  const etcdLease = client.lease(ttlSeconds, { autoKeepAlive });
  let id: string;
  try {
    id = await guard('grant a lease', () => etcdLease.grant());
  } catch (error) {
    etcdLease.release();
    throw error;
  }
  const lost = new AbortController();
  const onClosed = () => lose('store closed');
  const lose = (reason: LeaseLostError['reason']) => {
    if (lost.signal.aborted) return;
    lost.abort(new LeaseLostError(id, reason));
    etcdLease.release();
    clearTimeout(timer);
    closed.removeEventListener('abort', onClosed);
  };
  etcdLease.on('lost', () => lose(autoKeepAlive ? 'keep-alive failed' : 'expired'));
  closed.addEventListener('abort', onClosed, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      const { TTL } = await guard('check a lease', () => client.leaseClient.leaseTimeToLive({ ID: id }));
      // etcd answers -1 for a lease it no longer has; 0 only means under a second is left,
      // and someone's keepAliveOnce may still come, so look again shortly.
      if (Number(TTL) < 0) return lose('expired');
      schedule(Number(TTL) > 0 ? Number(TTL) * 1000 : 250);
    } catch {
      schedule(1_000);
    }
  };
  const schedule = (ms: number) => {
    if (lost.signal.aborted) return;
    timer = setTimeout(check, Math.max(ms, 100));
    timer.unref();
  };
  if (!autoKeepAlive) schedule(ttlSeconds * 1000);
  return {
    id,
    ttlSeconds,
    lost: lost.signal,
    revoke: async () => {
      await guard('revoke a lease', () => client.leaseClient.leaseRevoke({ ID: id })).catch(
        (error: unknown) => {
          if (!(error instanceof Error && /lease not found/.test(error.message))) throw error;
        },
      );
      lose('revoked');
    },
  };
}

/** Renews a lease once through a keep-alive stream: false if etcd no longer has it. */
export async function keepEtcdLeaseAliveOnce(client: Etcd3, guard: Guard, leaseId: string): Promise<boolean> {
  return guard('keep a lease alive', async () => {
    const stream = await client.leaseClient.leaseKeepAlive();
    try {
      const answer = new Promise<boolean>((resolve, reject) => {
        stream.on('data', (response) => resolve(Number(response.TTL) > 0));
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('the keep-alive stream ended without an answer')));
      });
      stream.write({ ID: leaseId });
      return await answer;
    } finally {
      stream.end();
      stream.cancel();
    }
  });
}
