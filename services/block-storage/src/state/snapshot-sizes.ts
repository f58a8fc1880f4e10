import type { SnapshotManifest } from '../chunk-store/index.js';

/** Bytes of block `index` of a manifest: the block size, except for a shorter last block. */
function blockBytes(manifest: SnapshotManifest, index: number): number {
  return Math.min(manifest.blockSize, manifest.volumeSize - index * manifest.blockSize);
}

/**
 * A snapshot's sizes as EC2 reports them: full = the bytes of every block it
 * holds (holes excluded, shared blocks included); incremental = the bytes of
 * its blocks that the previous snapshot of the volume did not have, each
 * distinct block counted once: what this snapshot added to the store.
 */
export function snapshotSizes(
  manifest: SnapshotManifest,
  previous: SnapshotManifest | undefined,
): { fullSnapshotSizeInBytes: number; incrementalSizeInBytes: number } {
  const before = new Set(previous?.blocks.filter((h): h is string => h !== null));
  const counted = new Set<string>();
  let full = 0;
  let incremental = 0;
  manifest.blocks.forEach((hash, index) => {
    if (hash === null) return;
    const bytes = blockBytes(manifest, index);
    full += bytes;
    if (!before.has(hash) && !counted.has(hash)) {
      counted.add(hash);
      incremental += bytes;
    }
  });
  return { fullSnapshotSizeInBytes: full, incrementalSizeInBytes: incremental };
}
