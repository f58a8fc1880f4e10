/** Stored snapshot records as the API shows them. */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Snapshot, SnapshotSchema } from '@nimbus/api/gen/nimbus/storage/v1/snapshot_pb';
import { toTags } from '@nimbus/service-kit';
import type { SnapshotRecord } from '../state/snapshot-records.js';

export function snapshotView(s: SnapshotRecord): Snapshot {
  return create(SnapshotSchema, {
    snapshotId: s.snapshotId,
    volumeId: s.volumeId,
    volumeSize: s.volumeSize,
    state: s.state,
    progress: s.progress,
    startTime: timestampFromDate(new Date(s.startTime)),
    ...(s.completionTime ? { completionTime: timestampFromDate(new Date(s.completionTime)) } : {}),
    ownerId: s.ownerId,
    description: s.description,
    tags: toTags(s.tags),
    encrypted: s.encrypted,
    fullSnapshotSizeInBytes: BigInt(s.fullSnapshotSizeInBytes),
    incrementalSizeInBytes: BigInt(s.incrementalSizeInBytes),
    stateMessage: s.stateMessage,
  });
}
