import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * What a handler knows about the call it serves, besides the request. Built by
 * the server's interceptor chain, so every handler sees the same, already
 * authenticated, identity.
 */
export interface CallContext {
  /** From the caller's `x-request-id`, or a fresh UUID; echoed back in the response metadata. */
  readonly requestId: string;
  /** The twelve-digit account the caller acts as, as established by the authenticator. */
  readonly accountId: string;
  /** Whether the caller is another Nimbus service acting for `accountId` (the region's service token). */
  readonly service: boolean;
  /** The full method path: `/nimbus.compute.v1.ComputeService/RunInstances`. */
  readonly method: string;
  /** When the caller stops waiting, if it set a deadline. */
  readonly deadline?: Date;
  /** Aborted when the caller cancels or the deadline passes; pass it to anything slow. */
  readonly signal: AbortSignal;
  /** A child of the service logger carrying requestId, method and accountId. */
  readonly logger: Logger;
  /** The request metadata as received. */
  readonly metadata: Metadata;
}
