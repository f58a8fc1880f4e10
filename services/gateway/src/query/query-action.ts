/**
 * One action of a Query API as data: which service's gRPC method serves it,
 * what the gateway checks before calling, and how the answer is laid out. The
 * request and response codecs (query-decoder.ts, xml-encoder.ts) do the rest
 * by reflection, so an action is one entry of a table, and the README's table
 * of implemented actions is printed from the same entries.
 */
import type { DescMethod } from '@bufbuild/protobuf';
import type { ThrottleClass } from '../throttle/token-buckets.js';

/** The region's services the gateway calls, by their names in NIMBUS_ENDPOINTS. */
export type DownstreamName =
  | 'network'
  | 'block-storage'
  | 'compute'
  | 'image'
  | 'load-balancer'
  | 'autoscaler';

export interface QueryAction {
  /** The AWS action name, e.g. `DescribeVolumes`. */
  action: string;
  service: DownstreamName;
  method: DescMethod;
  /** Parameters the call cannot do without: MissingParameter before any call. */
  required: readonly string[];
  /**
   * A response field whose message is the whole answer (EC2's CreateVolume
   * answers the volume's fields at the top level).
   */
  flatten: string | undefined;
  throttle: ThrottleClass;
  /** For RunInstances: the parameter counting instances, taken from the instance bucket. */
  instanceCount: string | undefined;
  /** EC2 parameters the action accepts and Nimbus has no use for (not UnknownParameter). */
  ignored: readonly string[];
  /**
   * For actions on resources of several services (CreateTags): the ids of the
   * request's `resources` go, by their prefix, to the service owning them,
   * one call each with the same method name. Not atomic across services.
   */
  byResource: Readonly<Record<string, DownstreamName>> | undefined;
}

export interface ActionOptions {
  required?: readonly string[];
  flatten?: string;
  throttle?: ThrottleClass;
  instanceCount?: string;
  ignored?: readonly string[];
  byResource?: Readonly<Record<string, DownstreamName>>;
}

/** Read-only by name, as AWS classes them for throttling. */
function throttleClassOf(action: string): ThrottleClass {
  if (action === 'RunInstances') return 'runInstances';
  if (action === 'TerminateInstances') return 'terminateInstances';
  return /^(Describe|Get|List)/.test(action) ? 'describe' : 'mutate';
}

/** The entry of `method` of `service`: the action is the method's name. */
export function action(
  service: DownstreamName,
  method: DescMethod,
  options: ActionOptions = {},
): QueryAction {
  return {
    action: method.name,
    service,
    method,
    required: options.required ?? [],
    flatten: options.flatten,
    throttle: options.throttle ?? throttleClassOf(method.name),
    instanceCount: options.instanceCount,
    ignored: options.ignored ?? [],
    byResource: options.byResource,
  };
}
