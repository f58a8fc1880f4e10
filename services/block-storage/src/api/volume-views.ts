/** Stored volume records as the API shows them. */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type Volume,
  type VolumeModification,
  VolumeModificationSchema,
  type VolumePerformance,
  VolumeSchema,
} from '@nimbus/api/gen/nimbus/storage/v1/volume_pb';
import { toTags } from '@nimbus/service-kit';
import type { VolumeModificationRecord, VolumeRecord } from '../state/volume-records.js';

/** `hostPath`: where the volume's bytes live on the storage host (VolumeFiles.pathOf). */
export function volumeView(v: VolumeRecord, hostPath: string, performance?: VolumePerformance): Volume {
  return create(VolumeSchema, {
    volumeId: v.volumeId,
    size: v.size,
    snapshotId: v.snapshotId,
    availabilityZone: v.availabilityZone,
    state: v.state,
    createTime: timestampFromDate(new Date(v.createTime)),
    attachments: v.attachments.map((a) => ({
      volumeId: v.volumeId,
      instanceId: a.instanceId,
      device: a.device,
      state: a.state,
      attachTime: timestampFromDate(new Date(a.attachTime)),
      deleteOnTermination: a.deleteOnTermination,
    })),
    tags: toTags(v.tags),
    volumeType: v.volumeType,
    iops: v.iops,
    throughput: v.throughput,
    encrypted: v.encrypted,
    multiAttachEnabled: v.multiAttachEnabled,
    ownerId: v.ownerId,
    hostPath,
    ...(performance ? { performance } : {}),
  });
}

export function modificationView(m: VolumeModificationRecord): VolumeModification {
  return create(VolumeModificationSchema, {
    volumeId: m.volumeId,
    modificationState: m.modificationState,
    statusMessage: m.statusMessage,
    targetSize: m.target.size,
    targetIops: m.target.iops,
    targetVolumeType: m.target.volumeType,
    targetThroughput: m.target.throughput,
    targetMultiAttachEnabled: m.target.multiAttachEnabled,
    originalSize: m.original.size,
    originalIops: m.original.iops,
    originalVolumeType: m.original.volumeType,
    originalThroughput: m.original.throughput,
    originalMultiAttachEnabled: m.original.multiAttachEnabled,
    progress: BigInt(m.progress),
    startTime: timestampFromDate(new Date(m.startTime)),
    ...(m.endTime ? { endTime: timestampFromDate(new Date(m.endTime)) } : {}),
  });
}
