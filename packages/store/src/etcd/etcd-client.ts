import { ClientClosedError, Etcd3, type IOptions, isRecoverableError } from 'etcd3';
import { type CompactedError, StoreUnavailableError } from '../store.js';
import type { ResolvedEtcdStoreOptions } from './etcd-options.js';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** etcd3 ignores the policy context; one shared signal spares two AbortSignals per call. */
const neverAborted = new AbortController().signal;

/**
 * A fault policy that runs each call once. etcd3's default retries and circuit
 * breakers would hold a call for many seconds while etcd is away; the store
 * fails fast instead and lets the caller (a reconcile loop) retry.
 */
const runOnce = {
  // Async, so a synchronous throw inside (etcd3's markFailed relies on it) becomes a rejection.
  execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: neverAborted }),
} as unknown as Policy;

/** An etcd3 client whose unary calls end within the store's bound and whose reconnects stay quick. */
export function createEtcdClient(options: ResolvedEtcdStoreOptions): Etcd3 {
  return new Etcd3({
    hosts: options.endpoints,
    dialTimeout: options.dialTimeoutMs,
    faultHandling: { host: () => runOnce, global: runOnce },
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + options.dialTimeoutMs },
    grpcOptions: {
      // A restarted etcd is found within a second, not after grpc's backoff of up to two minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.use_local_subchannel_pool': 1,
    },
  });
}

/** True for the errors that mean "etcd cannot be reached", as opposed to a refused request. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError || error instanceof ClientClosedError) return true;
  if (isRecoverableError(error)) return true;
  return /deadline exceeded|unavailable|cancelled|no connection|connect|ECONNREFUSED/i.test(
    `${error.name} ${error.message}`,
  );
}

export function isCompaction(error: unknown): boolean {
  return error instanceof Error && /required revision has been compacted/.test(error.message);
}

/**
 * Runs one call against etcd within `timeoutMs`, turning an unreachable etcd
 * into `StoreUnavailableError` and a compacted read into `CompactedError`.
 */
export async function guard<T>(
  what: string,
  options: ResolvedEtcdStoreOptions,
  call: () => Promise<T>,
  compacted?: () => CompactedError,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(unavailable(what, options, new Error(`no answer within ${options.dialTimeoutMs} ms`))),
      options.dialTimeoutMs,
    );
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    if (compacted && isCompaction(error)) throw compacted();
    if (isUnavailable(error)) throw unavailable(what, options, error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function unavailable(
  what: string,
  options: ResolvedEtcdStoreOptions,
  cause: unknown,
): StoreUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(
    `${what}: etcd at ${options.endpoints.join(', ')} is unavailable (${reason})`,
    {
      cause,
    },
  );
}
