import { type FileHandle, open } from 'node:fs/promises';
import { forEachBounded, laneBuffers, withHasher } from './block-pool.js';
import type { ResolvedChunkStoreOptions } from './chunk-store-options.js';
import type { Hasher } from './hash-workers.js';
import { blockCount, SNAPSHOT_ID, type SnapshotManifest } from './manifest.js';
import type { ProgressListener } from './progress.js';

export interface CreateSnapshotRequest {
  /** The snapshot's id (`snap-…`); also its manifest's name. */
  snapshotId: string;
  /** The volume file to cut into blocks. Nothing may write to it until the snapshot resolves. */
  volumePath: string;
  /**
   * The previous snapshot of this volume. Only used together with
   * `changedBlocks`: blocks not listed there are taken from the parent's
   * manifest without being read.
   */
  parentSnapshotId?: string;
  /**
   * Indexes of the blocks written since `parentSnapshotId` was taken, as the
   * volume's write path recorded them (`ChangedBlockTracker`). A block written
   * but not listed here would be recorded with its old content, so leave it
   * out (a full read of the volume) when the record may be incomplete, e.g.
   * after a restart. Ignored when the parent's volume or block size differs.
   */
  changedBlocks?: Iterable<number>;
  onProgress?: ProgressListener;
  /** Aborting stops reading; the snapshot then has no manifest, and its new blocks are garbage. */
  signal?: AbortSignal;
}

export interface CreatedSnapshot {
  manifest: SnapshotManifest;
  /** Blocks read from the volume (all of them, unless `changedBlocks` narrowed it). */
  blocksRead: number;
  /** Blocks this snapshot stored, i.e. not already in the store. */
  blocksStored: number;
  bytesStored: number;
  /** Blocks of zeros, recorded as holes and not stored. */
  holes: number;
}

export async function createSnapshot(
  options: ResolvedChunkStoreOptions,
  request: CreateSnapshotRequest,
): Promise<CreatedSnapshot> {
  const { blocks: backend, manifests, blockSize, concurrency } = options;
  const { snapshotId, signal, onProgress } = request;
  if (!SNAPSHOT_ID.test(snapshotId)) throw new TypeError(`not a snapshot id: ${snapshotId}`);
  signal?.throwIfAborted();
  const parent =
    request.parentSnapshotId === undefined ? undefined : await manifests.get(request.parentSnapshotId);

  const volume = await open(request.volumePath, 'r');
  try {
    const volumeSize = (await volume.stat()).size;
    const total = blockCount(volumeSize, blockSize);
    const hashes: (string | null)[] = new Array(total).fill(null);
    const toRead: number[] = [];
    if (
      parent &&
      request.changedBlocks &&
      parent.volumeSize === volumeSize &&
      parent.blockSize === blockSize
    ) {
      const changed = new Set(request.changedBlocks);
      for (let i = 0; i < total; i++) {
        if (changed.has(i)) toRead.push(i);
        else hashes[i] = parent.blocks[i] ?? null;
      }
    } else {
      for (let i = 0; i < total; i++) toRead.push(i);
    }

    let blocksDone = total - toRead.length;
    onProgress?.({ blocksDone, blocksTotal: total });
    const zeros = Buffer.alloc(blockSize);
    /** Blocks being stored by this snapshot, so that equal blocks in flight are written once. */
    const storing = new Map<string, Promise<void>>();
    let blocksStored = 0;
    let bytesStored = 0;

    // Each lane reads a block into its own buffer, hashes it (on a worker thread) and stores it, so
    // the lanes together keep reads, hashing and writes going at once.
    const bytesToRead = toRead.length * blockSize;
    await withHasher(options, bytesToRead, async (sha256: Hasher, onThreads: boolean) => {
      const buffers = laneBuffers(Math.min(concurrency, toRead.length), blockSize, onThreads);
      await forEachBounded(
        toRead,
        concurrency,
        async (index, lane) => {
          const offset = index * blockSize;
          const length = Math.min(blockSize, volumeSize - offset);
          const data = (buffers[lane] as Buffer).subarray(0, length);
          await readFully(volume, data, offset);
          // A block of zeros (a hole, or zeros written) is never hashed nor stored.
          if (data.equals(zeros.subarray(0, length))) {
            hashes[index] = null;
          } else {
            const hash = await sha256(data);
            hashes[index] = hash;
            let stored = storing.get(hash);
            if (stored === undefined) {
              stored = (async () => {
                if (await backend.has(hash)) return;
                await backend.put(hash, data);
                blocksStored++;
                bytesStored += length;
              })();
              storing.set(hash, stored);
            }
            await stored;
          }
          blocksDone++;
          onProgress?.({ blocksDone, blocksTotal: total });
        },
        signal,
      );
    });

    // Blocks first, durably; the manifest last, so it never names a block that is not fully written.
    await backend.sync();
    signal?.throwIfAborted();
    const manifest: SnapshotManifest = {
      format: 1,
      snapshotId,
      volumeSize,
      blockSize,
      createdAt: new Date().toISOString(),
      blocks: hashes,
    };
    await manifests.create(manifest);
    const holes = hashes.reduce((n, h) => (h === null ? n + 1 : n), 0);
    return { manifest, blocksRead: toRead.length, blocksStored, bytesStored, holes };
  } finally {
    await volume.close();
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`volume file ended at ${position + done} while being snapshotted`);
    done += bytesRead;
  }
}
