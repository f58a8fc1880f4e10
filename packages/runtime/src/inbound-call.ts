import type { DescMethod } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * One call on its way through the server's interceptor chain. The transport
 * adapter creates it; interceptors fill in the identity (request id, account,
 * deadline) and may add response metadata; the innermost handler runs the
 * service implementation and sends its responses through `send`.
 */
export interface InboundCall {
  readonly method: DescMethod;
  /** `/package.Service/Method`. */
  readonly path: string;
  /** Request metadata as received. */
  readonly metadata: Metadata;
  /** Response headers, sent before the first response message or with the status. */
  readonly header: Metadata;
  /** Trailers, sent with the final status, success or failure. */
  readonly trailer: Metadata;
  /** `performance.now()` when the call arrived. */
  readonly startedAt: number;
  /** The deadline the caller set (epoch ms), or Infinity. */
  readonly deadlineMs: number;
  /** Aborted on cancel or deadline; its reason is the DomainError to answer with. */
  readonly abort: AbortController;
  /** The service logger; handlers get a child with the call's identity. */
  readonly logger: Logger;
  /** The single request (unary, server-streaming) or the request stream (client, bidi). */
  readonly input: unknown;
  /** Sends one response; resolves when the transport can take more. */
  send(message: unknown): Promise<void>;
  requestId: string;
  accountId: string;
  /** Whether the caller is a Nimbus service acting for `accountId`. */
  service: boolean;
  deadline: Date | undefined;
}

/** Handles a call to completion; rejects with the error the call ends with. */
export type CallHandler = (call: InboundCall) => Promise<void>;

/** Wraps a handler: does something before and/or after `next`, for every method alike. */
export type ServerInterceptor = (next: CallHandler) => CallHandler;

/** Applies interceptors around a handler; the first one listed is the outermost. */
export function composeInterceptors(
  interceptors: readonly ServerInterceptor[],
  handler: CallHandler,
): CallHandler {
  return interceptors.reduceRight<CallHandler>((next, interceptor) => interceptor(next), handler);
}
