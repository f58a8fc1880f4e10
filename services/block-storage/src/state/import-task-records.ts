import type { StoredTag } from '@nimbus/service-kit';

/**
 * An import snapshot task's lifecycle, as EC2 names it: active (the disk image
 * is being read into the chunk store) -> completed (its snapshot record exists,
 * completed), or deleted when the import failed (no snapshot, no manifest; the
 * blocks it stored are garbage for the next collection).
 */
export type ImportTaskStatus = 'active' | 'completed' | 'deleted';

export interface ImportSnapshotTaskRecord {
  importTaskId: string;
  ownerId: string;
  description: string;
  tags: StoredTag[];
  status: ImportTaskStatus;
  /** "pending", "converting", "" once completed, the reason once deleted. */
  statusMessage: string;
  /** Percent while active, "0".."99". */
  progress: string;
  /** Reserved at the start (the chunk store's manifest is written under it); shown once completed. */
  snapshotId: string;
  /** The disk container as asked. */
  diskDescription: string;
  format: 'RAW';
  url: string;
  /** The absolute file the url names, on this host. */
  path: string;
  diskImageSize: number;
  encrypted: boolean;
  startTime: string;
}

/** What an ImportSnapshot client token stands for: the task it made, and a digest of its arguments. */
/** EC2's volume id for snapshots that were not taken of a volume (imports). */
export const noVolumeId = 'vol-ffffffff';
