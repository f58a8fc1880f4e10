/**
 * The block-storage service's own settings, each with its environment
 * variable and default; read once at start (`readConfig`), with every problem
 * reported at once.
 */
import { join, resolve } from 'node:path';
import { ConfigError, type ConfigOf, type ConfigSpec } from '@nimbus/runtime';
import { parseS3Url, type S3ConnectionOptions, type S3Location } from './chunk-store/s3-chunk-backend.js';
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
  chunkStore: {
    env: 'NIMBUS_CHUNK_STORE',
    default: '',
    description:
      "where snapshots' blocks and manifests are kept: empty for <storage root>/chunks on this host, or s3://bucket/prefix on an S3-compatible object store that every block-storage replica reaches",
  },
  s3Endpoint: {
    env: 'NIMBUS_S3_ENDPOINT',
    default: '',
    description: "the object store's URL, e.g. http://127.0.0.1:9000 (empty: AWS S3 of NIMBUS_S3_REGION)",
  },
  s3Region: {
    env: 'NIMBUS_S3_REGION',
    default: 'us-east-1',
    description: 'the object store region to sign for',
  },
  s3AccessKeyId: {
    env: 'NIMBUS_S3_ACCESS_KEY_ID',
    default: '',
    description: "the object store's access key id (empty: the AWS SDK's chain, e.g. AWS_ACCESS_KEY_ID)",
  },
  s3SecretAccessKey: {
    env: 'NIMBUS_S3_SECRET_ACCESS_KEY',
    default: '',
    description: 'the secret of NIMBUS_S3_ACCESS_KEY_ID',
  },
  s3ForcePathStyle: {
    env: 'NIMBUS_S3_FORCE_PATH_STYLE',
    parse: 'bool',
    default: true,
    description: 'path-style requests (http://host/bucket/key), as most self-hosted object stores need',
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

/** The chunk store the settings name: local under the storage root, or an S3 bucket and prefix with its connection. */
export type ChunkStoreSetting =
  | { kind: 'local'; root: string }
  | { kind: 's3'; location: S3Location; connection: S3ConnectionOptions };

export function chunkStoreOf(config: StorageConfig, storageRoot: string): ChunkStoreSetting {
  if (config.chunkStore === '') return { kind: 'local', root: join(storageRoot, 'chunks') };
  const problems: { env: string; problem: string; description: string }[] = [];
  let location: S3Location | undefined;
  try {
    location = parseS3Url(config.chunkStore);
  } catch {
    problems.push({
      env: storageConfigSpec.chunkStore.env,
      problem: `is '${config.chunkStore}', expected empty or s3://bucket/prefix`,
      description: storageConfigSpec.chunkStore.description,
    });
  }
  if ((config.s3AccessKeyId === '') !== (config.s3SecretAccessKey === '')) {
    problems.push({
      env: storageConfigSpec.s3SecretAccessKey.env,
      problem: 'NIMBUS_S3_ACCESS_KEY_ID and NIMBUS_S3_SECRET_ACCESS_KEY go together',
      description: storageConfigSpec.s3SecretAccessKey.description,
    });
  }
  if (problems.length > 0 || !location) throw new ConfigError(problems);
  return {
    kind: 's3',
    location,
    connection: {
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      ...(config.s3AccessKeyId
        ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
        : {}),
    },
  };
}
