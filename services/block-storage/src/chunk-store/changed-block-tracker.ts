/**
 * Records which blocks of a volume were written, for the volume's write path
 * to feed the next incremental snapshot (`changedBlocks`), so that it reads
 * only those blocks instead of the whole volume. In memory only: after a
 * restart nothing is known, and the next snapshot must read everything.
 */
export interface ChangedBlockTracker {
  /** Call on every write to the volume, before the write is acknowledged. */
  markWritten(offset: number, length: number): void;
  /**
   * The blocks written since the last `take`, and starts a new record. Take it
   * when a snapshot starts: writes after that belong to the next snapshot.
   */
  take(): number[];
}

export function createChangedBlockTracker(blockSize: number): ChangedBlockTracker {
  let written = new Set<number>();
  return {
    markWritten(offset, length) {
      if (length <= 0) return;
      const last = Math.floor((offset + length - 1) / blockSize);
      for (let block = Math.floor(offset / blockSize); block <= last; block++) written.add(block);
    },
    take() {
      const taken = [...written].sort((a, b) => a - b);
      written = new Set();
      return taken;
    },
  };
}
