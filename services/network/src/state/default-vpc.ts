/**
 * Each account's default VPC, made on first use: the configured CIDR, a
 * subnet per zone (default for its zone, public IPs on launch) and the
 * `default` security group.
 *
 * Safe under concurrency and crashes: everything is written in one store
 * transaction together with the account's marker key, created only if absent.
 * Of two first calls at once one transaction wins and the other, finding the
 * marker taken, reads the winner's VPC; a process that dies before committing
 * leaves nothing, and one after leaves the whole VPC.
 *
 * A default VPC the user deleted stays deleted (its marker remains), as in EC2.
 */
import { defaultVpcLayout } from '../domain/default-vpc-layout.js';
import { NetworkError } from '../domain/network-errors.js';
import type { NetworkConfig } from '../network-config.js';
import type { NetworkState } from './network-state.js';
import { newVpc } from './new-vpc.js';
import { txnOps } from './txn-ops.js';
import { vpcKeys } from './vpc-keys.js';
import type { VpcRecord } from './vpc-records.js';

export interface DefaultVpcs {
  /** The account's default VPC, made now if the account never had one; undefined if the user deleted it. */
  ensureDefaultVpc(accountId: string): Promise<VpcRecord | undefined>;
  /** The default VPC, or EC2's `VPCIdNotSpecified` for a call that needs one. */
  requireDefaultVpc(accountId: string): Promise<VpcRecord>;
}

export function createDefaultVpcs(
  state: NetworkState,
  config: Pick<NetworkConfig, 'defaultVpcCidr' | 'zones'>,
): DefaultVpcs {
  // Checked here, once at start: a bad CIDR or zone list stops the service with the reason.
  const layout = defaultVpcLayout(config.defaultVpcCidr, config.zones);
  const markerKey = vpcKeys.defaultVpc;

  async function ensureDefaultVpc(accountId: string): Promise<VpcRecord | undefined> {
    for (;;) {
      const marker = await state.defaultVpcs.get(markerKey(accountId));
      if (marker) return (await state.vpcs.get(vpcKeys.vpc(accountId, marker.value.vpcId)))?.value;
      const made = newVpc(accountId, {
        cidrBlock: layout.cidrBlock,
        isDefault: true,
        tags: [],
        subnets: layout.subnets,
      });
      const result = await state.store.txn([
        txnOps.create(markerKey(accountId), { vpcId: made.vpc.vpcId }),
        ...made.ops,
      ]);
      if (result.ok) return made.vpc;
      // Another call made it first (the marker exists now): read theirs.
    }
  }

  return {
    ensureDefaultVpc,
    async requireDefaultVpc(accountId) {
      const vpc = await ensureDefaultVpc(accountId);
      if (!vpc) throw new NetworkError('VPCIdNotSpecified', 'No default VPC for this user');
      return vpc;
    },
  };
}
