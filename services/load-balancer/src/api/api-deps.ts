import type { EventBus } from '@nimbus/events';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { TrafficView } from '../dataplane/traffic-view.js';
import type { ComputePort } from './compute-port.js';
import type { NetworkPort } from './network-port.js';
import type { Provisioner } from './provisioner.js';

/** What the API modules are built from. */
export interface ApiDeps {
  store: Store;
  bus: EventBus;
  logger: Logger;
  region: string;
  network: NetworkPort;
  compute: ComputePort;
  /** Target health and traffic as the data plane sees them. */
  traffic: TrafficView;
  provisioner: Provisioner;
  /** Targets per target group (TooManyTargets beyond). */
  maxTargetsPerGroup: number;
  now: () => number;
}
