/** The id prefixes of the block-storage domain's resources. */
export const IdPrefix = {
  volume: 'vol',
  snapshot: 'snap',
  importSnapshotTask: 'import-snap',
} as const;

export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

export { isId, newId } from '@nimbus/service-kit';
