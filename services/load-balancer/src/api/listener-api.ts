/** CreateListener, DescribeListeners, ModifyListener, DeleteListener. */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { listenerArn, parseArn, randomHex16 } from '../domain/arns.js';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import {
  createListenerRecord,
  deleteListenerRecord,
  updateListenerRecord,
} from '../state/listener-writes.js';
import type { ListenerRecord, LoadBalancerRecord } from '../state/records.js';
import { checkedAction } from './action-checks.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';
import { pageOf } from './paging.js';
import { checkTags } from './tags.js';
import { listenerView } from './views.js';

type ListenerApi = Pick<
  ServiceImpl<typeof LoadBalancingService>,
  'createListener' | 'describeListeners' | 'modifyListener' | 'deleteListener'
>;

export const maxListenersPerLoadBalancer = 50;

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw validationError(`Port '${port}' must be between '1' and '65535'`);
  }
}

function protocolFor(lb: LoadBalancerRecord, asked: string): 'HTTP' | 'TCP' {
  const wanted = lb.type === 'application' ? 'HTTP' : 'TCP';
  const protocol = (asked || wanted).toUpperCase();
  if (protocol !== wanted) {
    throw new ElbError(
      ElbErrorCode.unsupportedProtocol,
      `Protocol '${protocol}' is not supported for ${lb.type} load balancers in Nimbus; use ${wanted}`,
    );
  }
  return wanted;
}

export function createListenerApi(deps: ApiDeps, lookups: Lookups): ListenerApi {
  const { store, region } = deps;
  const duplicate = (port: number) =>
    new ElbError(
      ElbErrorCode.duplicateListener,
      `A listener already exists on port ${port} of this load balancer`,
    );

  return {
    async createListener(request, { accountId }) {
      const lb = (await lookups.loadBalancer(accountId, request.loadBalancerArn)).value;
      const protocol = protocolFor(lb, request.protocol);
      checkPort(request.port);
      const defaultAction = await checkedAction(lookups, lb, request.defaultActions);
      const tags = checkTags(request.tags);
      const existing = await lookups.listListeners(accountId, lb.arn);
      const same = existing.find((l) => l.value.port === request.port);
      if (same) {
        // ELBv2: the same listener asked again is the existing one.
        if (
          same.value.protocol === protocol &&
          JSON.stringify(same.value.defaultAction) === JSON.stringify(defaultAction)
        ) {
          return { listeners: [listenerView(same.value)] };
        }
        throw duplicate(request.port);
      }
      if (existing.length >= maxListenersPerLoadBalancer) {
        throw new ElbError(
          ElbErrorCode.tooManyListeners,
          `A load balancer can have at most ${maxListenersPerLoadBalancer} listeners`,
        );
      }
      const hex = randomHex16();
      const record: ListenerRecord = {
        arn: listenerArn({ region, accountId, type: lb.type, name: lb.name, hex: lb.hex }, hex),
        hex,
        accountId,
        loadBalancerArn: lb.arn,
        port: request.port,
        protocol,
        defaultAction,
        rules: [],
        tags,
      };
      if (!(await createListenerRecord(store, record))) throw duplicate(request.port);
      return { listeners: [listenerView(record)] };
    },

    async describeListeners(request, { accountId }) {
      if ((request.loadBalancerArn === '') === (request.listenerArns.length === 0)) {
        throw validationError('Exactly one of a load balancer ARN or listener ARNs must be specified');
      }
      let records: ListenerRecord[];
      if (request.loadBalancerArn) {
        await lookups.loadBalancer(accountId, request.loadBalancerArn);
        records = (await lookups.listListeners(accountId, request.loadBalancerArn)).map((l) => l.value);
        records.sort((a, b) => a.port - b.port);
      } else {
        records = [];
        for (const arn of request.listenerArns) records.push((await lookups.listener(accountId, arn)).value);
      }
      const { page, nextMarker } = pageOf(records, request.marker, request.pageSize);
      return { listeners: page.map(listenerView), nextMarker };
    },

    async modifyListener(request, { accountId }) {
      for (;;) {
        const current = await lookups.listener(accountId, request.listenerArn);
        const lb = (await lookups.loadBalancer(accountId, current.value.loadBalancerArn)).value;
        const next: ListenerRecord = { ...current.value };
        if (request.protocol) next.protocol = protocolFor(lb, request.protocol);
        if (request.port !== 0) {
          checkPort(request.port);
          next.port = request.port;
        }
        if (request.defaultActions.length > 0)
          next.defaultAction = await checkedAction(lookups, lb, request.defaultActions);
        if (next.port !== current.value.port) {
          const taken = (await lookups.listListeners(accountId, lb.arn)).some(
            (l) => l.value.port === next.port,
          );
          if (taken) throw duplicate(next.port);
        }
        if (await updateListenerRecord(store, current, next)) return { listeners: [listenerView(next)] };
        if (next.port !== current.value.port) {
          const fresh = await lookups.listeners.get(current.key);
          if (fresh && fresh.revision === current.revision) throw duplicate(next.port);
        }
      }
    },

    async deleteListener({ listenerArn: arn }, { accountId }) {
      for (;;) {
        const current = await lookups.listener(accountId, arn);
        if (!parseArn(current.value.loadBalancerArn)) throw new Error('a listener of no load balancer');
        if (await deleteListenerRecord(store, current)) return {};
      }
    },
  };
}
