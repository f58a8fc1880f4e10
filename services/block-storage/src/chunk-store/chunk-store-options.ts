import { join } from 'node:path';
import type { BlockBackend } from './block-backend.js';
import { createFsBlockBackend } from './fs-block-backend.js';
import { createFsManifestStore } from './fs-manifest-store.js';
import { createHashWorkers, type HashWorkers } from './hash-workers.js';
import type { ManifestStore } from './manifest.js';
import type { RwLock } from './rw-lock.js';

/** 1 MiB: big enough for large sequential reads and few files (1,024 per GiB), small enough that changing 1% of a volume stores about 1% new bytes. */
export const DEFAULT_BLOCK_SIZE = 1 << 20;

export interface ChunkStoreOptions {
  /**
   * Directory of the local store: `<root>/blocks/ab/cdef…` (sha256, the first
   * two hex digits as a fan-out folder), `<root>/snapshots/<id>.json`, and
   * `<root>/tmp/` for writes in flight. Required unless both `blocks` and
   * `manifests` are given.
   */
  root?: string;
  /** Default: the local filesystem under `<root>`. */
  blocks?: BlockBackend;
  /** Default: the local filesystem under `<root>/snapshots`. */
  manifests?: ManifestStore;
  /** Bytes per block of new snapshots; a power of two from 4 KiB to 64 MiB. Default {@link DEFAULT_BLOCK_SIZE}. */
  blockSize?: number;
  /** Blocks read, hashed and written at once. Default 4. */
  concurrency?: number;
  /**
   * fsync blocks, their folders and manifests, so a snapshot survives a power
   * loss, not only a crash of the process. Default true.
   */
  durable?: boolean;
  /** On restore, check every block's bytes against its hash. Default true. */
  verifyOnRestore?: boolean;
  /**
   * A lock the processes sharing these blocks and manifests all take (snapshots
   * and restores shared, freeing blocks alone), for a store several replicas
   * use, such as one S3 bucket. Default: none, one process owns the store.
   */
  sharedLock?: RwLock;
}

export interface ResolvedChunkStoreOptions {
  blocks: BlockBackend;
  manifests: ManifestStore;
  blockSize: number;
  concurrency: number;
  durable: boolean;
  verifyOnRestore: boolean;
  /** sha256 threads, shared by the store's snapshots and restores; running only while one is. */
  hashWorkers: HashWorkers;
}

export function resolveChunkStoreOptions(options: ChunkStoreOptions): ResolvedChunkStoreOptions {
  const { root, durable = true } = options;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(Math.log2(blockSize)) || blockSize < 4096 || blockSize > 64 << 20) {
    throw new RangeError(`blockSize must be a power of two from 4 KiB to 64 MiB, got ${blockSize}`);
  }
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const needRoot = (what: string): string => {
    if (root === undefined) throw new TypeError(`chunk store: give either root or ${what}`);
    return root;
  };
  return {
    blocks: options.blocks ?? createFsBlockBackend({ root: needRoot('blocks'), durable }),
    manifests:
      options.manifests ?? createFsManifestStore({ dir: join(needRoot('manifests'), 'snapshots'), durable }),
    blockSize,
    concurrency,
    durable,
    verifyOnRestore: options.verifyOnRestore ?? true,
    hashWorkers: createHashWorkers(),
  };
}
