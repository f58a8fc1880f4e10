/** Names of load balancers and target groups, as ELBv2 allows them. */
import { validationError } from './elb-errors.js';

const nameShape = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

function checkName(kind: string, name: string): void {
  if (name === '') throw validationError(`A ${kind} name must be specified`);
  if (name.length > 32) {
    throw validationError(`The ${kind} name '${name}' cannot be longer than '32' characters`);
  }
  if (!nameShape.test(name)) {
    throw validationError(
      `The ${kind} name '${name}' can contain only alphanumeric characters and hyphens, and must not begin or end with a hyphen`,
    );
  }
}

export function checkLoadBalancerName(name: string): void {
  checkName('load balancer', name);
  if (name.startsWith('internal-')) {
    throw validationError(`The load balancer name '${name}' cannot begin with 'internal-'`);
  }
}

export function checkTargetGroupName(name: string): void {
  checkName('target group', name);
}
