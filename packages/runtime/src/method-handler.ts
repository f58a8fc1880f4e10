import { create, type DescMessage, type DescMethod, type MessageInitShape } from '@bufbuild/protobuf';
import type {
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  StatusObject,
  sendUnaryData,
  UntypedHandleCall,
} from '@grpc/grpc-js';
import { methodPath } from '@nimbus/api';
import type { Logger } from 'pino';
import type { CallContext } from './call-context.js';
import { GrpcInboundCall, writeWithBackpressure } from './grpc-inbound-call.js';
import type { CallHandler, InboundCall } from './inbound-call.js';
import { toDomainError } from './interceptors/errors.js';
import { activeTraceId } from './tracing.js';

/** A handler of any kind, seen without its descriptor types. */
export type UntypedImpl = (input: unknown, context: CallContext) => Promise<unknown> | AsyncIterable<unknown>;

/** The CallContext a handler sees; its logger child and its signal are made only when used. */
export function contextOf(call: InboundCall): CallContext {
  let logger: Logger | undefined;
  return {
    requestId: call.requestId,
    accountId: call.accountId,
    service: call.service,
    method: call.path,
    deadline: call.deadline,
    get signal() {
      return call.abort.signal;
    },
    metadata: call.metadata,
    get logger() {
      logger ??= call.logger.child({
        requestId: call.requestId,
        method: call.path,
        accountId: call.accountId,
        traceId: activeTraceId(),
      });
      return logger;
    },
  };
}

/** The innermost handler: runs the implementation and sends each response through `create(output, init)`. */
export function implHandler(method: DescMethod, impl: UntypedImpl): CallHandler {
  const output: DescMessage = method.output;
  const toMessage = (init: unknown) => create(output, init as MessageInitShape<DescMessage>);
  if (method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming') {
    return async (call) => {
      for await (const init of impl(call.input, contextOf(call)) as AsyncIterable<unknown>) {
        await call.send(toMessage(init));
      }
    };
  }
  return async (call) => {
    const init = await (impl(call.input, contextOf(call)) as Promise<unknown>);
    await call.send(toMessage(init));
  };
}

function failure(error: unknown, call: GrpcInboundCall): Partial<StatusObject> {
  const domain = toDomainError(error, call);
  return { code: domain.status, details: domain.message, metadata: call.trailer };
}

/**
 * The grpc-js handler of one method: adapts the grpc-js call of the method's
 * kind to an InboundCall and runs it through the (already composed) chain.
 */
export function grpcHandler(method: DescMethod, handler: CallHandler, logger: Logger): UntypedHandleCall {
  const path = methodPath(method);
  /** Unary and client-streaming calls: one response, sent through the callback with the trailers. */
  const answerOnce = (
    call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
    input: unknown,
    callback: sendUnaryData<unknown>,
  ) => {
    let response: unknown;
    const inbound = new GrpcInboundCall(method, path, logger, call, input, async (message) => {
      response = message;
    });
    handler(inbound).then(
      () => {
        inbound.finish();
        callback(null, response, inbound.trailer);
      },
      (error: unknown) => {
        inbound.finish();
        callback(failure(error, inbound));
      },
    );
  };
  switch (method.methodKind) {
    case 'unary':
      return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
        answerOnce(call, call.request, callback);
    case 'client_streaming':
      return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) =>
        answerOnce(call, call.iterator({ destroyOnReturn: false }), callback);
    case 'server_streaming':
      return (call: ServerWritableStream<unknown, unknown>) => {
        const inbound = new GrpcInboundCall(method, path, logger, call, call.request, (message, abort) =>
          writeWithBackpressure(call, message, abort),
        );
        streamOutcome(call, inbound, handler(inbound));
      };
    case 'bidi_streaming':
      return (call: ServerDuplexStream<unknown, unknown>) => {
        const requests = call.iterator({ destroyOnReturn: false });
        const inbound = new GrpcInboundCall(method, path, logger, call, requests, (message, abort) =>
          writeWithBackpressure(call, message, abort),
        );
        streamOutcome(call, inbound, handler(inbound));
      };
  }
}

function streamOutcome(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  inbound: GrpcInboundCall,
  outcome: Promise<void>,
): void {
  outcome.then(
    () => {
      inbound.finish();
      call.end(inbound.trailer);
    },
    (error: unknown) => {
      inbound.finish();
      call.emit('error', failure(error, inbound));
    },
  );
}
