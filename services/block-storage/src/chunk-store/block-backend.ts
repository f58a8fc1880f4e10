/**
 * Where the chunk store keeps blocks: a content-addressed map from a block's
 * sha256 (64 lowercase hex digits) to its bytes. Blocks are immutable, so a
 * backend never has to merge or version them; writing the same hash twice is a
 * no-op.
 *
 * The interface is kept small on purpose so that an S3-compatible backend
 * (a bucket with one object per block, `blocks/ab/cdef…`) can implement it
 * later: `put` as a PutObject (atomic on S3), `sync` as a no-op, and
 * `removeLeftovers` as aborting stale multipart uploads. The local filesystem
 * backend ({@link createFsBlockBackend}) is the default.
 */
export interface BlockBackend {
  /**
   * Stores `data` under `hash` (the caller has hashed it). Whatever happens,
   * a reader never sees a partly written block under `hash`: it is either
   * absent or complete. Resolves once the block can be read back.
   */
  put(hash: string, data: Uint8Array): Promise<void>;
  /** The block's bytes; throws {@link BlockNotFoundError} when absent. */
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  /** Removes the block; absent is not an error. */
  delete(hash: string): Promise<void>;
  /** Every stored block's hash, in no particular order. */
  list(): AsyncIterable<string>;
  /**
   * Makes every `put` that has resolved so far survive a power loss. The chunk
   * store calls it before writing a manifest that references those blocks.
   */
  sync(): Promise<void>;
  /**
   * Removes what interrupted `put`s left behind (temp files). Only called
   * while no `put` is in flight. Resolves to how many leftovers it removed.
   */
  removeLeftovers(): Promise<number>;
}

/** A block's hash is the sha256 of its bytes, as 64 lowercase hex digits. */
export const BLOCK_HASH = /^[0-9a-f]{64}$/;

/**
 * Not part of `BlockBackend`: a backend that can read a block into a buffer
 * of the caller's, which restores reuse instead of allocating one per block.
 */
export const READ_BLOCK_INTO = Symbol('readBlockInto');
export interface ReadBlockInto {
  /**
   * Reads the block into `into` from its start; resolves to the block's
   * length, which exceeds `into.length` (and only part was read) when it is
   * longer. Throws {@link BlockNotFoundError} when absent.
   */
  [READ_BLOCK_INTO](hash: string, into: Buffer): Promise<number>;
}

/** Reads a block into `into` through {@link READ_BLOCK_INTO} when the backend has it, else by `get` and a copy. */
export async function readBlockInto(backend: BlockBackend, hash: string, into: Buffer): Promise<number> {
  const reader = (backend as Partial<ReadBlockInto>)[READ_BLOCK_INTO];
  if (reader !== undefined) return reader.call(backend, hash, into);
  const data = await backend.get(hash);
  data.copy(into, 0, 0, Math.min(data.length, into.length));
  return data.length;
}
