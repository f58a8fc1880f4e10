import type { StoredTag } from '@nimbus/service-kit';
import type { MappingRecord } from '../domain/block-device-mappings.js';
import type { LaunchPermissionRecord } from '../domain/launch-permissions.js';

/**
 * An image's lifecycle: pending (its snapshots are being made, e.g. by
 * CopyImage) -> available, or failed with a reason; deregistered by its
 * owner. A deregistered image is kept as a tombstone for a while (see
 * image-config.ts), so that a launch names the right error, then removed.
 */
export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered';

export interface ImageRecord {
  imageId: string;
  ownerId: string;
  name: string;
  description: string;
  state: ImageState;
  stateReason?: { code: string; message: string };
  architecture: string;
  rootDeviceName: string;
  virtualizationType: string;
  bootMode: string;
  enaSupport: boolean;
  blockDeviceMappings: MappingRecord[];
  /** Nimbus: what the process runtime runs to boot an instance of the image (see the proto). */
  bootCommand: string;
  /** ISO time. */
  creationDate: string;
  tags: StoredTag[];
  launchPermission: LaunchPermissionRecord;
  sourceImageId?: string;
  sourceImageRegion?: string;
  sourceInstanceId?: string;
  /** ISO time of DeregisterImage: the tombstone is removed a retention period later. */
  deregisteredAt?: string;
  /** Work a CopyImage left to the image controller: one entry per snapshot to copy. */
  copy?: CopyWork;
  /** Snapshots DeregisterImage was asked to delete and has not yet (a crash in between). */
  snapshotsToDelete?: string[];
}

export interface CopyWork {
  sourceImageId: string;
  /** The account that owns the source snapshots. */
  sourceOwnerId: string;
  snapshots: { sourceSnapshotId: string; snapshotId?: string }[];
}

/** The index that keeps names unique per owner. */
export interface ImageNameRecord {
  imageId: string;
}
