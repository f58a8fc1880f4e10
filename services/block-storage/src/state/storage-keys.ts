/**
 * The block-storage key layout under /nimbus/storage/:
 *
 *   volumes/<account>/<vol-id>                 VolumeRecord
 *   volume-modifications/<account>/<vol-id>    VolumeModificationRecord (the latest per volume)
 *   client-tokens/<account>/<token>            ClientTokenRecord (CreateVolume idempotency)
 */
const root = '/nimbus/storage';

export const storageKeys = {
  allVolumes: () => `${root}/volumes/`,
  volumes: (accountId: string) => `${root}/volumes/${accountId}/`,
  volume: (accountId: string, volumeId: string) => `${root}/volumes/${accountId}/${volumeId}`,
  allModifications: () => `${root}/volume-modifications/`,
  modifications: (accountId: string) => `${root}/volume-modifications/${accountId}/`,
  modification: (accountId: string, volumeId: string) =>
    `${root}/volume-modifications/${accountId}/${volumeId}`,
  clientToken: (accountId: string, token: string) =>
    `${root}/client-tokens/${accountId}/${encodeURIComponent(token)}`,
};
