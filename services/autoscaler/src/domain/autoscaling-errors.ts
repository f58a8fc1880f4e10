/**
 * The refusals of the autoscaler, with Auto Scaling's codes for groups and
 * EC2's for launch templates (their actions are EC2's).
 */
import { ApiError } from '@nimbus/service-kit';

export function validationError(message: string): ApiError {
  return new ApiError('ValidationError', message);
}

export function groupNotFound(name: string): ApiError {
  return validationError(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
}

export function groupAlreadyExists(name: string): ApiError {
  return new ApiError(
    'AlreadyExists',
    `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
  );
}

export function resourceInUse(message: string): ApiError {
  return new ApiError('ResourceInUse', message);
}

export function scalingActivityInProgress(message: string): ApiError {
  return new ApiError('ScalingActivityInProgress', message);
}

export function missingParameter(name: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
}
