import type { StoredTag } from '@nimbus/service-kit';

/**
 * A snapshot's lifecycle: pending (its blocks are being read into the chunk
 * store) -> completed (its manifest is written), or error. A completed record
 * always has a manifest in the chunk store: the manifest is written last, and
 * the record turns completed only after it.
 */
export type SnapshotState = 'pending' | 'completed' | 'error';

export interface SnapshotRecord {
  snapshotId: string;
  ownerId: string;
  /** The volume it was taken of (for a copy: the source's volume). */
  volumeId: string;
  /** GiB, the volume's size when the snapshot started. */
  volumeSize: number;
  state: SnapshotState;
  /** EC2's percentage string, "0%".."100%". */
  progress: string;
  startTime: string;
  /** Set once completed. */
  completionTime?: string;
  description: string;
  encrypted: boolean;
  tags: StoredTag[];
  fullSnapshotSizeInBytes: number;
  incrementalSizeInBytes: number;
  stateMessage: string;
  /** For a copy: the snapshot whose blocks it shares. */
  sourceSnapshotId?: string;
  /** For an imported snapshot: the import task that made it (its volume id is then vol-ffffffff). */
  importTaskId?: string;
}

/** When the last snapshot of a volume started: the 15-second rule's memory. */
export interface SnapshotStartRecord {
  lastStartMs: number;
}
