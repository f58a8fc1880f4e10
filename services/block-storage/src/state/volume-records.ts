import type { StoredTag } from '@nimbus/service-kit';
import type { VolumeSpec } from '../domain/volume-types.js';

/**
 * A volume's lifecycle: creating -> available (-> in-use once attached) ->
 * deleting -> gone; `error` when its bytes could not be made.
 */
export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';

export interface StoredAttachment {
  instanceId: string;
  device: string;
  state: 'attaching' | 'attached' | 'detaching' | 'detached';
  attachTime: string;
  deleteOnTermination: boolean;
}

export interface VolumeRecord extends VolumeSpec {
  volumeId: string;
  ownerId: string;
  availabilityZone: string;
  state: VolumeState;
  createTime: string;
  snapshotId: string;
  encrypted: boolean;
  attachments: StoredAttachment[];
  tags: StoredTag[];
}

export type ModificationState = 'modifying' | 'optimizing' | 'completed' | 'failed';

export interface VolumeModificationRecord {
  volumeId: string;
  ownerId: string;
  modificationState: ModificationState;
  statusMessage: string;
  original: VolumeSpec;
  target: VolumeSpec;
  progress: number;
  startTime: string;
  /** Set once completed or failed. */
  endTime?: string;
}

/** What a CreateVolume client token stands for: the volume it made, and a digest of its arguments. */
