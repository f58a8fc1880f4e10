/** What the API modules share. */
import type { Store } from '@nimbus/store';
import type { AutoscalerSettings } from '../autoscaler-config.js';
import type { ComputePort } from '../controller/compute-port.js';
import type { LoadBalancerPort } from '../controller/load-balancer-port.js';
import type { NetworkPort } from './network-port.js';

export interface ApiDeps {
  store: Store;
  settings: AutoscalerSettings;
  now: () => number;
  compute: ComputePort;
  /** Absent when the region runs no load-balancer service. */
  loadBalancers?: LoadBalancerPort;
  /** Absent when the region runs no network service (vpc_zone_identifier is then refused). */
  network?: NetworkPort;
  /** Tells the group controller a group changed (it also watches the store; this is sooner). */
  nudge?: (groupKey: string) => void;
}
