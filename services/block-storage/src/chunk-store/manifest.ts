import { BLOCK_HASH } from './block-backend.js';
import { ManifestInvalidError } from './errors.js';

/**
 * What a snapshot is: the volume's size, the block size it was cut with, and
 * per block either the sha256 of its bytes or `null` for a hole (all zeros,
 * never stored). Block `i` covers bytes `[i * blockSize, min((i + 1) * blockSize, volumeSize))`,
 * so only the last block may be shorter.
 */
export interface SnapshotManifest {
  format: 1;
  snapshotId: string;
  volumeSize: number;
  blockSize: number;
  /** ISO 8601, when the manifest was written. */
  createdAt: string;
  blocks: (string | null)[];
}

/**
 * Where manifests live. Writes are create-only and atomic: a manifest is
 * either absent or complete, and `create` of an existing id fails with
 * `SnapshotExistsError`, so two snapshots can never overwrite each other.
 */
export interface ManifestStore {
  create(manifest: SnapshotManifest): Promise<void>;
  /** Throws `SnapshotNotFoundError` when absent. */
  get(snapshotId: string): Promise<SnapshotManifest>;
  /** Resolves to false when there was nothing to delete. Durable once resolved. */
  delete(snapshotId: string): Promise<boolean>;
  list(): Promise<string[]>;
  /** Removes what interrupted `create`s left behind; only called while none is in flight. */
  removeLeftovers(): Promise<number>;
}

/** Snapshot ids become file and object names, so they are kept to a safe alphabet. */
export const SNAPSHOT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function blockCount(volumeSize: number, blockSize: number): number {
  return Math.ceil(volumeSize / blockSize);
}

/** Checks a parsed manifest's shape and that its fields agree; returns it typed. */
export function validateManifest(snapshotId: string, value: unknown): SnapshotManifest {
  const fail = (reason: string): never => {
    throw new ManifestInvalidError(snapshotId, reason);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const m = value as Partial<SnapshotManifest>;
  if (m.format !== 1) fail(`unknown format ${String(m.format)}`);
  if (m.snapshotId !== snapshotId) fail(`it names snapshot ${String(m.snapshotId)}`);
  if (!Number.isSafeInteger(m.volumeSize) || (m.volumeSize as number) < 0) fail('bad volumeSize');
  if (!Number.isSafeInteger(m.blockSize) || (m.blockSize as number) <= 0) fail('bad blockSize');
  if (typeof m.createdAt !== 'string') fail('bad createdAt');
  if (!Array.isArray(m.blocks)) return fail('blocks is not a list');
  const expected = blockCount(m.volumeSize as number, m.blockSize as number);
  if (m.blocks.length !== expected) fail(`${m.blocks.length} blocks, expected ${expected}`);
  for (const hash of m.blocks) {
    if (hash !== null && (typeof hash !== 'string' || !BLOCK_HASH.test(hash))) fail(`bad block hash ${hash}`);
  }
  return m as SnapshotManifest;
}
