export { campaignOn, ELECTION_PREFIX } from './election.js';
export { createEmbeddedStore, EmbeddedStore } from './embedded-store.js';
export type { EtcdStoreOptions } from './etcd/etcd-options.js';
export { createEtcdStore, EtcdStore, openEtcdStore } from './etcd-store.js';
export { LeaseLostError } from './lease-lost-error.js';
export {
  type CampaignOptions,
  CompactedError,
  type KeyValue,
  type Leadership,
  type Lease,
  type LeaseOptions,
  type ListOptions,
  type ListResult,
  type PutOptions,
  type Store,
  StoreUnavailableError,
  type TxnOp,
  type TxnResult,
  type WatchEvent,
  type WatchOptions,
  type WriteResult,
} from './store.js';
