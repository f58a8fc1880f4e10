/** Raised by `BlockBackend.get` when no block is stored under the hash. */
export class BlockNotFoundError extends Error {
  override readonly name = 'BlockNotFoundError';
  constructor(readonly hash: string) {
    super(`block ${hash} is not in the chunk store`);
  }
}

/** Raised on restore when a stored block's bytes no longer hash to its name. */
export class BlockCorruptedError extends Error {
  override readonly name = 'BlockCorruptedError';
  constructor(
    readonly hash: string,
    readonly actual: string,
  ) {
    super(`block ${hash} is corrupted: its bytes hash to ${actual}`);
  }
}

export class SnapshotNotFoundError extends Error {
  override readonly name = 'SnapshotNotFoundError';
  constructor(readonly snapshotId: string) {
    super(`snapshot ${snapshotId} is not in the chunk store`);
  }
}

export class SnapshotExistsError extends Error {
  override readonly name = 'SnapshotExistsError';
  constructor(readonly snapshotId: string) {
    super(`snapshot ${snapshotId} is already in the chunk store`);
  }
}

/** A manifest that does not parse or whose fields disagree with each other. */
export class ManifestInvalidError extends Error {
  override readonly name = 'ManifestInvalidError';
  constructor(
    readonly snapshotId: string,
    reason: string,
  ) {
    super(`manifest of snapshot ${snapshotId} is invalid: ${reason}`);
  }
}
