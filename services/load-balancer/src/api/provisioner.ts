/**
 * The slow half of creating and deleting a load balancer: an interface in each
 * of its subnets (by client token, so a retry finds the one it made), a public
 * address for each when internet-facing, then `active`; on deletion its
 * listeners and rules go, the addresses go back and the record goes last. The
 * record says what is left to do, so a process that dies halfway resumes at
 * start (`sweep`).
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { isRemoteError, type RemoteError } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { deleteListenerRecord } from '../state/listener-writes.js';
import { type LoadBalancerRecord, lbKeys, lbPrefix } from '../state/records.js';
import type { Lookups } from './lookups.js';
import type { NetworkPort } from './network-port.js';

export interface Provisioner {
  /** Drives the load balancer toward its state in the background. */
  kick(accountId: string, hex: string): void;
  sweep(): Promise<void>;
  close(): Promise<void>;
}

const retryDelaysMs = [200, 500, 1000, 2000, 5000];

/** The interface of a load balancer in a subnet, by a client token of its own. */
function interfaceRequest(lb: LoadBalancerRecord, subnetId: string) {
  return {
    subnetId,
    description: `ELB ${lb.type === 'application' ? 'app' : 'net'}/${lb.name}/${lb.hex}`,
    clientToken: `elb-${lb.hex}-${subnetId}`,
  };
}

/** A refusal of the caller's request by another service (not its absence or a fault): final. */
function isRefusal(error: unknown): error is RemoteError {
  return (
    isRemoteError(error) &&
    [
      grpcStatus.INVALID_ARGUMENT,
      grpcStatus.NOT_FOUND,
      grpcStatus.FAILED_PRECONDITION,
      grpcStatus.RESOURCE_EXHAUSTED,
    ].includes(error.status)
  );
}

export function createProvisioner(deps: {
  store: Store;
  lookups: Lookups;
  network: NetworkPort;
  logger: Logger;
}): Provisioner {
  const { store, lookups, network, logger } = deps;
  const running = new Map<string, Promise<void>>();
  let closed = false;
  const wakers = new Set<() => void>();

  async function provision(record: Stored<LoadBalancerRecord>): Promise<void> {
    const lb = record.value;
    const zones = [...lb.zones];
    for (const [index, zone] of zones.entries()) {
      let next = { ...zone };
      if (!next.networkInterfaceId || !next.privateIp) {
        const eni = await network.createInterface(lb.accountId, interfaceRequest(lb, zone.subnetId));
        next = { ...next, networkInterfaceId: eni.networkInterfaceId, privateIp: eni.privateIp };
      }
      if (lb.scheme === 'internet-facing' && !next.publicIp && next.networkInterfaceId) {
        next.publicIp = await network.allocatePublicIp(lb.accountId, next.networkInterfaceId);
      }
      zones[index] = next;
    }
    if (!(await lookups.loadBalancers.update(record, { ...lb, zones, state: 'active' }))) {
      throw new Error('the load balancer changed while provisioning');
    }
  }

  async function unprovision(record: Stored<LoadBalancerRecord>): Promise<void> {
    const lb = record.value;
    const listeners = await lookups.listListeners(lb.accountId, lb.arn);
    for (const listener of listeners) await deleteListenerRecord(store, listener);
    for (const zone of lb.zones) {
      // An interface made by a provisioning that the deletion overtook is not in the record:
      // its client token finds it (or makes one, which goes at once).
      const networkInterfaceId =
        zone.networkInterfaceId ??
        (await network.createInterface(lb.accountId, interfaceRequest(lb, zone.subnetId))).networkInterfaceId;
      if (lb.scheme === 'internet-facing') await network.releasePublicIp(lb.accountId, networkInterfaceId);
      await network.deleteInterface(lb.accountId, networkInterfaceId);
    }
    await lookups.loadBalancers.delete(record);
  }

  async function drive(accountId: string, hex: string): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      const record = await lookups.loadBalancers.get(lbKeys.loadBalancer(accountId, hex));
      if (!record || record.value.state === 'active' || record.value.state === 'failed') return;
      try {
        if (record.value.state === 'provisioning') await provision(record);
        else await unprovision(record);
        return;
      } catch (error) {
        if (record.value.state === 'provisioning' && isRefusal(error)) {
          // The network service refused (a subnet gone, no address left): retrying will not help.
          const failed = { ...record.value, state: 'failed' as const, stateReason: error.message };
          if (await lookups.loadBalancers.update(record, failed)) {
            logger.warn({ err: error, loadBalancer: record.value.arn }, 'load balancer failed');
            return;
          }
          continue;
        }
        const delay = retryDelaysMs[Math.min(attempt, retryDelaysMs.length - 1)] ?? 5000;
        logger.warn(
          { err: error, loadBalancer: record.value.arn, attempt },
          'load balancer not settled yet; retrying',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wakers.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }

  return {
    kick(accountId, hex) {
      const key = `${accountId}/${hex}`;
      if (running.has(key) || closed) return;
      const work = drive(accountId, hex)
        .catch((error: unknown) => logger.error({ err: error, key }, 'load balancer provisioning failed'))
        .finally(() => running.delete(key));
      running.set(key, work);
    },
    async sweep() {
      const all = await lookups.loadBalancers.list(`${lbPrefix}load-balancers/`);
      for (const r of all) {
        if (r.value.state === 'provisioning' || r.value.state === 'deleting')
          this.kick(r.value.accountId, r.value.hex);
      }
    },
    async close() {
      closed = true;
      for (const wake of wakers) wake();
      await Promise.all(running.values());
    },
  };
}
