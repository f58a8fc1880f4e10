/**
 * Finding a caller's resources by ARN, with ELBv2's not-found answers. An ARN
 * of another account, or of no resource, is not found: accounts never see
 * each other's load balancers.
 */
import { createRecords, type Records, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { type ArnKind, parseArn } from '../domain/arns.js';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import {
  type ListenerRecord,
  type LoadBalancerRecord,
  lbKeys,
  type RuleRecord,
  type TargetGroupRecord,
} from '../state/records.js';

export interface Lookups {
  loadBalancers: Records<LoadBalancerRecord>;
  listeners: Records<ListenerRecord>;
  targetGroups: Records<TargetGroupRecord>;
  loadBalancer(accountId: string, arn: string): Promise<Stored<LoadBalancerRecord>>;
  listener(accountId: string, arn: string): Promise<Stored<ListenerRecord>>;
  /** A rule and the listener that holds it. */
  rule(accountId: string, arn: string): Promise<{ listener: Stored<ListenerRecord>; rule: RuleRecord }>;
  targetGroup(accountId: string, arn: string): Promise<Stored<TargetGroupRecord>>;
  /** The caller's active load balancers (those being deleted left out). */
  listLoadBalancers(accountId: string): Promise<Stored<LoadBalancerRecord>[]>;
  listListeners(accountId: string, loadBalancerArn?: string): Promise<Stored<ListenerRecord>[]>;
  /** The load balancers whose listeners or rules forward to `targetGroupArn`. */
  loadBalancersOf(accountId: string, targetGroupArn: string): Promise<string[]>;
}

const notFound: Record<ArnKind, { code: ElbErrorCode; what: string }> = {
  loadbalancer: { code: ElbErrorCode.loadBalancerNotFound, what: 'Load balancer' },
  listener: { code: ElbErrorCode.listenerNotFound, what: 'Listener' },
  'listener-rule': { code: ElbErrorCode.ruleNotFound, what: 'Rule' },
  targetgroup: { code: ElbErrorCode.targetGroupNotFound, what: 'Target group' },
};

export function notFoundError(kind: ArnKind, arn: string): ElbError {
  const { code, what } = notFound[kind];
  return new ElbError(code, `${what} '${arn}' not found`);
}

/** The hex of an ARN of `kind`; a ValidationError when it is no such ARN. */
export function hexOf(kind: ArnKind, arn: string, accountId: string): string | undefined {
  const parsed = parseArn(arn);
  if (!parsed || parsed.kind !== kind) {
    if (arn === '') throw validationError(`An ARN must be specified`);
    throw validationError(`'${arn}' is not a valid ${notFound[kind].what.toLowerCase()} ARN`);
  }
  return parsed.accountId === accountId ? parsed.hex : undefined;
}

export function createLookups(store: Store): Lookups {
  const loadBalancers = createRecords<LoadBalancerRecord>(store);
  const listeners = createRecords<ListenerRecord>(store);
  const targetGroups = createRecords<TargetGroupRecord>(store);

  async function find<T extends { arn: string }>(
    records: Records<T>,
    kind: ArnKind,
    key: (accountId: string, hex: string) => string,
    accountId: string,
    arn: string,
  ): Promise<Stored<T>> {
    const hex = hexOf(kind, arn, accountId);
    const found = hex === undefined ? undefined : await records.get(key(accountId, hex));
    if (!found || found.value.arn !== arn) throw notFoundError(kind, arn);
    return found;
  }

  const self: Lookups = {
    loadBalancers,
    listeners,
    targetGroups,
    async loadBalancer(accountId, arn) {
      const found = await find(loadBalancers, 'loadbalancer', lbKeys.loadBalancer, accountId, arn);
      if (found.value.state === 'deleting') throw notFoundError('loadbalancer', arn);
      return found;
    },
    listener: (accountId, arn) => find(listeners, 'listener', lbKeys.listener, accountId, arn),
    async rule(accountId, arn) {
      hexOf('listener-rule', arn, accountId);
      const parsed = parseArn(arn);
      const listener =
        parsed?.accountId === accountId && parsed.listenerHex
          ? await listeners.get(lbKeys.listener(accountId, parsed.listenerHex))
          : undefined;
      const rule = listener?.value.rules.find((r) => r.arn === arn);
      if (!listener || !rule) throw notFoundError('listener-rule', arn);
      return { listener, rule };
    },
    targetGroup: (accountId, arn) => find(targetGroups, 'targetgroup', lbKeys.targetGroup, accountId, arn),
    async listLoadBalancers(accountId) {
      return (await loadBalancers.list(lbKeys.loadBalancers(accountId))).filter(
        (r) => r.value.state !== 'deleting',
      );
    },
    async listListeners(accountId, loadBalancerArn) {
      const all = await listeners.list(lbKeys.listeners(accountId));
      return loadBalancerArn === undefined
        ? all
        : all.filter((l) => l.value.loadBalancerArn === loadBalancerArn);
    },
    async loadBalancersOf(accountId, targetGroupArn) {
      const allListeners = await self.listListeners(accountId);
      const arns = new Set<string>();
      const forwards = (action: ListenerRecord['defaultAction']) =>
        action.type === 'forward' && action.targetGroups.some((g) => g.targetGroupArn === targetGroupArn);
      for (const l of allListeners) {
        if (forwards(l.value.defaultAction) || l.value.rules.some((r) => forwards(r.action))) {
          arns.add(l.value.loadBalancerArn);
        }
      }
      return [...arns];
    },
  };
  return self;
}
