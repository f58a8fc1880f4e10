import type { ChunkStoreOptions } from './chunk-store-options.js';
import { resolveChunkStoreOptions } from './chunk-store-options.js';
import { type CreatedSnapshot, type CreateSnapshotRequest, createSnapshot } from './create-snapshot.js';
import { SnapshotNotFoundError } from './errors.js';
import type { SnapshotManifest } from './manifest.js';
import { type RestoreSnapshotRequest, restoreSnapshot } from './restore-snapshot.js';
import { createRwLock, type RwLock } from './rw-lock.js';

export interface GarbageCollected {
  /** Blocks no manifest referenced, now deleted. */
  blocksFreed: number;
  /** Temp files of interrupted writes, now deleted. */
  leftoversRemoved: number;
}

/**
 * Incremental volume snapshots over a content-addressed block store: a
 * snapshot stores each block once under its sha256, so a snapshot after
 * changing 1% of a volume stores about 1% new bytes. Blocks are freed by mark
 * and sweep over the manifests (no reference counts to drift after a crash).
 *
 * One `ChunkStore` owns its root: two processes on one root could sweep each
 * other's blocks in flight, unless they share a lock across them
 * (`sharedLock`, e.g. store-rw-lock.ts on etcd).
 */
export interface ChunkStore {
  readonly blockSize: number;
  createSnapshot(request: CreateSnapshotRequest): Promise<CreatedSnapshot>;
  restoreSnapshot(request: RestoreSnapshotRequest): Promise<void>;
  /** Removes the manifest, then frees the blocks no other snapshot uses. Throws `SnapshotNotFoundError`. */
  deleteSnapshot(snapshotId: string): Promise<{ blocksFreed: number }>;
  getManifest(snapshotId: string): Promise<SnapshotManifest>;
  listSnapshots(): Promise<string[]>;
  /**
   * Deletes every block no manifest references and every temp file: what
   * aborted or crashed snapshots and interrupted deletes left behind. Run it
   * at start-up and now and then.
   */
  collectGarbage(): Promise<GarbageCollected>;
}

export function createChunkStore(options: ChunkStoreOptions): ChunkStore {
  const resolved = resolveChunkStoreOptions(options);
  const { blocks, manifests } = resolved;
  // Snapshots and restores share the lock; freeing blocks takes it alone. Within
  // this process first, then, for a store other processes share, across them.
  const local = createRwLock();
  const across = options.sharedLock;
  const lock: RwLock = across
    ? {
        shared: (fn) => local.shared(() => across.shared(fn)),
        exclusive: (fn) => local.exclusive(() => across.exclusive(fn)),
      }
    : local;

  /** Every hash some manifest references. */
  const referenced = async (): Promise<Set<string>> => {
    const live = new Set<string>();
    for (const id of await manifests.list()) {
      let manifest: SnapshotManifest;
      try {
        manifest = await manifests.get(id);
      } catch (error) {
        if (error instanceof SnapshotNotFoundError) continue;
        throw error;
      }
      for (const hash of manifest.blocks) if (hash !== null) live.add(hash);
    }
    return live;
  };

  return {
    blockSize: resolved.blockSize,
    createSnapshot: (request) => lock.shared(() => createSnapshot(resolved, request)),
    restoreSnapshot: (request) => lock.shared(() => restoreSnapshot(resolved, request)),
    deleteSnapshot: (snapshotId) =>
      lock.exclusive(async () => {
        const manifest = await manifests.get(snapshotId);
        // The manifest goes first: a crash after this leaves unreferenced blocks, which a sweep frees.
        await manifests.delete(snapshotId);
        const live = await referenced();
        const unused = new Set(manifest.blocks.filter((h): h is string => h !== null && !live.has(h)));
        await forEachChunk([...unused], 64, (hash) => blocks.delete(hash));
        return { blocksFreed: unused.size };
      }),
    getManifest: (snapshotId) => manifests.get(snapshotId),
    listSnapshots: () => manifests.list(),
    collectGarbage: () =>
      lock.exclusive(async () => {
        const leftoversRemoved = (await blocks.removeLeftovers()) + (await manifests.removeLeftovers());
        const live = await referenced();
        const unreferenced: string[] = [];
        for await (const hash of blocks.list()) if (!live.has(hash)) unreferenced.push(hash);
        await forEachChunk(unreferenced, 64, (hash) => blocks.delete(hash));
        return { blocksFreed: unreferenced.length, leftoversRemoved };
      }),
  };
}

async function forEachChunk<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
