import { DomainError } from '@nimbus/runtime';
import { isStorageError } from '../domain/storage-errors.js';

/**
 * The domain modules throw `StorageError` and know nothing of gRPC; at the
 * API edge each becomes the runtime's DomainError with the same EC2 code.
 */
export function toDomainError(error: unknown): unknown {
  return isStorageError(error)
    ? new DomainError(error.code, error.message, undefined, { cause: error })
    : error;
}

/** Every handler of an implementation, with its StorageErrors translated. */
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
