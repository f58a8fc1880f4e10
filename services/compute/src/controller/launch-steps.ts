/**
 * The external steps of a launch, each idempotent: a volume or the interface
 * is created with a client token derived from the instance id, so a step
 * retried after a crash (compute died between the call and recording its
 * answer) gets the same resource back instead of a second one. Each answer is
 * recorded in the instance record before the next step starts.
 */
import { isRemoteError } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import type { Peers } from '../api/api-deps.js';
import { privateDnsName } from '../api/instance-views.js';
import type { InstanceRecord, InstanceVolume, MappedVolumeSpec } from '../state/instance-records.js';
import type { InstanceStore } from '../state/instance-store.js';

/** The client token of a volume of the launch: at most 64 ASCII characters. */
export function volumeToken(instanceId: string, deviceName: string): string {
  return `${instanceId}:${deviceName}`;
}

export function interfaceToken(instanceId: string): string {
  return `${instanceId}:eni`;
}

/** CreateVolume's request for a volume of the launch: the same every time, so its client token finds the first answer. */
export function volumeRequest(r: InstanceRecord, volume: MappedVolumeSpec) {
  return {
    availabilityZone: r.availabilityZone,
    size: volume.size,
    volumeType: volume.volumeType,
    iops: volume.iops,
    throughput: volume.throughput,
    snapshotId: volume.snapshotId,
    // An image's snapshot belongs to the image's owner; the image service said the caller may launch it.
    snapshotOwnerId: volume.snapshotId === '' ? '' : (volume.snapshotOwnerId ?? ''),
    encrypted: volume.encrypted,
    clientToken: volumeToken(r.instanceId, volume.deviceName),
    tagSpecifications: r.volumeTags.length > 0 ? [{ resourceType: 'volume', tags: r.volumeTags }] : [],
  };
}

/** CreateNetworkInterface's request for the primary interface, the same every time. */
export function interfaceRequest(r: InstanceRecord) {
  return {
    subnetId: r.subnetId,
    description: `Primary network interface of ${r.instanceId}`,
    privateIpAddress: r.requestedPrivateIp,
    groups: r.groups.map((g) => g.groupId),
    clientToken: interfaceToken(r.instanceId),
  };
}

export class LaunchFailure extends Error {
  override name = 'LaunchFailure';
  constructor(
    readonly code: 'Server.InternalError' | 'Server.InsufficientInstanceCapacity',
    message: string,
  ) {
    super(message);
  }
}

export interface LaunchSteps {
  /** Creates (or finds again) each volume not yet recorded, and marks the available ones ready. False while some are not. */
  volumes(record: Stored<InstanceRecord>): Promise<{ record: Stored<InstanceRecord>; ready: boolean }>;
  /**
   * Creates (or finds again) the primary interface and attaches it at device
   * index 0 (which only compute may detach, at terminate), so that Elastic IPs
   * can be associated by instance id.
   */
  networkInterface(record: Stored<InstanceRecord>): Promise<Stored<InstanceRecord>>;
  /** An auto-assigned public address, when the instance gets one. */
  publicIp(record: Stored<InstanceRecord>): Promise<Stored<InstanceRecord>>;
}

export function createLaunchSteps(peers: Peers, instances: InstanceStore, region: string): LaunchSteps {
  const write = async (record: Stored<InstanceRecord>, change: (r: InstanceRecord) => InstanceRecord) => {
    const written = await instances.update(record, change);
    if (!written) throw new Error(`instance ${record.value.instanceId} vanished`);
    return written.record;
  };
  const setVolume = (deviceName: string, patch: Partial<InstanceVolume>) => (r: InstanceRecord) => ({
    ...r,
    volumes: r.volumes.map((v) => (v.deviceName === deviceName ? { ...v, ...patch } : v)),
  });

  /** AttachVolume, or finding it attached already (a crash came between the call and its record). */
  const attachVolume = async (r: InstanceRecord, volume: InstanceVolume) => {
    try {
      await peers.storage.attachVolume(
        {
          volumeId: volume.volumeId,
          instanceId: r.instanceId,
          device: volume.deviceName,
          instanceAvailabilityZone: r.availabilityZone,
          deleteOnTermination: volume.deleteOnTermination,
        },
        { accountId: r.ownerId },
      );
    } catch (error) {
      if (!isRemoteError(error)) throw error;
      const { volumes } = await peers.storage.describeVolumes(
        { volumeIds: [volume.volumeId] },
        { accountId: r.ownerId },
      );
      if (!volumes[0]?.attachments.some((a) => a.instanceId === r.instanceId)) throw error;
    }
  };

  return {
    async volumes(record) {
      let current = record;
      const r = () => current.value;
      for (const volume of r().volumes) {
        if (volume.volumeId !== '') continue;
        const made = await peers.storage.createVolume(volumeRequest(r(), volume), { accountId: r().ownerId });
        const v = made.volume;
        if (!v) throw new Error('CreateVolume answered without a volume');
        current = await write(
          current,
          setVolume(volume.deviceName, {
            volumeId: v.volumeId,
            hostPath: v.hostPath,
            size: v.size,
            attachTime: new Date().toISOString(),
            ready: v.state === 'available',
          }),
        );
      }
      const waiting = r().volumes.filter((v) => !v.ready);
      if (waiting.length === 0) return { record: current, ready: true };
      const { volumes } = await peers.storage.describeVolumes(
        { volumeIds: waiting.map((v) => v.volumeId) },
        { accountId: r().ownerId },
      );
      for (const v of volumes) {
        const mine = waiting.find((w) => w.volumeId === v.volumeId);
        if (!mine) continue;
        if (v.state === 'error')
          throw new LaunchFailure('Server.InternalError', `Volume ${v.volumeId} failed to be created.`);
        if (v.state === 'available' || v.state === 'in-use') {
          current = await write(current, setVolume(mine.deviceName, { ready: true, hostPath: v.hostPath }));
        }
      }
      if (!r().volumes.every((v) => v.ready)) return { record: current, ready: false };
      for (const volume of r().volumes) {
        if (volume.attached) continue;
        await attachVolume(r(), volume);
        current = await write(current, setVolume(volume.deviceName, { attached: true }));
      }
      return { record: current, ready: true };
    },

    async networkInterface(record) {
      let current = record;
      const r = current.value;
      const accountId = r.ownerId;
      if (r.networkInterfaceId === '') {
        const made = await peers.network.createNetworkInterface(interfaceRequest(r), { accountId });
        const eni = made.networkInterface;
        if (!eni) throw new Error('CreateNetworkInterface answered without an interface');
        current = await write(current, (c) => ({
          ...c,
          networkInterfaceId: eni.networkInterfaceId,
          privateIpAddress: eni.privateIpAddress,
          privateDnsName: privateDnsName(eni.privateIpAddress, region),
          macAddress: eni.macAddress,
        }));
      }
      if (current.value.attachmentId === '') {
        const eniId = current.value.networkInterfaceId;
        let attachmentId = '';
        try {
          attachmentId = (
            await peers.network.attachNetworkInterface(
              { networkInterfaceId: eniId, instanceId: r.instanceId, deviceIndex: 0 },
              { accountId },
            )
          ).attachmentId;
        } catch (error) {
          if (!isRemoteError(error)) throw error;
          // Attached before a crash kept us from recording it: read the attachment back.
          const { networkInterfaces } = await peers.network.describeNetworkInterfaces(
            { networkInterfaceIds: [eniId] },
            { accountId },
          );
          const attachment = networkInterfaces[0]?.attachment;
          if (attachment?.instanceId !== r.instanceId) throw error;
          attachmentId = attachment.attachmentId;
        }
        current = await write(current, (c) => ({ ...c, attachmentId }));
      }
      return current;
    },

    async publicIp(record) {
      const r = record.value;
      if (!r.associatePublicIp || r.publicIp !== '') return record;
      const { publicIp } = await peers.network.allocatePublicIp(
        { networkInterfaceId: r.networkInterfaceId },
        { accountId: r.ownerId },
      );
      // The worker serves it (public-ipv4): a new generation so that it is told.
      return write(record, (c) => ({ ...c, publicIp, generation: c.generation + 1 }));
    },
  };
}
