/** How far a snapshot or restore is, in blocks; holes and blocks unchanged since the parent count as done at once. */
export interface BlockProgress {
  blocksDone: number;
  blocksTotal: number;
}

export type ProgressListener = (progress: BlockProgress) => void;

/** The `progress` string EC2 shows for a snapshot, e.g. `"42%"`; rounds down, so `"100%"` means done. */
export function progressPercent({ blocksDone, blocksTotal }: BlockProgress): string {
  if (blocksTotal === 0) return '100%';
  return `${Math.floor((blocksDone / blocksTotal) * 100)}%`;
}
