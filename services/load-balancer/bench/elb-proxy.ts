/**
 * The load balancer's HTTP data plane alone, in its own process as in the
 * service: one listener address with a path rule that does not match and a
 * default forward to a round-robin target group of the given targets, with
 * health checks every 5 s. Args: host port target...
 */

import { compileListener } from '../src/dataplane/compiled-listener.js';
import { createHttpListenerServer } from '../src/dataplane/http-proxy.js';
import { TargetGroupRuntime } from '../src/dataplane/target-group-runtime.js';
import { defaultHealthCheck } from '../src/domain/health-check-settings.js';
import { defaultAttributes } from '../src/domain/target-group-attributes.js';
import type { TargetGroupRecord } from '../src/state/records.js';

const [host = '', port = '0', ...targets] = process.argv.slice(2);
const intervalSeconds = Number(process.env.BENCH_INTERVAL_SECONDS ?? 5);
const record: TargetGroupRecord = {
  arn: 'arn:aws:elasticloadbalancing:nimbus-1:111111111111:targetgroup/bench/0000000000000001',
  hex: '0000000000000001',
  name: 'bench',
  accountId: '111111111111',
  protocol: 'HTTP',
  port: 80,
  vpcId: 'vpc-0',
  targetType: 'ip',
  healthCheck: {
    ...defaultHealthCheck('HTTP'),
    path: '/health',
    intervalSeconds,
    timeoutSeconds: Math.min(5, intervalSeconds - 1),
    healthyThreshold: 2,
    unhealthyThreshold: 2,
  },
  attributes: defaultAttributes('HTTP'),
  targets: targets.map((t) => {
    const [ip = '', p = '0'] = t.split(':');
    return { id: ip, port: Number(p), ip, registeredAt: 0 };
  }),
  tags: [],
};
const group = new TargetGroupRuntime(record, {
  now: Date.now,
  timeScale: 1,
  onTransition: (_g, target, t) =>
    console.error(`${Date.now()} ${target.id}:${target.port} ${t.from} -> ${t.to}`),
  onDrained: () => {},
});
group.update(record, true);
const listener = compileListener({
  arn: 'listener',
  hex: '0',
  accountId: '111111111111',
  loadBalancerArn: 'lb',
  port: Number(port),
  protocol: 'HTTP',
  defaultAction: {
    type: 'forward',
    targetGroups: [{ targetGroupArn: record.arn, weight: 1 }],
    weighted: false,
  },
  rules: [
    {
      arn: 'rule',
      hex: '1',
      priority: 1,
      conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
      action: { type: 'fixed-response', statusCode: '404', contentType: 'text/plain', messageBody: 'no' },
      tags: [],
    },
  ],
  tags: [],
});
const server = createHttpListenerServer({
  listener: () => listener,
  targetGroup: (arn) => (arn === record.arn ? group : undefined),
  now: Date.now,
  idleTimeoutMs: 60_000,
});
server.listen(Number(port), host, () => console.log('ready'));
process.on('SIGINT', () => process.exit(0));
