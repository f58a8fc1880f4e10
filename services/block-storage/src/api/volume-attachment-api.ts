/**
 * AttachVolume and DetachVolume, as EC2 rules them. An attachment lives in its
 * volume's record; a device claim key per (instance, device) makes sure one
 * device of an instance holds one volume, and is written in the same
 * transaction as the volume, so of two concurrent attaches of a single-attach
 * volume (or of two volumes at one device) exactly one wins.
 *
 * attaching -> attached and detaching -> gone are taken right after the call
 * answers (volume lifecycle), and again by the start-up sweep after a crash.
 * Workers follow the attachments and mount/unmount the volume's host_path.
 *
 * Nimbus: block storage does not look instances up. The compute service calls
 * these actions acting for the account, with the instance's zone; a user
 * calling them directly names an instance nobody checks (instance checks
 * through compute are a later step of the compute issue).
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import {
  type VolumeAttachment,
  VolumeAttachmentSchema,
} from '@nimbus/api/gen/nimbus/storage/v1/volume_attachment_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation, isId } from '@nimbus/service-kit';
import { checkDeviceName, isRootDevice, maxMultiAttachments } from '../domain/device-names.js';
import {
  invalidParameterCombination,
  missingParameter,
  StorageError,
  StorageErrorCode,
} from '../domain/storage-errors.js';
import { storageKeys } from '../state/storage-keys.js';
import type { VolumeLifecycle } from '../state/volume-lifecycle.js';
import { getVolume } from '../state/volume-lookups.js';
import type { StoredAttachment, VolumeRecord } from '../state/volume-records.js';
import type { ApiDeps } from './api-deps.js';

type AttachmentApi = Pick<ServiceImpl<typeof BlockStorageService>, 'attachVolume' | 'detachVolume'>;

export function attachmentView(volumeId: string, a: StoredAttachment): VolumeAttachment {
  return create(VolumeAttachmentSchema, {
    volumeId,
    instanceId: a.instanceId,
    device: a.device,
    state: a.state,
    attachTime: timestampFromDate(new Date(a.attachTime)),
    deleteOnTermination: a.deleteOnTermination,
  });
}

function requireInstanceId(instanceId: string): void {
  if (instanceId === '') throw missingParameter('InstanceId');
  if (!isId('i', instanceId)) {
    throw new StorageError(
      StorageErrorCode.InvalidInstanceIdMalformed,
      `Invalid id: "${instanceId}" (expecting "i-...")`,
    );
  }
}

/** Why the volume cannot be attached to the instance at the device now, if it cannot. */
function attachRefusal(
  volume: VolumeRecord,
  instanceId: string,
  device: string,
  zone: string,
): StorageError | undefined {
  const id = volume.volumeId;
  if (volume.availabilityZone !== zone) {
    return new StorageError(
      StorageErrorCode.InvalidVolumeZoneMismatch,
      `The volume '${id}' is not in the same availability zone as instance '${instanceId}'`,
    );
  }
  if (volume.attachments.some((a) => a.instanceId === instanceId)) {
    return new StorageError(StorageErrorCode.VolumeInUse, `${id} is already attached to an instance`);
  }
  const multi = volume.multiAttachEnabled;
  if (volume.state === 'in-use' && !multi) {
    const to = volume.attachments.map((a) => a.instanceId).join(', ');
    return new StorageError(StorageErrorCode.VolumeInUse, `${id} is already attached to an instance (${to})`);
  }
  if (volume.state !== 'available' && volume.state !== 'in-use') {
    return new StorageError(
      StorageErrorCode.IncorrectState,
      `The volume '${id}' is '${volume.state}'; it must be 'available' to be attached.`,
    );
  }
  if (multi && volume.attachments.length >= maxMultiAttachments) {
    return new StorageError(
      StorageErrorCode.AttachmentLimitExceeded,
      `The Multi-Attach volume ${id} is already attached to ${maxMultiAttachments} instances, the most it can be.`,
    );
  }
  if (isRootDevice(device)) {
    if (multi) return invalidParameterCombination(`The Multi-Attach volume ${id} cannot be a root volume.`);
    if (volume.volumeType === 'st1' || volume.volumeType === 'sc1') {
      return invalidParameterCombination(
        `A ${volume.volumeType} volume cannot be a root volume: ${id} cannot be attached at ${device}.`,
      );
    }
  }
  return undefined;
}

export function createVolumeAttachmentApi(deps: ApiDeps, lifecycle: VolumeLifecycle): AttachmentApi {
  const volumes = createRecords<VolumeRecord>(deps.store);

  return {
    async attachVolume(request, { accountId }) {
      if (request.volumeId === '') throw missingParameter('VolumeId');
      requireInstanceId(request.instanceId);
      if (request.device === '') throw missingParameter('Device');
      checkDeviceName(request.device);
      if (request.instanceAvailabilityZone === '') {
        throw new StorageError(
          StorageErrorCode.MissingParameter,
          "The request must contain the parameter InstanceAvailabilityZone (Nimbus: the instance's zone, which the compute service fills in)",
        );
      }
      const first = await getVolume(volumes, accountId, request.volumeId);
      if (request.dryRun) {
        const refused = attachRefusal(
          first.value,
          request.instanceId,
          request.device,
          request.instanceAvailabilityZone,
        );
        throw refused ?? dryRunOperation();
      }
      const claimKey = storageKeys.deviceClaim(accountId, request.instanceId, request.device);
      for (let attempt = 0; ; attempt++) {
        const record = attempt === 0 ? first : await getVolume(volumes, accountId, request.volumeId);
        const volume = record.value;
        const refused = attachRefusal(
          volume,
          request.instanceId,
          request.device,
          request.instanceAvailabilityZone,
        );
        if (refused) throw refused;
        const attachment: StoredAttachment = {
          instanceId: request.instanceId,
          device: request.device,
          state: 'attaching',
          attachTime: new Date(deps.now()).toISOString(),
          deleteOnTermination: request.deleteOnTermination,
        };
        const next: VolumeRecord = {
          ...volume,
          state: 'in-use',
          attachments: [...volume.attachments, attachment],
        };
        const result = await deps.store.txn([
          { type: 'update', key: record.key, value: JSON.stringify(next), expectedRevision: record.revision },
          { type: 'create', key: claimKey, value: volume.volumeId },
        ]);
        if (result.ok) {
          if (volume.state !== 'in-use')
            await deps.volumeEvents.stateChanged(next, result.revision, volume.state);
          lifecycle.later(() => lifecycle.completeAttachment(record.key, request.instanceId));
          return { attachment: attachmentView(volume.volumeId, attachment) };
        }
        if (result.failedKey === claimKey) {
          const holder = await deps.store.get(claimKey);
          if (holder && holder.value !== volume.volumeId) {
            throw new StorageError(
              StorageErrorCode.InvalidParameterValue,
              `Attachment point ${request.device} is already in use`,
            );
          }
        }
        if (attempt >= 10) {
          throw new StorageError('InternalError', 'The attachment could not be recorded; try again.');
        }
      }
    },

    async detachVolume(request, { accountId, service }) {
      if (request.volumeId === '') throw missingParameter('VolumeId');
      if (request.instanceId !== '') requireInstanceId(request.instanceId);
      if (request.device !== '') checkDeviceName(request.device);
      const volumeId = request.volumeId;
      const notAttached = () =>
        new StorageError(
          StorageErrorCode.InvalidAttachmentNotFound,
          `Volume '${volumeId}' can not be detached from '${request.instanceId || request.device}' because it is not attached`,
        );
      /** The attachment the request names, or why it cannot be detached. */
      const chosen = (volume: VolumeRecord): StoredAttachment => {
        if (volume.attachments.length === 0) {
          throw new StorageError(
            StorageErrorCode.IncorrectState,
            `Volume '${volumeId}' is in the '${volume.state}' state.`,
          );
        }
        const matching = volume.attachments.filter(
          (a) =>
            (request.instanceId === '' || a.instanceId === request.instanceId) &&
            (request.device === '' || a.device === request.device),
        );
        if (matching.length === 0) throw notAttached();
        if (matching.length > 1) {
          throw new StorageError(
            StorageErrorCode.MissingParameter,
            `The Multi-Attach volume ${volumeId} is attached to ${matching.length} instances: the request must contain the parameter InstanceId`,
          );
        }
        const attachment = matching[0] as StoredAttachment;
        if (isRootDevice(attachment.device) && !service) {
          throw new StorageError(
            StorageErrorCode.OperationNotPermitted,
            `Unable to detach root volume '${volumeId}' from instance '${attachment.instanceId}'. Nimbus: root volumes are detached by the compute service when the instance is stopped or terminated.`,
          );
        }
        return attachment;
      };

      chosen((await getVolume(volumes, accountId, volumeId)).value);
      if (request.dryRun) throw dryRunOperation();
      for (;;) {
        const record = await getVolume(volumes, accountId, volumeId);
        const attachment = chosen(record.value);
        if (attachment.state === 'detaching' && !request.force) {
          return { attachment: attachmentView(volumeId, attachment) };
        }
        const leaving: StoredAttachment = { ...attachment, state: 'detaching' };
        const next: VolumeRecord = {
          ...record.value,
          attachments: record.value.attachments.map((a) => (a === attachment ? leaving : a)),
        };
        if (!(await volumes.update(record, next))) continue;
        if (request.force) await lifecycle.finishDetachment(record.key, attachment.instanceId);
        else lifecycle.later(() => lifecycle.finishDetachment(record.key, attachment.instanceId));
        return { attachment: attachmentView(volumeId, leaving) };
      }
    },
  };
}
