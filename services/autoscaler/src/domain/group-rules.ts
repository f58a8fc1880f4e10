/** Auto Scaling's rules for a group's sizes, names and settings, with its messages. */
import { validationError } from './autoscaling-errors.js';

export function checkSizes(min: number, max: number, desired: number): void {
  for (const [name, value] of [
    ['MinSize', min],
    ['MaxSize', max],
    ['DesiredCapacity', desired],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw validationError(
        `Value ${value} at '${name}' failed to satisfy constraint: Member must have value greater than or equal to 0`,
      );
    }
  }
  if (max < min)
    throw validationError(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) {
    throw validationError(
      `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
    );
  }
}

export function checkGroupName(name: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused.
  if (name.length < 1 || name.length > 255 || /[\u0000-\u001f:]/.test(name) || name.includes('/')) {
    throw validationError(
      `Value '${name}' at 'autoScalingGroupName' failed to satisfy constraint: Member must have length between 1 and 255, without control characters, ':' or '/'`,
    );
  }
}

export function checkHealthCheckType(type: string): 'EC2' | 'ELB' {
  if (type === '' || type === 'EC2') return 'EC2';
  if (type === 'ELB') return 'ELB';
  throw validationError(`Invalid health check type '${type}': EC2 or ELB`);
}

export function checkNonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw validationError(
      `Value ${value} at '${name}' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  }
  return value;
}
