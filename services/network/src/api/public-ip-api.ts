/**
 * AllocatePublicIp and ReleasePublicIp: compute's calls for an instance's
 * auto-assigned public IPv4, taken from the pool when the instance starts and
 * given back when it stops. Both are idempotent, as compute retries them. The
 * address is billed like any other (a holding per assignment) but is no
 * Elastic IP: it neither counts against the quota nor shows in DescribeAddresses.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { Records } from '@nimbus/service-kit';
import { IdPrefix, isId } from '../domain/ids.js';
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { notFound, ResourceKinds } from '../domain/resource-ids.js';
import { type AddressLedger, AlreadyAssigned, InterfaceChanged } from '../state/address-ledger.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';
import { AddressErrorCode } from './address-errors.js';
import type { PublicIpPool } from './public-ip-pool.js';

type PublicIpApi = Pick<ServiceImpl<typeof NetworkService>, 'allocatePublicIp' | 'releasePublicIp'>;

function checkInterfaceId(networkInterfaceId: string): void {
  if (networkInterfaceId === '') {
    throw new NetworkError(
      NetworkErrorCode.MissingParameter,
      'The request must contain the parameter NetworkInterfaceId',
    );
  }
  if (!isId(IdPrefix.networkInterface, networkInterfaceId)) {
    throw new NetworkError(
      AddressErrorCode.NetworkInterfaceIdMalformed,
      `Invalid id: '${networkInterfaceId}' (expecting 'eni-...')`,
    );
  }
}

export function createPublicIpApi(deps: {
  ledger: AddressLedger;
  pool: PublicIpPool;
  interfaces: Records<NetworkInterfaceRecord>;
  now: () => number;
}): PublicIpApi {
  const { ledger, pool, interfaces, now } = deps;
  return {
    async allocatePublicIp({ networkInterfaceId }, { accountId }) {
      checkInterfaceId(networkInterfaceId);
      for (;;) {
        const assigned = await ledger.interfaceIp(accountId, networkInterfaceId);
        if (assigned) return { publicIp: assigned.value.publicIp };
        const eni = await interfaces.get(vpcKeys.networkInterface(accountId, networkInterfaceId));
        if (!eni) throw notFound(ResourceKinds.networkInterface, networkInterfaceId);
        // An interface with an Elastic IP on its primary address already has its public address.
        const primary = eni.value.privateIpAddresses[0];
        const elastic = eni.value.elasticIps?.find((e) => e.privateIpAddress === primary);
        if (elastic) return { publicIp: elastic.publicIp };
        try {
          const publicIp = await pool.allocate((ip) =>
            ledger.claimInterfaceIp({
              accountId,
              networkInterfaceId,
              publicIp: ip,
              now: now(),
              // So that an AssociateAddress landing meanwhile is seen, not doubled.
              interfaceRecord: { key: eni.key, revision: eni.revision },
            }),
          );
          return { publicIp };
        } catch (error) {
          // A concurrent call for the same interface won: its address is the answer.
          if (error instanceof AlreadyAssigned) return { publicIp: error.publicIp };
          if (!(error instanceof InterfaceChanged)) throw error;
        }
      }
    },

    async releasePublicIp({ networkInterfaceId }, { accountId }) {
      checkInterfaceId(networkInterfaceId);
      for (;;) {
        const assigned = await ledger.interfaceIp(accountId, networkInterfaceId);
        if (!assigned) return { publicIp: '' };
        if (await ledger.releaseInterfaceIp(accountId, assigned, now())) {
          pool.noteReleased(assigned.value.publicIp);
          return { publicIp: assigned.value.publicIp };
        }
      }
    },
  };
}
