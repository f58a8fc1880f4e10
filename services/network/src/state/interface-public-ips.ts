/**
 * The auto-assigned public addresses of an account's interfaces, as the
 * interface views and DeleteNetworkInterface read them (the address ledger
 * writes them: AllocatePublicIp, ReleasePublicIp).
 */

import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { addressKeys } from './address-keys.js';
import type { InterfacePublicIp } from './address-ledger.js';

export interface InterfacePublicIps {
  interfaceIp(accountId: string, networkInterfaceId: string): Promise<Stored<InterfacePublicIp> | undefined>;
  /** Interface id to public address, for the account. */
  interfaceIps(accountId: string): Promise<Map<string, string>>;
}

export function createInterfacePublicIps(store: Store): InterfacePublicIps {
  const records = createRecords<InterfacePublicIp>(store);
  return {
    interfaceIp: (accountId, networkInterfaceId) =>
      records.get(addressKeys.interfacePublicIp(accountId, networkInterfaceId)),
    async interfaceIps(accountId) {
      const all = await records.list(addressKeys.interfacePublicIp(accountId, ''));
      return new Map(all.map((r) => [r.value.networkInterfaceId, r.value.publicIp]));
    },
  };
}
