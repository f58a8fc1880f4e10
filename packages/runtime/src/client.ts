import { once } from 'node:events';
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  type CallOptions as GrpcCallOptions,
  Client as GrpcClient,
  credentials as grpcCredentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { methodDefinition } from '@nimbus/api';
import type { CallOptions, Client } from './client-types.js';
import { ACCOUNT_KEY, AUTHORIZATION_KEY, REQUEST_ID_KEY } from './metadata-keys.js';
import { fromServiceError } from './remote-error.js';
import { injectTrace } from './tracing.js';

export interface ClientOptions {
  /** Sent as `x-nimbus-account` (trusted only by the development authenticator). */
  accountId?: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Sent as `x-request-id` on every call, unless a call names its own. */
  requestId?: string;
  /** Default deadline of every call, in milliseconds from its start. Default: none. */
  deadlineMs?: number;
  /** Default: insecure (plaintext), for loopback. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error
  );
}

function asRemote(error: unknown): unknown {
  return isServiceError(error) ? fromServiceError(error) : error;
}

type AnyCall = { cancel(): void; on(event: 'status', listener: () => void): unknown };

/** Cancels the call when the signal aborts, until the call ends. */
function linkSignal(call: AnyCall, signal: AbortSignal | undefined): void {
  if (!signal) return;
  if (signal.aborted) {
    call.cancel();
    return;
  }
  const cancel = () => call.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  call.on('status', () => signal.removeEventListener('abort', cancel));
}

/** Writes every request, respecting backpressure, then half-closes; stops when the call ends. */
async function pump(
  requests: AsyncIterable<unknown>,
  call: ClientWritableStream<Message> | ClientDuplexStream<Message, unknown>,
  input: DescMessage,
): Promise<void> {
  const ended = new AbortController();
  call.on('status', () => ended.abort());
  for await (const request of requests) {
    if (ended.signal.aborted) return;
    if (!call.write(create(input, request as MessageInitShape<DescMessage>))) {
      try {
        await once(call, 'drain', { signal: ended.signal });
      } catch (error) {
        if (ended.signal.aborted) return;
        throw error;
      }
    }
  }
  call.end();
}

/** Yields a response stream; stopping early cancels the call, a failed call throws a RemoteError. */
async function* responses<T>(
  call: ClientReadableStream<T> | ClientDuplexStream<unknown, T>,
  pumpFailure: () => unknown,
): AsyncGenerator<T> {
  let finished = false;
  try {
    for await (const message of call.iterator({ destroyOnReturn: false })) yield message as T;
    finished = true;
  } catch (error) {
    finished = true;
    throw pumpFailure() ?? asRemote(error);
  } finally {
    if (!finished) {
      // The CANCELLED status that follows is ours; nobody reads the stream any more.
      call.on('error', () => {});
      call.cancel();
    }
  }
}

/**
 * A typed client for a service, derived from its descriptor: one function per
 * method, no hand-written glue. Failed calls reject (or throw from the
 * iterator) with a RemoteError carrying the server's EC2 error code.
 */
export function createClient<S extends DescService>(
  service: S,
  address: string,
  options: ClientOptions = {},
): Client<S> {
  const channel = new GrpcClient(
    address,
    options.credentials ?? grpcCredentials.createInsecure(),
    options.channelOptions ?? {},
  );
  const defaults = new Metadata();
  if (options.token) defaults.set(AUTHORIZATION_KEY, `Bearer ${options.token}`);
  if (options.accountId) defaults.set(ACCOUNT_KEY, options.accountId);

  const setup = (callOptions: CallOptions | undefined): [Metadata, GrpcCallOptions] => {
    const metadata = defaults.clone();
    const requestId = callOptions?.requestId ?? options.requestId;
    if (requestId) metadata.set(REQUEST_ID_KEY, requestId);
    if (callOptions?.accountId) metadata.set(ACCOUNT_KEY, callOptions.accountId);
    injectTrace(metadata);
    const deadlineMs = callOptions?.deadlineMs ?? options.deadlineMs;
    return [metadata, deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs }];
  };

  const client: Record<string, unknown> = { close: () => channel.close() };
  for (const method of service.methods) client[method.localName] = clientMethod(channel, method, setup);
  return client as Client<S>;
}

function clientMethod(
  channel: GrpcClient,
  method: DescMethod,
  setup: (options: CallOptions | undefined) => [Metadata, GrpcCallOptions],
): unknown {
  const definition = methodDefinition(method);
  const { path, requestSerialize: serialize, responseDeserialize: deserialize } = definition;
  const input: DescMessage = method.input;
  const toRequest = (init: unknown) => create(input, init as MessageInitShape<DescMessage>);

  switch (method.methodKind) {
    case 'unary':
      return (request: unknown, callOptions?: CallOptions) =>
        new Promise((resolve, reject) => {
          const [metadata, grpcOptions] = setup(callOptions);
          const call = channel.makeUnaryRequest(
            path,
            serialize,
            deserialize,
            toRequest(request),
            metadata,
            grpcOptions,
            (error, response) => (error ? reject(fromServiceError(error)) : resolve(response)),
          );
          linkSignal(call, callOptions?.signal);
        });
    case 'server_streaming':
      return (request: unknown, callOptions?: CallOptions) => {
        const [metadata, grpcOptions] = setup(callOptions);
        const call = channel.makeServerStreamRequest(
          path,
          serialize,
          deserialize,
          toRequest(request),
          metadata,
          grpcOptions,
        );
        linkSignal(call, callOptions?.signal);
        return responses(call, () => undefined);
      };
    case 'client_streaming':
      return (requests: AsyncIterable<unknown>, callOptions?: CallOptions) =>
        new Promise((resolve, reject) => {
          const [metadata, grpcOptions] = setup(callOptions);
          let pumpError: unknown;
          const call = channel.makeClientStreamRequest(
            path,
            serialize,
            deserialize,
            metadata,
            grpcOptions,
            (error, response) => {
              if (pumpError !== undefined) reject(pumpError);
              else if (error) reject(fromServiceError(error));
              else resolve(response);
            },
          );
          linkSignal(call, callOptions?.signal);
          pump(requests, call, input).catch((error: unknown) => {
            pumpError = error;
            call.cancel();
          });
        });
    case 'bidi_streaming':
      return (requests: AsyncIterable<unknown>, callOptions?: CallOptions) => {
        const [metadata, grpcOptions] = setup(callOptions);
        const call = channel.makeBidiStreamRequest(path, serialize, deserialize, metadata, grpcOptions);
        linkSignal(call, callOptions?.signal);
        let pumpError: unknown;
        pump(requests, call, input).catch((error: unknown) => {
          pumpError = error;
          call.cancel();
        });
        return responses(call, () => pumpError);
      };
  }
}
