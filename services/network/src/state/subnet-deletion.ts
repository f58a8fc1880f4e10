/**
 * DeleteSubnet against concurrent CreateNetworkInterface, without interface
 * creation writing the subnet (so that creates in one subnet never conflict
 * with each other). A create only checks, in its own transaction, that the
 * subnet is still at the revision it read unmarked. DeleteSubnet decides in
 * two single-transaction steps:
 *
 * 1. mark the subnet record as being deleted (`deletingSince`): an update, so
 *    every create that read the old revision fails its check and re-reads;
 * 2. list the account's interfaces (a linearizable read: it sees every create
 *    that committed before the mark), then delete the subnet at the marked
 *    revision when none is in it, or else clear the mark at that revision and
 *    answer DependencyViolation.
 *
 * No create commits against a marked revision: one that reads a mark waits and
 * re-reads, then answers for the outcome (InvalidSubnetID.NotFound when the
 * subnet went). So whoever decides at the marked revision decides safely, and
 * any caller may: a mark older than `staleMarkMs` (its DeleteSubnet died, or
 * is very slow) is finished by the first call that meets it, and a create
 * waits at most `markWaitMs` before finishing the decision itself. Concurrent
 * deciders cannot both win: both end with compare-and-swap on the marked revision.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stored } from '@nimbus/service-kit';
import { dependencyViolation } from '../domain/resource-ids.js';
import type { NetworkState } from './network-state.js';
import type { SubnetRecord } from './vpc-records.js';

/** A mark older than this is taken over by whoever meets it. */
export const staleMarkMs = 5_000;
/** A create waits at most this long (monotonic time) for a deletion to decide. */
export const markWaitMs = 2_000;

/** The result of deciding a marked subnet: gone, kept (mark cleared), or changed meanwhile (read again). */
type Decision = 'deleted' | 'kept' | 'changed';

export interface SubnetDeletion {
  /** True while an interface of the account is in the subnet. */
  inUse(accountId: string, subnetId: string): Promise<boolean>;
  /** DeleteSubnet: NotFound if absent, DependencyViolation while interfaces use it. */
  deleteSubnet(accountId: string, subnetId: string): Promise<void>;
  /**
   * The subnet, not being deleted, for a write that must not land in a
   * deleted subnet: the write checks the returned revision in its own
   * transaction. Waits out a deletion in progress; NotFound if the subnet went.
   */
  subnetForNewInterface(accountId: string, subnetId: string): Promise<Stored<SubnetRecord>>;
}

export function createSubnetDeletion(state: NetworkState, now: () => number = Date.now): SubnetDeletion {
  const inUse = async (accountId: string, subnetId: string) =>
    (await state.interfacesOf(accountId)).some((n) => n.subnetId === subnetId);

  async function decide(accountId: string, marked: Stored<SubnetRecord>): Promise<Decision> {
    if (await inUse(accountId, marked.value.subnetId)) {
      const { deletingSince: _, ...unmarked } = marked.value;
      return (await state.subnets.update(marked, unmarked)) ? 'kept' : 'changed';
    }
    return (await state.subnets.delete(marked)) ? 'deleted' : 'changed';
  }

  const markAge = (subnet: SubnetRecord) =>
    subnet.deletingSince === undefined ? 0 : now() - Date.parse(subnet.deletingSince);

  return {
    inUse,

    async deleteSubnet(accountId, subnetId) {
      for (;;) {
        const subnet = await state.subnet(accountId, subnetId);
        let marked = subnet;
        // Another DeleteSubnet's mark, fresh or stale, is decided here as well: both decide at its revision.
        if (subnet.value.deletingSince === undefined) {
          const value = { ...subnet.value, deletingSince: new Date(now()).toISOString() };
          const written = await state.store.update(subnet.key, JSON.stringify(value), subnet.revision);
          if (!written.ok) continue;
          marked = { key: subnet.key, value, revision: written.revision };
        }
        const decision = await decide(accountId, marked);
        if (decision === 'deleted') return;
        if (decision === 'kept') throw dependencyViolation('subnet', subnetId);
      }
    },

    async subnetForNewInterface(accountId, subnetId) {
      const deadline = performance.now() + markWaitMs;
      for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
        const subnet = await state.subnet(accountId, subnetId);
        if (subnet.value.deletingSince === undefined) return subnet;
        if (markAge(subnet.value) >= staleMarkMs || performance.now() >= deadline) {
          await decide(accountId, subnet);
        } else {
          await sleep(pause);
        }
      }
    },
  };
}
