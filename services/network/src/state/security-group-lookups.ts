/**
 * Finding the group a call names: by id in the caller's account, or by name
 * in the default VPC (EC2's GroupName parameter).
 */

import type { Stored } from '@nimbus/service-kit';
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import type { DefaultVpcs } from './default-vpc.js';
import type { NetworkState } from './network-state.js';
import { vpcKeys } from './vpc-keys.js';
import type { SecurityGroupRecord } from './vpc-records.js';

export interface SecurityGroupLookups {
  state: NetworkState;
  defaults: DefaultVpcs;
  /** By id when given, else by name in the default VPC. */
  byIdOrName(accountId: string, groupId: string, groupName: string): Promise<Stored<SecurityGroupRecord>>;
  /** The id of the group of that name in the VPC, or InvalidGroup.NotFound. */
  idByName(accountId: string, vpcId: string, groupName: string): Promise<string>;
  nameNotFound(groupName: string, vpcId: string | undefined): NetworkError;
}

export function createSecurityGroupLookups(state: NetworkState, defaults: DefaultVpcs): SecurityGroupLookups {
  const nameNotFound = (groupName: string, vpcId: string | undefined) =>
    new NetworkError(
      NetworkErrorCode.InvalidGroupNotFound,
      `The security group '${groupName}' does not exist in ${vpcId ? `VPC '${vpcId}'` : 'default VPC'}`,
    );
  const idByName = async (accountId: string, vpcId: string, groupName: string) => {
    const claim = await state.groupNames.get(vpcKeys.groupName(accountId, vpcId, groupName));
    if (!claim) throw nameNotFound(groupName, vpcId);
    return claim.value.groupId;
  };
  return {
    state,
    defaults,
    nameNotFound,
    idByName,
    async byIdOrName(accountId, groupId, groupName) {
      if (groupId !== '') return state.group(accountId, groupId);
      const vpc = await defaults.ensureDefaultVpc(accountId);
      if (!vpc) throw nameNotFound(groupName, undefined);
      return state.group(accountId, await idByName(accountId, vpc.vpcId, groupName));
    },
  };
}
