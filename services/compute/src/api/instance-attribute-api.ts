/**
 * ModifyInstanceAttribute and DescribeInstanceAttribute, one attribute per
 * call as in EC2. The instance type and user data change only while the
 * instance is stopped; the groups change on its primary interface (through
 * the network service); DeleteOnTermination per attached volume.
 */
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ModifyInstanceAttributeRequest } from '@nimbus/api/gen/nimbus/compute/v1/instance_attribute_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { dryRunOperation, invalidParameterCombination, invalidParameterValue } from '@nimbus/service-kit';
import { incorrectInstanceState, missingParameter } from '../domain/compute-errors.js';
import { findInstanceType } from '../domain/instance-types.js';
import { decodeUserData } from '../domain/user-data.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ApiDeps } from './api-deps.js';
import { lookUpGroups } from './launch-lookups.js';

type AttributeApi = Pick<
  ServiceImpl<typeof ComputeService>,
  'modifyInstanceAttribute' | 'describeInstanceAttribute'
>;

const attributes = [
  'instanceType',
  'userData',
  'disableApiTermination',
  'instanceInitiatedShutdownBehavior',
  'groupSet',
  'blockDeviceMapping',
  'rootDeviceName',
] as const;
type Attribute = (typeof attributes)[number];

function checkAttribute(name: string): Attribute {
  if (!(attributes as readonly string[]).includes(name)) {
    throw invalidParameterValue(`Value (${name}) for parameter attribute is invalid. Unknown attribute.`);
  }
  return name as Attribute;
}

/** The one attribute a Modify call changes, with its new value as text (booleans "true"/"false"). */
function whatChanges(request: ModifyInstanceAttributeRequest): { attribute: Attribute; value: string } {
  const asked: { attribute: Attribute; value: string }[] = [];
  if (request.instanceType !== undefined)
    asked.push({ attribute: 'instanceType', value: request.instanceType });
  if (request.userData !== undefined) asked.push({ attribute: 'userData', value: request.userData });
  if (request.disableApiTermination !== undefined) {
    asked.push({ attribute: 'disableApiTermination', value: String(request.disableApiTermination) });
  }
  if (request.instanceInitiatedShutdownBehavior !== undefined) {
    asked.push({
      attribute: 'instanceInitiatedShutdownBehavior',
      value: request.instanceInitiatedShutdownBehavior,
    });
  }
  if (request.groups.length > 0) asked.push({ attribute: 'groupSet', value: '' });
  if (request.blockDeviceMappings.length > 0) asked.push({ attribute: 'blockDeviceMapping', value: '' });
  if (request.attribute !== '') {
    const attribute = checkAttribute(request.attribute);
    if (attribute === 'rootDeviceName')
      throw invalidParameterValue('The attribute rootDeviceName cannot be modified.');
    if (!asked.some((a) => a.attribute === attribute)) {
      if (request.value === undefined) throw missingParameter('Value');
      asked.push({ attribute, value: request.value });
    }
  }
  if (asked.length === 0) throw missingParameter('Attribute');
  if (asked.length > 1) {
    throw invalidParameterCombination(
      `Fields for multiple attribute types specified: ${asked.map((a) => a.attribute).join(', ')}`,
    );
  }
  return asked[0] as { attribute: Attribute; value: string };
}

function parseBool(value: string): boolean {
  if (value !== 'true' && value !== 'false')
    throw invalidParameterValue(`Value (${value}) for parameter value is invalid. Expected true or false.`);
  return value === 'true';
}

export function createInstanceAttributeApi(deps: ApiDeps): AttributeApi {
  const instances = createInstanceStore(deps.store);
  return {
    async modifyInstanceAttribute(request, { accountId }) {
      const [record] = await instances.require(accountId, [request.instanceId]);
      if (!record) throw missingParameter('InstanceId');
      const { attribute, value } = whatChanges(request);
      const whileStopped = (r: InstanceRecord) => {
        if (r.state !== 'stopped')
          throw incorrectInstanceState(
            r.instanceId,
            r.state,
            `modified (${attribute} needs a stopped instance)`,
          );
      };
      if (record.value.state === 'terminated' || record.value.state === 'shutting-down') {
        throw incorrectInstanceState(record.value.instanceId, record.value.state, 'modified');
      }
      let change: (r: InstanceRecord) => InstanceRecord;
      switch (attribute) {
        case 'instanceType': {
          if (!findInstanceType(value))
            throw invalidParameterValue(`Invalid value '${value}' for InstanceType.`);
          whileStopped(record.value);
          change = (r) => {
            whileStopped(r);
            return { ...r, instanceType: value };
          };
          break;
        }
        case 'userData': {
          decodeUserData(value);
          whileStopped(record.value);
          change = (r) => {
            whileStopped(r);
            return { ...r, userData: value };
          };
          break;
        }
        case 'disableApiTermination': {
          const on = parseBool(value);
          change = (r) => ({ ...r, disableApiTermination: on });
          break;
        }
        case 'instanceInitiatedShutdownBehavior': {
          if (value !== 'stop' && value !== 'terminate') {
            throw invalidParameterValue(
              `Value (${value}) for parameter InstanceInitiatedShutdownBehavior is invalid. Expected stop or terminate.`,
            );
          }
          change = (r) => ({ ...r, shutdownBehavior: value });
          break;
        }
        case 'groupSet': {
          const groups = await lookUpGroups(deps.peers, accountId, record.value.vpcId, request.groups, []);
          if (request.dryRun) throw dryRunOperation();
          if (record.value.networkInterfaceId) {
            await deps.peers.network.modifyNetworkInterfaceAttribute(
              { networkInterfaceId: record.value.networkInterfaceId, groups: groups.map((g) => g.groupId) },
              { accountId },
            );
          }
          change = (r) => ({ ...r, groups });
          break;
        }
        case 'blockDeviceMapping': {
          for (const m of request.blockDeviceMappings) {
            if (!record.value.volumes.some((v) => v.deviceName === m.deviceName)) {
              throw invalidParameterValue(
                `The instance '${record.value.instanceId}' has no device named '${m.deviceName}'.`,
              );
            }
          }
          change = (r) => ({
            ...r,
            volumes: r.volumes.map((v) => {
              const m = request.blockDeviceMappings.find((b) => b.deviceName === v.deviceName);
              return m?.ebs ? { ...v, deleteOnTermination: m.ebs.deleteOnTermination } : v;
            }),
          });
          break;
        }
        default:
          throw invalidParameterValue(`The attribute ${attribute} cannot be modified.`);
      }
      if (request.dryRun) throw dryRunOperation();
      await instances.update(record, (r) => ({ ...change(r), generation: r.generation + 1 }));
      return {};
    },

    async describeInstanceAttribute(request, { accountId }) {
      if (request.attribute === '') throw missingParameter('Attribute');
      const attribute = checkAttribute(request.attribute);
      const [record] = await instances.require(accountId, [request.instanceId]);
      if (!record) throw missingParameter('InstanceId');
      if (request.dryRun) throw dryRunOperation();
      const r = record.value;
      const base = { instanceId: r.instanceId };
      switch (attribute) {
        case 'instanceType':
          return { ...base, instanceType: r.instanceType };
        case 'userData':
          return { ...base, userData: r.userData };
        case 'disableApiTermination':
          return { ...base, disableApiTermination: r.disableApiTermination };
        case 'instanceInitiatedShutdownBehavior':
          return { ...base, instanceInitiatedShutdownBehavior: r.shutdownBehavior };
        case 'groupSet':
          return { ...base, groups: r.groups };
        case 'rootDeviceName':
          return { ...base, rootDeviceName: r.image.rootDeviceName };
        case 'blockDeviceMapping':
          return {
            ...base,
            blockDeviceMappings: r.volumes
              .filter((v) => v.volumeId !== '')
              .map((v) => ({
                deviceName: v.deviceName,
                ebs: { volumeId: v.volumeId, status: 'attached', deleteOnTermination: v.deleteOnTermination },
              })),
          };
      }
    },
  };
}
