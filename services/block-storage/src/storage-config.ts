/**
 * The block-storage service's own settings, each with its environment
 * variable and default; read once at start (`readConfig`), with every problem
 * reported at once.
 */
import { resolve } from 'node:path';
import { ConfigError, type ConfigOf, type ConfigSpec } from '@nimbus/runtime';
import { type VolumeFilesystem, volumeFilesystems } from './volume-files/make-filesystem.js';

export const storageConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name' },
  zones: {
    env: 'NIMBUS_ZONES',
    parse: 'list',
    default: ['nimbus-1a', 'nimbus-1b'],
    description: 'availability zones, comma-separated: a volume is created in one of them',
  },
  storageRoot: {
    env: 'NIMBUS_STORAGE_ROOT',
    description:
      "directory of the volumes' bytes (volumes/<vol-id>.img); default <NIMBUS_HOME>/storage, or .nimbus/storage in the working directory without NIMBUS_HOME",
  },
  importRoots: {
    env: 'NIMBUS_IMPORT_ROOTS',
    parse: 'list',
    default: [],
    description:
      'directories, comma-separated, whose files an account may import with ImportSnapshot (file:// urls); none by default. Nimbus services (the image service) may import any file outside the storage root',
  },
  volumeFilesystem: {
    env: 'NIMBUS_VOLUME_FILESYSTEM',
    default: 'ext4',
    description:
      'what a new blank volume holds: ext4 (made with mke2fs at creation, so workers can mount it) or none (zeros)',
  },
  home: { env: 'NIMBUS_HOME', description: 'the region home, when the region launcher runs the service' },
} satisfies ConfigSpec;

export type StorageConfig = ConfigOf<typeof storageConfigSpec>;

/** The filesystem of new blank volumes; a ConfigError for anything but ext4 or none. */
export function volumeFilesystemOf(config: Pick<StorageConfig, 'volumeFilesystem'>): VolumeFilesystem {
  const value = config.volumeFilesystem as VolumeFilesystem;
  if (!volumeFilesystems.includes(value)) {
    throw new ConfigError([
      {
        env: storageConfigSpec.volumeFilesystem.env,
        problem: `is '${config.volumeFilesystem}', expected ext4 or none`,
        description: storageConfigSpec.volumeFilesystem.description,
      },
    ]);
  }
  return value;
}

/** The absolute storage root the settings name. */
export function storageRootOf(config: Pick<StorageConfig, 'storageRoot' | 'home'>): string {
  if (config.storageRoot) return resolve(config.storageRoot);
  return config.home ? resolve(config.home, 'storage') : resolve('.nimbus', 'storage');
}
