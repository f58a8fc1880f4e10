import type { EventBus } from '@nimbus/events';
import type { Store } from '@nimbus/store';
import type { VolumeEvents } from '../state/volume-events.js';
import type { StorageConfig } from '../storage-config.js';

/** What the API modules are built from. */
export interface ApiDeps {
  store: Store;
  bus: EventBus;
  config: StorageConfig;
  /** Absolute directory of the volumes' bytes. */
  storageRoot: string;
  /** The clock, epoch ms; tests move it instead of waiting (the 15-second snapshot rule). */
  now: () => number;
  volumeEvents: VolumeEvents;
}
