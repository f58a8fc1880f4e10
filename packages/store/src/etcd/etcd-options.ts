/** How to reach etcd. Every default is the one a control-plane service wants. */
export interface EtcdStoreOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /**
   * The bound on every call: past it the call rejects with
   * `StoreUnavailableError` instead of waiting for etcd to come back. Default 2 s.
   */
  dialTimeoutMs?: number;
  /** A prefix put before every key, invisible to callers (tests give each store its own). Default none. */
  namespace?: string;
}

export interface ResolvedEtcdStoreOptions {
  endpoints: string[];
  dialTimeoutMs: number;
  namespace: string;
}

export function resolveEtcdStoreOptions(options: EtcdStoreOptions): ResolvedEtcdStoreOptions {
  if (options.endpoints.length === 0) throw new RangeError('an etcd store needs at least one endpoint');
  return {
    endpoints: options.endpoints,
    dialTimeoutMs: options.dialTimeoutMs ?? 2_000,
    namespace: options.namespace ?? '',
  };
}
