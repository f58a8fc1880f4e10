/**
 * Where the network service keeps its resources in the store, all under
 * `/nimbus/network/`, one prefix per kind and account so that a Describe
 * call lists one account's resources and nobody else's.
 */
const root = '/nimbus/network';

export const networkKeys = {
  /** Key pairs by name: the name is unique per account, and create-if-absent enforces it. */
  keyPairs: (accountId: string) => `${root}/key-pairs/${accountId}/`,
  keyPair: (accountId: string, keyName: string) => `${root}/key-pairs/${accountId}/${keyName}`,
} as const;
