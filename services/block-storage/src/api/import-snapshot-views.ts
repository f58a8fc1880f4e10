/** Stored import snapshot tasks as the API shows them. */
import { create } from '@bufbuild/protobuf';
import {
  type ImportSnapshotTask,
  ImportSnapshotTaskSchema,
} from '@nimbus/api/gen/nimbus/storage/v1/import_snapshot_pb';
import { toTags } from '@nimbus/service-kit';
import type { ImportSnapshotTaskRecord } from '../state/import-task-records.js';

export function importTaskView(t: ImportSnapshotTaskRecord): ImportSnapshotTask {
  return create(ImportSnapshotTaskSchema, {
    importTaskId: t.importTaskId,
    description: t.description,
    tags: toTags(t.tags),
    snapshotTaskDetail: {
      description: t.diskDescription,
      diskImageSize: t.diskImageSize,
      encrypted: t.encrypted,
      format: t.format,
      progress: t.status === 'active' ? t.progress : '',
      // The snapshot exists (and is shown) only once the task completed.
      snapshotId: t.status === 'completed' ? t.snapshotId : '',
      status: t.status,
      statusMessage: t.statusMessage,
      url: t.url,
    },
  });
}
