/**
 * Listener and rule actions: forward (to one group, or weighted across up to
 * five), redirect and fixed-response, checked as ELBv2 checks them, in the
 * form they are stored and applied in.
 */
import type { LoadBalancerType } from './arns.js';
import { ElbError, ElbErrorCode, validationError } from './elb-errors.js';

export interface WeightedTargetGroup {
  targetGroupArn: string;
  weight: number;
}

export type ActionSpec =
  | { type: 'forward'; targetGroups: WeightedTargetGroup[]; weighted: boolean }
  | {
      type: 'redirect';
      protocol: string;
      port: string;
      host: string;
      path: string;
      query: string;
      statusCode: 'HTTP_301' | 'HTTP_302';
    }
  | { type: 'fixed-response'; statusCode: string; contentType: string; messageBody: string };

/** An action as a request carries it (the proto's fields, camelCase). */
export interface ActionInput {
  type: string;
  targetGroupArn: string;
  order: number;
  redirectConfig?: {
    protocol: string;
    port: string;
    host: string;
    path: string;
    query: string;
    statusCode: string;
  };
  fixedResponseConfig?: { messageBody: string; statusCode: string; contentType: string };
  forwardConfig?: { targetGroups: { targetGroupArn: string; weight?: number }[] };
}

const contentTypes = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

function forwardOf(input: ActionInput, lbType: LoadBalancerType): ActionSpec {
  const tuples = input.forwardConfig?.targetGroups ?? [];
  if (input.targetGroupArn && tuples.length > 0) {
    const only = tuples.length === 1 && tuples[0]?.targetGroupArn === input.targetGroupArn;
    if (!only)
      throw validationError(
        'You cannot specify both a target group ARN and a forward config with other target groups',
      );
  }
  if (!input.targetGroupArn && tuples.length === 0) {
    throw validationError("A target group ARN must be specified for a 'forward' action");
  }
  if (tuples.length > 5) throw validationError('A forward action can have at most 5 target groups');
  if (lbType === 'network' && tuples.length > 1) {
    throw new ElbError(
      ElbErrorCode.invalidLoadBalancerAction,
      'A network load balancer forwards to one target group',
    );
  }
  const groups =
    tuples.length > 0
      ? tuples.map((t) => ({ targetGroupArn: t.targetGroupArn, weight: t.weight ?? 1 }))
      : [{ targetGroupArn: input.targetGroupArn, weight: 1 }];
  const seen = new Set<string>();
  for (const g of groups) {
    if (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 999) {
      throw validationError(`Target group weight '${g.weight}' must be between '0' and '999'`);
    }
    if (seen.has(g.targetGroupArn))
      throw validationError(`Target group '${g.targetGroupArn}' is named twice`);
    seen.add(g.targetGroupArn);
  }
  if (groups.length > 1 && groups.every((g) => g.weight === 0)) {
    throw validationError('At least one target group of a forward action must have a weight above 0');
  }
  return { type: 'forward', targetGroups: groups, weighted: groups.length > 1 };
}

function redirectOf(input: ActionInput): ActionSpec {
  const c = input.redirectConfig;
  if (!c) throw validationError("A redirect config must be specified for a 'redirect' action");
  if (c.statusCode !== 'HTTP_301' && c.statusCode !== 'HTTP_302') {
    throw validationError(`Redirect status code '${c.statusCode}' must be 'HTTP_301' or 'HTTP_302'`);
  }
  const protocol = c.protocol || '#{protocol}';
  if (!['HTTP', 'HTTPS', '#{protocol}'].includes(protocol)) {
    throw validationError(`Redirect protocol '${protocol}' must be 'HTTP', 'HTTPS' or '#{protocol}'`);
  }
  const port = c.port || '#{port}';
  if (port !== '#{port}' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw validationError(`Redirect port '${port}' must be between '1' and '65535' or '#{port}'`);
  }
  const path = c.path || '/#{path}';
  if (!path.startsWith('/')) throw validationError(`Redirect path '${path}' must start with '/'`);
  const host = c.host || '#{host}';
  const query = c.query ?? '#{query}';
  if (
    protocol === '#{protocol}' &&
    port === '#{port}' &&
    host === '#{host}' &&
    path === '/#{path}' &&
    (query || '#{query}') === '#{query}'
  ) {
    throw validationError('A redirect must change at least one of protocol, port, host, path or query');
  }
  return {
    type: 'redirect',
    protocol,
    port,
    host,
    path,
    query: c.query === '' ? '#{query}' : query,
    statusCode: c.statusCode,
  };
}

function fixedResponseOf(input: ActionInput): ActionSpec {
  const c = input.fixedResponseConfig;
  if (!c) throw validationError("A fixed response config must be specified for a 'fixed-response' action");
  if (!/^[245]\d\d$/.test(c.statusCode)) {
    throw validationError(`Fixed response status code '${c.statusCode}' must be a 2XX, 4XX or 5XX code`);
  }
  const contentType = c.contentType || 'text/plain';
  if (!contentTypes.includes(contentType)) {
    throw validationError(
      `Fixed response content type '${contentType}' must be one of ${contentTypes.join(', ')}`,
    );
  }
  if (c.messageBody.length > 1024)
    throw validationError('A fixed response message body can be at most 1024 characters');
  return { type: 'fixed-response', statusCode: c.statusCode, contentType, messageBody: c.messageBody };
}

/** The one terminal action of a listener or rule; ELBv2's other action types are not served. */
export function parseActions(inputs: readonly ActionInput[], lbType: LoadBalancerType): ActionSpec {
  if (inputs.length === 0) throw validationError('At least one action must be specified');
  if (inputs.length > 1) {
    throw new ElbError(
      ElbErrorCode.tooManyActions,
      'Only one action (forward, redirect or fixed-response) is supported',
    );
  }
  const input = inputs[0] as ActionInput;
  if (input.order !== 0 && (input.order < 1 || input.order > 50000)) {
    throw validationError(`Action order '${input.order}' must be between '1' and '50000'`);
  }
  switch (input.type) {
    case 'forward':
      return forwardOf(input, lbType);
    case 'redirect':
    case 'fixed-response':
      if (lbType === 'network') {
        throw new ElbError(
          ElbErrorCode.invalidLoadBalancerAction,
          `A network load balancer cannot use '${input.type}' actions`,
        );
      }
      return input.type === 'redirect' ? redirectOf(input) : fixedResponseOf(input);
    default:
      throw new ElbError(
        ElbErrorCode.invalidLoadBalancerAction,
        `Action type '${input.type}' must be one of 'forward', 'redirect', 'fixed-response'`,
      );
  }
}

/** The target groups an action sends traffic to. */
export function targetGroupsOf(action: ActionSpec): string[] {
  return action.type === 'forward' ? action.targetGroups.map((g) => g.targetGroupArn) : [];
}
