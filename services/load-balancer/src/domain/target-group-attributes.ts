/** A target group's attributes: ELBv2's keys, defaults and ranges. */
import { validationError } from './elb-errors.js';
import type { TargetProtocol } from './health-check-settings.js';

export type Algorithm = 'round_robin' | 'least_outstanding_requests' | 'weighted_random';

export const algorithms: readonly Algorithm[] = [
  'round_robin',
  'least_outstanding_requests',
  'weighted_random',
];

export interface TargetGroupAttributes {
  deregistrationDelaySeconds: number;
  algorithm: Algorithm;
  slowStartSeconds: number;
  stickinessType: 'lb_cookie' | 'source_ip';
}

export function defaultAttributes(protocol: TargetProtocol): TargetGroupAttributes {
  return {
    deregistrationDelaySeconds: 300,
    algorithm: 'round_robin',
    slowStartSeconds: 0,
    stickinessType: protocol === 'HTTP' ? 'lb_cookie' : 'source_ip',
  };
}

/** The attributes as DescribeTargetGroupAttributes lists them. */
export function attributeList(
  protocol: TargetProtocol,
  a: TargetGroupAttributes,
): { key: string; value: string }[] {
  const list = [
    { key: 'deregistration_delay.timeout_seconds', value: String(a.deregistrationDelaySeconds) },
    { key: 'stickiness.enabled', value: 'false' },
    { key: 'stickiness.type', value: a.stickinessType },
  ];
  if (protocol === 'HTTP') {
    list.push(
      { key: 'load_balancing.algorithm.type', value: a.algorithm },
      { key: 'slow_start.duration_seconds', value: String(a.slowStartSeconds) },
    );
  }
  return list;
}

function integer(key: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw validationError(
      `The value of '${key}' must be an integer between '${min}' and '${max}', got '${value}'`,
    );
  }
  return n;
}

/** `current` with `changes` applied; a ValidationError names the first bad one and nothing changes. */
export function applyAttributes(
  protocol: TargetProtocol,
  current: TargetGroupAttributes,
  changes: readonly { key: string; value: string }[],
): TargetGroupAttributes {
  if (changes.length === 0) throw validationError('At least one attribute must be specified');
  const next = { ...current };
  const httpOnly = (key: string) => {
    if (protocol !== 'HTTP') {
      throw validationError(
        `The attribute '${key}' is not supported for target groups with the '${protocol}' protocol`,
      );
    }
  };
  for (const { key, value } of changes) {
    switch (key) {
      case 'deregistration_delay.timeout_seconds':
        next.deregistrationDelaySeconds = integer(key, value, 0, 3600);
        break;
      case 'load_balancing.algorithm.type':
        httpOnly(key);
        if (!algorithms.includes(value as Algorithm)) {
          throw validationError(
            `The value of '${key}' must be one of ${algorithms.join(', ')}, got '${value}'`,
          );
        }
        next.algorithm = value as Algorithm;
        break;
      case 'slow_start.duration_seconds': {
        httpOnly(key);
        const seconds = integer(key, value, 0, 900);
        if (seconds !== 0 && seconds < 30) {
          throw validationError(`The value of '${key}' must be 0 or between '30' and '900', got '${value}'`);
        }
        next.slowStartSeconds = seconds;
        break;
      }
      case 'stickiness.enabled':
        if (value !== 'false') {
          throw validationError("Nimbus supports only 'stickiness.enabled' = 'false' for now");
        }
        break;
      case 'stickiness.type':
        if (value !== (protocol === 'HTTP' ? 'lb_cookie' : 'source_ip')) {
          throw validationError(
            `The value of 'stickiness.type' '${value}' is not valid for this target group`,
          );
        }
        break;
      default:
        throw validationError(`The attribute key '${key}' is not recognized`);
    }
  }
  if (next.slowStartSeconds > 0 && next.algorithm === 'weighted_random') {
    throw validationError('Slow start mode cannot be used with the weighted_random algorithm');
  }
  return next;
}
