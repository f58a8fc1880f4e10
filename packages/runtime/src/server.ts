import type { DescService } from '@bufbuild/protobuf';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { serviceDefinition } from '@nimbus/api';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { Authenticator } from './authenticator.js';
import { composeInterceptors, type ServerInterceptor } from './inbound-call.js';
import { authInterceptor } from './interceptors/auth.js';
import { deadlineInterceptor } from './interceptors/deadline.js';
import { errorsInterceptor } from './interceptors/errors.js';
import { loggingInterceptor } from './interceptors/logging.js';
import { requestIdInterceptor } from './interceptors/request-id.js';
import { grpcHandler, implHandler, type UntypedImpl } from './method-handler.js';
import { createReflection } from './reflection.js';
import type { ServiceRegistration } from './service-impl.js';

export interface ServerOptions<T extends readonly DescService[]> {
  logger: Logger;
  authenticator: Authenticator;
  /** Each service with its implementation, typed from its own descriptor. */
  services: { [K in keyof T]: ServiceRegistration<T[K]> };
  /**
   * See every call and its final outcome (refused ones too): tracing, metrics.
   * They run just inside the request id, in this order, around the logging.
   */
  observers?: readonly ServerInterceptor[];
  /** Extra interceptors, run innermost: after authentication, just around the handler. */
  interceptors?: readonly ServerInterceptor[];
  /** Default: insecure (plaintext), for loopback. */
  credentials?: ServerCredentials;
}

/** `created` → `listening` → `stopping` → `stopped`; a server listens once. */
export type ServerState = 'created' | 'listening' | 'stopping' | 'stopped';

export interface ServerHealth {
  /** Sets what grpc.health.v1 reports for a service (by descriptor or full name; '' is the whole server). */
  set(service: DescService | string, status: ServingStatus): void;
}

export interface NimbusServer {
  readonly state: ServerState;
  /** Binds and serves; resolves to the bound port (pass 0 for a free one). */
  listen(host: string, port: number): Promise<number>;
  readonly health: ServerHealth;
  /**
   * Reports NOT_SERVING, refuses new calls, lets in-flight calls finish for up
   * to `graceMs` (default 10 s), then cancels whatever remains.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * A gRPC server for Nimbus services: every method of every registered service
 * runs through one interceptor chain (request id, logging, errors, deadline,
 * authentication, then the caller's own), and the server also answers
 * grpc.health.v1 and server reflection, both without authentication.
 */
export function createServer<const T extends readonly DescService[]>(
  options: ServerOptions<T>,
): NimbusServer {
  const { logger } = options;
  const registrations = options.services as readonly ServiceRegistration<DescService>[];
  const interceptors = [
    requestIdInterceptor,
    ...(options.observers ?? []),
    loggingInterceptor,
    errorsInterceptor,
    deadlineInterceptor,
    authInterceptor(options.authenticator),
    ...(options.interceptors ?? []),
  ];
  const server = new Server();
  const names = ['', ...registrations.map(({ service }) => service.typeName)];
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, 'NOT_SERVING'])));
  health.addToServer(server);
  createReflection(registrations.map(({ service }) => service)).addToServer(server);

  for (const { service, impl } of registrations) {
    const handlers: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const methodImpl = (impl as Record<string, UntypedImpl | undefined>)[method.localName];
      if (typeof methodImpl !== 'function') {
        throw new TypeError(`${service.typeName} implementation lacks a handler for ${method.localName}`);
      }
      const chain = composeInterceptors(interceptors, implHandler(method, methodImpl.bind(impl)));
      handlers[method.localName] = grpcHandler(method, chain, logger);
    }
    server.addService(serviceDefinition(service), handlers);
  }

  let state: ServerState = 'created';
  let stopping: Promise<void> | undefined;
  const setAll = (status: ServingStatus) => {
    for (const name of names) health.setStatus(name, status);
  };

  return {
    get state() {
      return state;
    },
    health: {
      set: (service, status) =>
        health.setStatus(typeof service === 'string' ? service : service.typeName, status),
    },
    async listen(host, port) {
      if (state !== 'created') throw new Error(`cannot listen: server is ${state}`);
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(address, options.credentials ?? ServerCredentials.createInsecure(), (error, p) =>
          error ? reject(error) : resolve(p),
        ),
      );
      state = 'listening';
      setAll('SERVING');
      return bound;
    },
    shutdown(graceMs = 10_000) {
      stopping ??= new Promise<void>((resolve) => {
        state = 'stopping';
        setAll('NOT_SERVING');
        const force = setTimeout(() => {
          logger.warn({ graceMs }, 'calls still running after the grace period: cancelling them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }).then(() => {
        state = 'stopped';
      });
      return stopping;
    },
  };
}
