import type { EventBus } from '@nimbus/events';
import type { Store } from '@nimbus/store';
import type { NetworkConfig } from '../network-config.js';

/** What every resource module of the API is built from. */
export interface ApiDeps {
  store: Store;
  bus: EventBus;
  config: NetworkConfig;
  /** The time in epoch ms, for what is billed by the hour; tests inject one. Default `Date.now`. */
  now?: () => number;
}
