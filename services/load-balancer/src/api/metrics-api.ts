/**
 * GetTargetGroupMetrics: a target group's traffic over the last period (the
 * figures CloudWatch would hold in AWS), from the data plane's per-second windows.
 */
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { TrafficFigures } from '../dataplane/traffic-view.js';
import { validationError } from '../domain/elb-errors.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';

type MetricsApi = Pick<ServiceImpl<typeof LoadBalancingService>, 'getTargetGroupMetrics'>;

export function metricsOf(f: TrafficFigures) {
  return {
    requestCount: BigInt(f.requestCount),
    httpCodeTarget2xxCount: BigInt(f.target2xx),
    httpCodeTarget3xxCount: BigInt(f.target3xx),
    httpCodeTarget4xxCount: BigInt(f.target4xx),
    httpCodeTarget5xxCount: BigInt(f.target5xx),
    httpCodeElb5xxCount: BigInt(f.elb5xx),
    targetResponseTime: f.responses > 0 ? f.targetResponseTimeSum / f.responses : 0,
    newConnectionCount: BigInt(f.newConnections),
  };
}

export function createMetricsApi(deps: ApiDeps, lookups: Lookups): MetricsApi {
  return {
    async getTargetGroupMetrics({ targetGroupArn, periodSeconds }, { accountId }) {
      const period = periodSeconds || 60;
      if (!Number.isInteger(period) || period < 1 || period > 3600) {
        throw validationError(`Period '${periodSeconds}' must be between '1' and '3600' seconds`);
      }
      const group = (await lookups.targetGroup(accountId, targetGroupArn)).value;
      const w = deps.traffic.window(group, period);
      return {
        startTime: timestampFromMs(w.startTime),
        endTime: timestampFromMs(w.endTime),
        metrics: {
          ...metricsOf(w.group),
          healthyHostCount: w.group.healthy,
          unHealthyHostCount: w.group.unhealthy,
          activeConnectionCount: w.group.active,
          requestCountPerTarget: w.group.registered > 0 ? w.group.requestCount / w.group.registered : 0,
        },
        targets: w.targets.map((t) => ({
          id: t.id,
          port: t.port,
          metrics: { ...metricsOf(t.figures), activeConnectionCount: t.active },
        })),
      };
    },
  };
}
