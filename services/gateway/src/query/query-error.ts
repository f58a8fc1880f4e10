/**
 * A refusal the gateway answers itself, before or instead of a downstream
 * call: an AWS error code, its message, and the HTTP status AWS gives it.
 */
export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

export function missingParameter(name: string): QueryError {
  return new QueryError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(name: string, value: string, expected: string): QueryError {
  return new QueryError(
    'InvalidParameterValue',
    `Value (${value}) for parameter ${name} is invalid. ${expected}`,
  );
}
