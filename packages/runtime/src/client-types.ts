import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';

/** Per-call options; each overrides the client's default of the same name. */
export interface CallOptions {
  /** Milliseconds from now until the call's deadline. */
  deadlineMs?: number;
  requestId?: string;
  /**
   * The account to act for (`x-nimbus-account`): honoured for a client holding
   * the region's service token (and by the development authenticator).
   */
  accountId?: string;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
}

export type UnaryCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type ServerStreamingCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

export type ClientStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type BidiStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/** The client function of one method descriptor, chosen by its kind. */
export type ClientMethod<M> = M extends { methodKind: infer Kind; input: infer I; output: infer O }
  ? I extends DescMessage
    ? O extends DescMessage
      ? Kind extends 'unary'
        ? UnaryCall<I, O>
        : Kind extends 'server_streaming'
          ? ServerStreamingCall<I, O>
          : Kind extends 'client_streaming'
            ? ClientStreamingCall<I, O>
            : Kind extends 'bidi_streaming'
              ? BidiStreamingCall<I, O>
              : never
      : never
    : never
  : never;

/** A typed client: one function per method (local camelCase name), plus `close()`. */
export type Client<S extends DescService> = {
  [K in keyof S['method']]: ClientMethod<S['method'][K]>;
} & {
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
};
