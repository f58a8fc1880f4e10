import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { CallContext } from './call-context.js';

/**
 * Handler types derived from a method descriptor. Responses are init shapes:
 * the server passes each through `create(output, init)` before serializing,
 * so a handler may return a plain object.
 */
export type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => Promise<MessageInitShape<O>>;

export type ServerStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

export type ClientStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: CallContext,
) => Promise<MessageInitShape<O>>;

export type BidiStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handler type of one method descriptor, chosen by its kind. */
export type MethodImpl<M> = M extends { methodKind: 'unary'; input: infer I; output: infer O }
  ? I extends DescMessage
    ? O extends DescMessage
      ? UnaryImpl<I, O>
      : never
    : never
  : M extends { methodKind: 'server_streaming'; input: infer I; output: infer O }
    ? I extends DescMessage
      ? O extends DescMessage
        ? ServerStreamingImpl<I, O>
        : never
      : never
    : M extends { methodKind: 'client_streaming'; input: infer I; output: infer O }
      ? I extends DescMessage
        ? O extends DescMessage
          ? ClientStreamingImpl<I, O>
          : never
        : never
      : M extends { methodKind: 'bidi_streaming'; input: infer I; output: infer O }
        ? I extends DescMessage
          ? O extends DescMessage
            ? BidiStreamingImpl<I, O>
            : never
          : never
        : never;

/**
 * A service implementation: a plain object with one handler per method,
 * keyed by the method's local (camelCase) name and typed from the generated
 * descriptor, as in `const impl: ServiceImpl<typeof ComputeService> = { ... }`.
 */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S['method']]: MethodImpl<S['method'][K]>;
};

/** A service and its implementation, as handed to `createServer`. */
export interface ServiceRegistration<S extends DescService = DescService> {
  service: S;
  impl: ServiceImpl<S>;
}
