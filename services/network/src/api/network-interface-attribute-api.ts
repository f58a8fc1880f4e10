/**
 * ModifyNetworkInterfaceAttribute: one attribute per call, as in EC2 —
 * the security groups (1 to 5 of the interface's VPC), the description, the
 * source/destination check, or the attachment's DeleteOnTermination. A new
 * group list is written with a rewrite of every group it names, so that a
 * concurrent DeleteSecurityGroup that saw the group unused fails and looks again.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { dryRunOperation } from '@nimbus/service-kit';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { missingParameter, notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import { checkGroupsPerInterface, maxGroupNameLength } from '../domain/security-group-names.js';
import { createNetworkState } from '../state/network-state.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { ApiDeps } from './api-deps.js';

type NetworkInterfaceAttributeApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'modifyNetworkInterfaceAttribute'
>;

export function createNetworkInterfaceAttributeApi(deps: ApiDeps): NetworkInterfaceAttributeApi {
  const state = createNetworkState(deps.store);
  return {
    async modifyNetworkInterfaceAttribute(request, { accountId }) {
      const id = requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      const { description, sourceDestCheck, attachment } = request;
      const given = [
        request.groups.length > 0,
        description !== undefined,
        sourceDestCheck !== undefined,
        attachment !== undefined,
      ].filter(Boolean).length;
      if (given === 0) throw missingParameter('Attribute');
      if (given > 1) {
        throw new NetworkError(
          NetworkErrorCode.InvalidParameterCombination,
          'Only one attribute can be modified at a time.',
        );
      }
      const groupIds = request.groups.length > 0 ? checkGroupsPerInterface(request.groups) : [];
      for (const groupId of groupIds) requireId(ResourceKinds.securityGroup, groupId);
      if (description !== undefined && description.length > maxGroupNameLength) {
        throw invalidParameterValue(
          'Value for parameter Description is invalid. Length exceeds maximum of 255 characters.',
        );
      }
      if (attachment) requireId(ResourceKinds.interfaceAttachment, attachment.attachmentId);
      for (;;) {
        const eni = await state.networkInterfaces.get(vpcKeys.networkInterface(accountId, id));
        if (!eni) throw notFound(ResourceKinds.networkInterface, id);
        const groups = [];
        for (const groupId of groupIds) {
          const group = await state.group(accountId, groupId);
          if (group.value.vpcId !== eni.value.vpcId) {
            throw new NetworkError(
              NetworkErrorCode.InvalidGroupNotFound,
              `The security group '${groupId}' does not exist in VPC '${eni.value.vpcId}'`,
            );
          }
          groups.push(group);
        }
        let next = eni.value;
        if (groups.length > 0) next = { ...next, groupIds };
        if (description !== undefined) next = { ...next, description };
        if (sourceDestCheck !== undefined) next = { ...next, sourceDestCheck };
        if (attachment) {
          if (eni.value.attachment?.attachmentId !== attachment.attachmentId) {
            throw notFound(ResourceKinds.interfaceAttachment, attachment.attachmentId);
          }
          if (attachment.deleteOnTermination !== undefined) {
            next = {
              ...next,
              attachment: { ...eni.value.attachment, deleteOnTermination: attachment.deleteOnTermination },
            };
          }
        }
        if (request.dryRun) throw dryRunOperation();
        const result = await deps.store.txn([
          txnOps.update(eni, next),
          ...groups.map((g) => txnOps.touch(g)),
        ]);
        if (result.ok) return {};
      }
    },
  };
}
