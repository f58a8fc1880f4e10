export { BLOCK_HASH, type BlockBackend } from './block-backend.js';
export { type ChangedBlockTracker, createChangedBlockTracker } from './changed-block-tracker.js';
export { type ChunkStore, createChunkStore, type GarbageCollected } from './chunk-store.js';
export { type ChunkStoreOptions, DEFAULT_BLOCK_SIZE } from './chunk-store-options.js';
export type { CreatedSnapshot, CreateSnapshotRequest } from './create-snapshot.js';
export {
  BlockCorruptedError,
  BlockNotFoundError,
  ManifestInvalidError,
  SnapshotExistsError,
  SnapshotNotFoundError,
} from './errors.js';
export { createFsBlockBackend, type FsBlockBackendOptions } from './fs-block-backend.js';
export { createFsManifestStore, type FsManifestStoreOptions } from './fs-manifest-store.js';
export type { ManifestStore, SnapshotManifest } from './manifest.js';
export { type BlockProgress, type ProgressListener, progressPercent } from './progress.js';
export type { RestoreSnapshotRequest } from './restore-snapshot.js';
