/**
 * A target group's health check: ELBv2's defaults and ranges, checked whole.
 * HTTP groups (application load balancers) check over HTTP; TCP groups
 * (network load balancers) over TCP by default, or HTTP when asked.
 */
import { validationError } from './elb-errors.js';

export type TargetProtocol = 'HTTP' | 'TCP';

export interface HealthCheckSettings {
  protocol: TargetProtocol;
  /** 'traffic-port' or a port number as text. */
  port: string;
  enabled: boolean;
  /** HTTP checks only. */
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HTTP checks only: codes such as "200", "200,202", "200-299". */
  matcher: string;
}

/** What a caller may set; absent fields keep their current (or default) value. */
export interface HealthCheckInput {
  protocol?: string;
  port?: string;
  enabled?: boolean;
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  matcher?: string;
}

export const healthCheckRanges = {
  intervalSeconds: [5, 300],
  timeoutSeconds: [2, 120],
  healthyThreshold: [2, 10],
  unhealthyThreshold: [2, 10],
} as const;

/** ELBv2's defaults for a target group of `protocol`. */
export function defaultHealthCheck(protocol: TargetProtocol): HealthCheckSettings {
  return {
    protocol,
    port: 'traffic-port',
    enabled: true,
    path: protocol === 'HTTP' ? '/' : '',
    intervalSeconds: 30,
    timeoutSeconds: protocol === 'HTTP' ? 5 : 10,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
    matcher: protocol === 'HTTP' ? '200' : '',
  };
}

/** The codes a matcher may name: 200-499 for application load balancers, 200-599 for network ones. */
function matcherRange(groupProtocol: TargetProtocol): [number, number] {
  return groupProtocol === 'HTTP' ? [200, 499] : [200, 599];
}

/** The set of codes a matcher accepts, as a predicate; a ValidationError for a malformed one. */
export function parseMatcher(matcher: string, groupProtocol: TargetProtocol): (code: number) => boolean {
  const [low, high] = matcherRange(groupProtocol);
  const ranges: [number, number][] = [];
  for (const part of matcher.split(',')) {
    const match = /^\s*(\d{3})(?:-(\d{3}))?\s*$/.exec(part);
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (!match || from > to || from < low || to > high) {
      throw validationError(
        `Health check matcher HTTP code '${matcher}' must be within '${low}-${high}' inclusive, as a code, a comma-separated list or a range`,
      );
    }
    ranges.push([from, to]);
  }
  return (code) => ranges.some(([from, to]) => code >= from && code <= to);
}

function checkRange(field: string, value: number, [min, max]: readonly [number, number]): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw validationError(`Health check ${field} '${value}' must be between '${min}' and '${max}'`);
  }
}

/** `current` changed by `input`, checked against ELBv2's rules for a group of `groupProtocol`. */
export function resolveHealthCheck(
  groupProtocol: TargetProtocol,
  current: HealthCheckSettings | undefined,
  input: HealthCheckInput,
): HealthCheckSettings {
  const base = current ?? defaultHealthCheck(groupProtocol);
  const protocol = (input.protocol || base.protocol).toUpperCase();
  if (protocol !== 'HTTP' && protocol !== 'TCP') {
    throw validationError(`Health check protocol '${protocol}' is not supported; use HTTP or TCP`);
  }
  if (groupProtocol === 'HTTP' && protocol === 'TCP') {
    throw validationError(
      "Health check protocol 'TCP' is not supported for target groups with the 'HTTP' protocol",
    );
  }
  const switched = protocol !== base.protocol;
  const defaults = defaultHealthCheck(protocol);
  const settings: HealthCheckSettings = {
    protocol,
    port: input.port || base.port,
    enabled: input.enabled ?? base.enabled,
    path: input.path || (switched ? defaults.path : base.path),
    intervalSeconds: input.intervalSeconds ?? base.intervalSeconds,
    timeoutSeconds:
      input.timeoutSeconds ??
      (switched && current === undefined ? defaults.timeoutSeconds : base.timeoutSeconds),
    healthyThreshold: input.healthyThreshold ?? base.healthyThreshold,
    unhealthyThreshold: input.unhealthyThreshold ?? base.unhealthyThreshold,
    matcher:
      input.matcher ||
      (switched
        ? groupProtocol === 'TCP' && protocol === 'HTTP'
          ? '200-399'
          : defaults.matcher
        : base.matcher),
  };
  if (settings.port !== 'traffic-port') {
    const port = Number(settings.port);
    if (!/^\d+$/.test(settings.port) || port < 1 || port > 65535) {
      throw validationError(
        `Health check port '${settings.port}' must be 'traffic-port' or between '1' and '65535'`,
      );
    }
  }
  for (const field of [
    'intervalSeconds',
    'timeoutSeconds',
    'healthyThreshold',
    'unhealthyThreshold',
  ] as const) {
    checkRange(
      field.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`),
      settings[field],
      healthCheckRanges[field],
    );
  }
  if (settings.timeoutSeconds >= settings.intervalSeconds) {
    throw validationError(
      `Health check timeout '${settings.timeoutSeconds}' must be smaller than the interval '${settings.intervalSeconds}'`,
    );
  }
  if (protocol === 'TCP') {
    if (input.path) throw validationError('A health check path cannot be set with a TCP health check');
    if (input.matcher) throw validationError('A health check matcher cannot be set with a TCP health check');
    settings.path = '';
    settings.matcher = '';
  } else {
    if (!settings.path.startsWith('/') || settings.path.length > 1024) {
      throw validationError(
        `Health check path '${settings.path}' must start with '/' and be at most 1024 characters`,
      );
    }
    parseMatcher(settings.matcher, groupProtocol);
  }
  return settings;
}
