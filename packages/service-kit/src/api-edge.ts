/**
 * Where a service's handlers meet gRPC: refusals become the runtime's
 * DomainError with the same EC2 code, DryRun has its one answer, and an
 * action no module serves yet answers UnsupportedOperation naming it, so that
 * a caller is never told a half-done thing succeeded.
 */
import type { DescService } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { DomainError, type ServiceImpl } from '@nimbus/runtime';
import { isApiError } from './api-error.js';

export function toDomainError(error: unknown): unknown {
  return isApiError(error) ? new DomainError(error.code, error.message, undefined, { cause: error }) : error;
}

/** Every (unary) handler of an implementation, with its refusals translated. */
export function translatingErrors<T extends object>(impl: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(impl)) {
    wrapped[name] =
      typeof handler === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (handler as (...a: unknown[]) => Promise<unknown>).apply(impl, args);
            } catch (error) {
              throw toDomainError(error);
            }
          }
        : handler;
  }
  return wrapped as T;
}

/** EC2's answer to a DryRun call that would have succeeded. */
export function dryRunOperation(): DomainError {
  return new DomainError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
}

/** The answer of an action not served yet: UNIMPLEMENTED with `UnsupportedOperation`, naming it. */
export function notYetAvailable(action: string): () => Promise<never> {
  return async () => {
    throw new DomainError(
      'UnsupportedOperation',
      `The action ${action} is not available in this release of Nimbus yet.`,
      status.UNIMPLEMENTED,
    );
  };
}

/**
 * A whole service implementation from the modules that serve parts of it:
 * what no module serves answers UnsupportedOperation, and every refusal is translated.
 */
export function assembleService<S extends DescService>(
  service: S,
  ...parts: Partial<ServiceImpl<S>>[]
): ServiceImpl<S> {
  const unavailable = Object.fromEntries(
    service.methods.map((method) => [method.localName, notYetAvailable(method.name)]),
  ) as unknown as ServiceImpl<S>;
  return translatingErrors(Object.assign(unavailable, ...parts));
}
