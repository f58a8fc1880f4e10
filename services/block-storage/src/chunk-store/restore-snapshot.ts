import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { forEachBounded } from './block-pool.js';
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
    await forEachBounded(
      stored,
      concurrency,
      async ({ hash, index }) => {
        const data = await backend.get(hash);
        const offset = index * blockSize;
        const expected = Math.min(blockSize, volumeSize - offset);
        if (verifyOnRestore) {
          const actual = createHash('sha256').update(data).digest('hex');
          if (actual !== hash) throw new BlockCorruptedError(hash, actual);
        }
        if (data.length !== expected) throw new BlockCorruptedError(hash, `a block of ${data.length} bytes`);
        let written = 0;
        while (written < data.length) {
          const r = await volume.write(data, written, data.length - written, offset + written);
          written += r.bytesWritten;
        }
        blocksDone++;
        onProgress?.({ blocksDone, blocksTotal });
      },
      signal,
    );
    if (durable) await volume.sync();
    await volume.close();
    await rename(tmp, volumePath);
  } catch (error) {
    await volume.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
}
