import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { readBlockInto } from './block-backend.js';
import { forEachBounded, laneBuffers, withHasher } from './block-pool.js';
import type { ResolvedChunkStoreOptions } from './chunk-store-options.js';
import { BlockCorruptedError } from './errors.js';
import type { ProgressListener } from './progress.js';

export interface RestoreSnapshotRequest {
  snapshotId: string;
  /** Written as a new sparse file beside it, then renamed over this path. */
  volumePath: string;
  onProgress?: ProgressListener;
  /** Aborting stops writing and removes the partial file. */
  signal?: AbortSignal;
}

export async function restoreSnapshot(
  options: ResolvedChunkStoreOptions,
  request: RestoreSnapshotRequest,
): Promise<void> {
  const { blocks: backend, manifests, concurrency, verifyOnRestore, durable } = options;
  const { volumePath, signal, onProgress } = request;
  signal?.throwIfAborted();
  const manifest = await manifests.get(request.snapshotId);
  const { blockSize, volumeSize } = manifest;
  const blocksTotal = manifest.blocks.length;
  const stored = manifest.blocks.flatMap((hash, index) => (hash === null ? [] : [{ hash, index }]));
  let blocksDone = blocksTotal - stored.length;
  onProgress?.({ blocksDone, blocksTotal });

  const tmp = `${volumePath}.restoring-${randomBytes(6).toString('hex')}`;
  const volume = await open(tmp, 'wx');
  try {
    // Holes are never written, so they stay sparse.
    await volume.truncate(volumeSize);
    // Lanes as in createSnapshot: each reads a block into its own buffer, checks it (on a worker thread) and writes it.
    const verifiedBytes = verifyOnRestore ? stored.length * blockSize : 0;
    await withHasher(options, verifiedBytes, async (sha256, onThreads) => {
      const buffers = laneBuffers(Math.min(concurrency, stored.length), blockSize, onThreads);
      await forEachBounded(
        stored,
        concurrency,
        async ({ hash, index }, lane) => {
          const buffer = buffers[lane] as Buffer;
          const length = await readBlockInto(backend, hash, buffer);
          const offset = index * blockSize;
          const expected = Math.min(blockSize, volumeSize - offset);
          if (length > buffer.length) throw new BlockCorruptedError(hash, `a block of ${length} bytes`);
          const data = buffer.subarray(0, length);
          if (verifyOnRestore) {
            const actual = await sha256(data);
            if (actual !== hash) throw new BlockCorruptedError(hash, actual);
          }
          if (length !== expected) throw new BlockCorruptedError(hash, `a block of ${length} bytes`);
          let written = 0;
          while (written < length) {
            const r = await volume.write(data, written, length - written, offset + written);
            written += r.bytesWritten;
          }
          blocksDone++;
          onProgress?.({ blocksDone, blocksTotal });
        },
        signal,
      );
    });
    if (durable) await volume.sync();
    await volume.close();
    await rename(tmp, volumePath);
  } catch (error) {
    await volume.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
}
