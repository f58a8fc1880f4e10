/**
 * The compute service's refusals, with EC2's codes. Domain code throws them;
 * the API edge (service-kit's translatingErrors) hands the code to the caller.
 */
import { ApiError } from '@nimbus/service-kit';

export { invalidParameterCombination, invalidParameterValue } from '@nimbus/service-kit';

export function missingParameter(parameter: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${parameter}`);
}

export function instanceIdMalformed(id: string): ApiError {
  return new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
}

export function instanceNotFound(ids: readonly string[]): ApiError {
  const quoted = ids.map((id) => `'${id}'`).join(', ');
  return new ApiError(
    'InvalidInstanceID.NotFound',
    ids.length === 1 ? `The instance ID ${quoted} does not exist` : `The instance IDs ${quoted} do not exist`,
  );
}

export function incorrectInstanceState(id: string, state: string, action: string): ApiError {
  return new ApiError(
    'IncorrectInstanceState',
    `The instance '${id}' is not in a state from which it can be ${action} (it is ${state}).`,
  );
}

export function insufficientCapacity(instanceType: string, zone: string, count: number): ApiError {
  return new ApiError(
    'InsufficientInstanceCapacity',
    `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}) for ${count} instance${count === 1 ? '' : 's'}.`,
  );
}

export function operationNotPermitted(message: string): ApiError {
  return new ApiError('OperationNotPermitted', message);
}
