/** Instances as the API shows them, and DescribeInstances' filters. */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type Instance as InstanceMessage,
  InstanceSchema,
  type ReservationSchema,
} from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { type FilterFields, toTags } from '@nimbus/service-kit';
import { instanceState, stateCodes } from '../domain/instance-states.js';
import { type InstanceRecord, publicAddress } from '../state/instance-records.js';

type Instance = MessageInitShape<typeof InstanceSchema>;
type Reservation = MessageInitShape<typeof ReservationSchema>;

export function privateDnsName(ip: string, region: string): string {
  return ip ? `ip-${ip.replaceAll('.', '-')}.${region}.compute.internal` : '';
}

export function publicDnsName(ip: string, region: string): string {
  return ip ? `ec2-${ip.replaceAll('.', '-')}.${region}.compute.nimbus` : '';
}

export function toInstance(r: InstanceRecord, region: string): Instance {
  const reason =
    r.stateReason ?? (r.state === 'pending' ? { code: 'pending', message: 'pending' } : undefined);
  return {
    instanceId: r.instanceId,
    imageId: r.imageId,
    state: instanceState(r.state),
    privateDnsName: r.privateDnsName,
    publicDnsName: publicDnsName(publicAddress(r), region),
    stateTransitionReason: r.stateTransitionReason,
    keyName: r.keyName,
    amiLaunchIndex: r.amiLaunchIndex,
    instanceType: r.instanceType,
    launchTime: timestampFromDate(new Date(r.launchTime)),
    placement: { availabilityZone: r.availabilityZone, tenancy: 'default' },
    subnetId: r.subnetId,
    vpcId: r.vpcId,
    privateIpAddress: r.privateIpAddress,
    publicIpAddress: publicAddress(r),
    ...(reason ? { stateReason: reason } : {}),
    architecture: r.image.architecture,
    rootDeviceType: 'ebs',
    rootDeviceName: r.image.rootDeviceName,
    blockDeviceMappings: r.volumes
      .filter((v) => v.volumeId !== '')
      .map((v) => ({
        deviceName: v.deviceName,
        ebs: {
          volumeId: v.volumeId,
          status: r.state === 'terminated' ? 'detached' : 'attached',
          ...(v.attachTime ? { attachTime: timestampFromDate(new Date(v.attachTime)) } : {}),
          deleteOnTermination: v.deleteOnTermination,
        },
      })),
    clientToken: r.clientToken,
    securityGroups: r.groups,
    networkInterfaces:
      r.networkInterfaceId && r.state !== 'terminated'
        ? [
            {
              networkInterfaceId: r.networkInterfaceId,
              subnetId: r.subnetId,
              vpcId: r.vpcId,
              privateIpAddress: r.privateIpAddress,
              privateDnsName: r.privateDnsName,
              publicIp: publicAddress(r),
              groups: r.groups,
              status: 'in-use',
              deviceIndex: 0,
              macAddress: r.macAddress,
              ownerId: r.ownerId,
            },
          ]
        : [],
    tags: toTags(r.tags),
    virtualizationType: 'hvm',
    hypervisor: 'nitro',
    platformDetails: 'Linux/UNIX',
    metadataOptions: { ...r.metadataOptions, state: 'applied' },
    workerName: r.workerName,
    monitoringState: 'disabled',
    ownerId: r.ownerId,
    reservationId: r.reservationId,
  };
}

/**
 * The Instance message of a record, made once per record: cached records are
 * replaced, never changed, on every write, so a page of a large Describe
 * reuses the messages of every instance that did not change since.
 */
const messages = new WeakMap<InstanceRecord, InstanceMessage>();

function instanceMessage(r: InstanceRecord, region: string): InstanceMessage {
  let message = messages.get(r);
  if (!message) {
    message = create(InstanceSchema, toInstance(r, region));
    messages.set(r, message);
  }
  return message;
}

/** Instances grouped by reservation, reservations in the order their first instance comes. */
export function toReservations(records: readonly InstanceRecord[], region: string): Reservation[] {
  const byId = new Map<string, Reservation & { instances: InstanceMessage[] }>();
  for (const r of records) {
    let reservation = byId.get(r.reservationId);
    if (!reservation) {
      reservation = {
        reservationId: r.reservationId,
        ownerId: r.ownerId,
        requesterId: r.requesterId,
        groups: [],
        instances: [],
      };
      byId.set(r.reservationId, reservation);
    }
    reservation.instances.push(instanceMessage(r, region));
  }
  return [...byId.values()];
}

export const instanceFilterFields: FilterFields<InstanceRecord> = {
  'instance-id': (r) => r.instanceId,
  'instance-state-name': (r) => r.state,
  'instance-state-code': (r) => String(stateCodes[r.state]),
  'instance-type': (r) => r.instanceType,
  'image-id': (r) => r.imageId,
  'availability-zone': (r) => r.availabilityZone,
  'private-ip-address': (r) => r.privateIpAddress,
  'ip-address': (r) => publicAddress(r),
  'vpc-id': (r) => r.vpcId,
  'subnet-id': (r) => r.subnetId,
  'key-name': (r) => r.keyName,
  'reservation-id': (r) => r.reservationId,
  'client-token': (r) => r.clientToken,
  'launch-index': (r) => String(r.amiLaunchIndex),
  'private-dns-name': (r) => r.privateDnsName,
  'owner-id': (r) => r.ownerId,
  'instance.group-id': (r) => r.groups.map((g) => g.groupId),
  'instance.group-name': (r) => r.groups.map((g) => g.groupName),
  'network-interface.network-interface-id': (r) => r.networkInterfaceId,
  'root-device-name': (r) => r.image.rootDeviceName,
  'block-device-mapping.volume-id': (r) => r.volumes.map((v) => v.volumeId).filter(Boolean),
  'state-reason-code': (r) => r.stateReason?.code,
  architecture: (r) => r.image.architecture,
  'disable-api-termination': (r) => String(r.disableApiTermination),
};
