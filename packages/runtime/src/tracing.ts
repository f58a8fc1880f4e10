/**
 * OpenTelemetry traces across the region: a call continues the trace its
 * caller sent in the gRPC metadata (W3C `traceparent`), every outbound call
 * and every published event carries the active one on (metadata, NATS
 * headers), and a delivered event's handler runs in the publisher's trace. So
 * one RunInstances is one trace through compute, network, block storage, image
 * and the worker. Spans go to an OTLP/HTTP endpoint (`NIMBUS_OTLP_ENDPOINT`);
 * without one nothing is recorded, and calls pay only for reading a header.
 */

import type { Metadata } from '@grpc/grpc-js';
import type { EventBus } from '@nimbus/events';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { isDomainError } from './domain-error.js';
import type { ServerInterceptor } from './inbound-call.js';

let installed = false;

/**
 * The process-wide pieces OpenTelemetry needs once: the async context (so the
 * active span follows awaits) and the W3C propagator. Idempotent.
 */
function installGlobals(): void {
  if (installed) return;
  installed = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get(carrier, key) {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    return values.length === 0 ? undefined : values;
  },
};
const headersGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

/** Adds the active trace (if any) to an outbound call's metadata. */
export function injectTrace(metadata: Metadata): void {
  propagation.inject(context.active(), metadata, metadataSetter);
}

/** The active trace as a W3C `traceparent`, to keep with work done later; undefined outside a trace. */
export function captureTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Work a service carries out later for a request (a controller's steps), joined to its trace. */
export interface TraceJoiner {
  /** The active trace, to keep with the work (undefined when not tracing). */
  capture(): string | undefined;
  /** Runs `work` in a span of the kept trace, so the calls it makes carry it on; just runs it without one. */
  continue<T>(traceparent: string | undefined, name: string, work: () => Promise<T>): Promise<T>;
}

/** The joiner of a service that does not trace. */
export const untracedJoiner: TraceJoiner = {
  capture: () => undefined,
  continue: (_traceparent, _name, work) => work(),
};

/** The trace id of the active span, for log lines; undefined outside a trace. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}

export interface ServiceTracing {
  /** Runs each call in a SERVER span continuing the caller's trace. */
  readonly interceptor: ServerInterceptor;
  /** Joins later work to the trace of the request that asked for it. */
  readonly joiner: TraceJoiner;
  /** Publishes with the active trace in the headers; runs handlers in a CONSUMER span of it. */
  instrumentBus(bus: EventBus): EventBus;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint: string;
  /** How long spans are batched before sending. Default 1 s. */
  flushDelayMs?: number;
}

export function createServiceTracing(service: string, options: TracingOptions): ServiceTracing {
  installGlobals();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.namespace': 'nimbus' }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: options.endpoint }),
        scheduledDelayMillis: options.flushDelayMs ?? 1_000,
      }),
    ],
  });
  const tracer: Tracer = provider.getTracer('@nimbus/runtime');

  const endWith = (span: Span, error: unknown) => {
    if (error !== undefined) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      span.setAttribute('nimbus.error_code', isDomainError(error) ? error.code : 'InternalError');
    }
    span.end();
  };

  const interceptor: ServerInterceptor = (next) => async (call) => {
    const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
    const [, grpcService = '', method = ''] = call.path.split('/');
    const span = tracer.startSpan(
      call.path,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': grpcService,
          'rpc.method': method,
          'nimbus.request_id': call.requestId,
        },
      },
      parent,
    );
    let failure: unknown;
    try {
      await context.with(trace.setSpan(parent, span), () => next(call));
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (call.accountId) span.setAttribute('nimbus.account_id', call.accountId);
      endWith(span, failure);
    }
  };

  const joiner: TraceJoiner = {
    capture: captureTraceparent,
    async continue(traceparent, name, work) {
      if (!traceparent) return work();
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent }, headersGetter);
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
      let failure: unknown;
      try {
        return await context.with(trace.setSpan(parent, span), work);
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        endWith(span, failure);
      }
    },
  };

  return {
    interceptor,
    joiner,
    instrumentBus(bus) {
      return {
        close: bus.close.bind(bus),
        publish(input) {
          const headers: Record<string, string> = { ...input.headers };
          propagation.inject(context.active(), headers);
          return bus.publish({ ...input, headers });
        },
        subscribe(subscription) {
          return bus.subscribe({
            ...subscription,
            async handler(delivered) {
              const parent: Context = propagation.extract(ROOT_CONTEXT, delivered.headers, headersGetter);
              const span = tracer.startSpan(
                `event ${delivered.event.subject}`,
                {
                  kind: SpanKind.CONSUMER,
                  attributes: {
                    'messaging.system': 'nats',
                    'messaging.destination.name': delivered.event.subject,
                    'messaging.message.id': delivered.event.id,
                    'nimbus.consumer': subscription.durable,
                    'nimbus.delivery_count': delivered.deliveryCount,
                  },
                },
                parent,
              );
              let failure: unknown;
              try {
                await context.with(trace.setSpan(parent, span), () => subscription.handler(delivered));
              } catch (error) {
                failure = error;
                throw error;
              } finally {
                endWith(span, failure);
              }
            },
          });
        },
      };
    },
    shutdown: () => provider.shutdown(),
  };
}
