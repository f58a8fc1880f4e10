/**
 * Traffic samples for the autoscaler: every period, one message on the plain
 * NATS subject `nimbus.metrics.load-balancer` (outside the event stream: a
 * sample is no record) with each target group's figures over that period,
 * under CloudWatch's metric names, and each target's. Without NATS servers
 * (an embedded region) nothing is published; GetTargetGroupMetrics still answers.
 */
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { TrafficFigures, TrafficWindow } from '../dataplane/traffic-view.js';
import type { TargetGroupRecord } from '../state/records.js';

export const metricsSubject = 'nimbus.metrics.load-balancer';

export interface SampleSource {
  /** The target groups a listener forwards to, with their figures over the last `periodSeconds`. */
  windows(periodSeconds: number): { group: TargetGroupRecord; window: TrafficWindow }[];
}

function named(f: TrafficFigures) {
  return {
    RequestCount: f.requestCount,
    HTTPCode_Target_2XX_Count: f.target2xx,
    HTTPCode_Target_3XX_Count: f.target3xx,
    HTTPCode_Target_4XX_Count: f.target4xx,
    HTTPCode_Target_5XX_Count: f.target5xx,
    TargetResponseTime: f.responses > 0 ? f.targetResponseTimeSum / f.responses : 0,
    NewConnectionCount: f.newConnections,
  };
}

/** One sample message: every group in use, with its targets. */
export function sampleOf(source: SampleSource, periodSeconds: number, time: number) {
  return {
    source: 'load-balancer',
    time: new Date(time).toISOString(),
    periodSeconds,
    targetGroups: source.windows(periodSeconds).map(({ group, window }) => ({
      targetGroupArn: group.arn,
      accountId: group.accountId,
      metrics: {
        ...named(window.group),
        HTTPCode_ELB_5XX_Count: window.group.elb5xx,
        RequestCountPerTarget:
          window.group.registered > 0 ? window.group.requestCount / window.group.registered : 0,
        HealthyHostCount: window.group.healthy,
        UnHealthyHostCount: window.group.unhealthy,
        ActiveConnectionCount: window.group.active,
      },
      targets: window.targets.map((t) => ({
        id: t.id,
        port: t.port,
        metrics: { ...named(t.figures), ActiveConnectionCount: t.active },
      })),
    })),
  };
}

/** What a message on `nimbus.metrics.load-balancer` holds (JSON). */
export type TrafficSample = ReturnType<typeof sampleOf>;

export async function publishSamples(options: {
  servers: readonly string[];
  periodMs: number;
  source: SampleSource;
  logger: Logger;
  signal: AbortSignal;
}): Promise<void> {
  const { servers, periodMs, source, logger, signal } = options;
  if (servers.length === 0) {
    logger.info(
      'no NATS servers (NIMBUS_BUS_SERVERS): traffic samples are not published, GetTargetGroupMetrics still answers',
    );
    return;
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: [...servers], name: 'load-balancer-samples', maxReconnectAttempts: -1 });
  } catch (error) {
    logger.warn({ err: error }, 'traffic samples: NATS unreachable; not published');
    return;
  }
  const periodSeconds = Math.max(1, Math.round(periodMs / 1000));
  const timer = setInterval(() => {
    try {
      nc.publish(metricsSubject, JSON.stringify(sampleOf(source, periodSeconds, Date.now())));
    } catch (error) {
      logger.warn({ err: error }, 'traffic sample not published');
    }
  }, periodMs);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  await nc.drain().catch(() => undefined);
}
