/**
 * ELBv2's resource names (ARNs): what every load-balancer resource is called
 * by, and what a call names it with. The 16 hex digits make a name unique
 * across recreations of a resource with the same name.
 */
import { randomBytes } from 'node:crypto';

export type LoadBalancerType = 'application' | 'network';

export const arnPrefix = 'arn:aws:elasticloadbalancing';

const typeSegment = (type: LoadBalancerType) => (type === 'application' ? 'app' : 'net');

export function randomHex16(): string {
  return randomBytes(8).toString('hex');
}

/** The parts of a load balancer's ARN that its listeners' and rules' ARNs repeat. */
export interface LoadBalancerArnParts {
  region: string;
  accountId: string;
  type: LoadBalancerType;
  name: string;
  hex: string;
}

export function loadBalancerArn(p: LoadBalancerArnParts): string {
  return `${arnPrefix}:${p.region}:${p.accountId}:loadbalancer/${typeSegment(p.type)}/${p.name}/${p.hex}`;
}

export function listenerArn(p: LoadBalancerArnParts, listenerHex: string): string {
  return `${arnPrefix}:${p.region}:${p.accountId}:listener/${typeSegment(p.type)}/${p.name}/${p.hex}/${listenerHex}`;
}

export function ruleArn(p: LoadBalancerArnParts, listenerHex: string, ruleHex: string): string {
  return `${arnPrefix}:${p.region}:${p.accountId}:listener-rule/${typeSegment(p.type)}/${p.name}/${p.hex}/${listenerHex}/${ruleHex}`;
}

export function targetGroupArn(region: string, accountId: string, name: string, hex: string): string {
  return `${arnPrefix}:${region}:${accountId}:targetgroup/${name}/${hex}`;
}

export type ArnKind = 'loadbalancer' | 'listener' | 'listener-rule' | 'targetgroup';

/** What an ARN names; undefined when it is no ELBv2 ARN of this service's forms. */
export interface ParsedArn {
  kind: ArnKind;
  region: string;
  accountId: string;
  /** The hex of the resource itself (the last segment). */
  hex: string;
  /** The load balancer's hex, for load balancers, listeners and rules. */
  loadBalancerHex?: string;
  /** The listener's hex, for listeners and rules. */
  listenerHex?: string;
}

const hex16 = '[0-9a-f]{16}';
const name = '[A-Za-z0-9-]{1,32}';
const patterns: Record<ArnKind, RegExp> = {
  loadbalancer: new RegExp(`^loadbalancer/(?:app|net)/${name}/(${hex16})$`),
  listener: new RegExp(`^listener/(?:app|net)/${name}/(${hex16})/(${hex16})$`),
  'listener-rule': new RegExp(`^listener-rule/(?:app|net)/${name}/(${hex16})/(${hex16})/(${hex16})$`),
  targetgroup: new RegExp(`^targetgroup/${name}/(${hex16})$`),
};

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || `${parts[0]}:${parts[1]}:${parts[2]}` !== arnPrefix) return undefined;
  const [, , , region = '', accountId = '', resource = ''] = parts;
  if (!/^\d{12}$/.test(accountId)) return undefined;
  for (const kind of Object.keys(patterns) as ArnKind[]) {
    const match = patterns[kind].exec(resource);
    if (!match) continue;
    const groups = match.slice(1) as string[];
    const hex = groups.at(-1) ?? '';
    return {
      kind,
      region,
      accountId,
      hex,
      ...(kind === 'targetgroup' ? {} : { loadBalancerHex: groups[0] }),
      ...(kind === 'listener' || kind === 'listener-rule' ? { listenerHex: groups[1] } : {}),
    };
  }
  return undefined;
}
