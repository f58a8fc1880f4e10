/**
 * A refusal with an EC2 error code (`InvalidParameterValue`,
 * `InvalidVolume.NotFound`), thrown by domain modules that know nothing of
 * gRPC. At the API edge `translatingErrors` turns it into the runtime's
 * DomainError, which carries the code to the caller unchanged. Each service
 * may subclass it to name its own refusals (NetworkError, StorageError).
 */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    /** The EC2 error code the caller sees. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `error` is a refusal, and of that code when one is given. */
export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

export function invalidParameterValue(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

export function invalidParameterCombination(message: string): ApiError {
  return new ApiError('InvalidParameterCombination', message);
}
