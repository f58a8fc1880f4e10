/**
 * The data plane with real sockets on 127.122.0.0/16: backends on
 * 127.122.9.x, the load balancer's addresses on 127.122.1.x (private) and
 * 127.122.2.x (public). Health-check time runs at 1/20 (timeScale 0.05): an
 * interval of 5 s is 250 ms here.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { errorCode } from '@nimbus/service-kit';
import { freePort, waitUntil } from '@nimbus/testkit';
import { connect as connectNats } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { testSubnets, testVpcId } from '../testing/fake-neighbours.js';
import { accountA, useLoadBalancerUnderTest } from '../testing/load-balancer-under-test.js';

const timeScale = 0.05;
const lb = useLoadBalancerUnderTest({ octet: 122, timeScale, samplePeriodMs: 500, ingressRefreshMs: 200 });
const subnets = testSubnets.map((s) => s.subnetId);

interface Backend {
  name: string;
  ip: string;
  port: number;
  server: Server;
  hits: number;
  /** What GET /health answers; 0: it never answers. */
  healthStatus: number;
  /** Milliseconds before answering other paths. */
  delayMs: number;
  /** Requests held until released. */
  held: (() => void)[];
  hold: boolean;
  seen: { path: string; headers: Record<string, unknown> }[];
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

let nextBackend = 1;
async function backend(name: string): Promise<Backend> {
  const b: Backend = {
    name,
    ip: `127.122.9.${nextBackend++}`,
    port: 0,
    server: createServer(),
    hits: 0,
    healthStatus: 200,
    delayMs: 0,
    held: [],
    hold: false,
    seen: [],
  };
  b.server.on('request', (req, res) => {
    if (req.url === '/health') {
      if (b.healthStatus !== 0) res.writeHead(b.healthStatus).end();
      return;
    }
    b.hits++;
    b.seen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/echo') {
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      req.on('end', () => res.writeHead(200).end(`${b.name}:${size}`));
      return;
    }
    if (req.url === '/crash') {
      req.socket.destroy();
      return;
    }
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(b.name);
    if (b.hold) b.held.push(answer);
    else if (b.delayMs > 0) setTimeout(answer, b.delayMs);
    else answer();
  });
  // An Upgrade: 101, its name and the upgrade's X-Forwarded-For, then every byte echoed back.
  b.server.on('upgrade', (req, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\n\r\n');
    socket.write(`${name}|${req.headers['x-forwarded-for']}|`);
    socket.pipe(socket);
  });
  b.server.listen(0, b.ip);
  await once(b.server, 'listening');
  b.port = (b.server.address() as { port: number }).port;
  servers.push(b.server);
  return b;
}

function get(ip: string, port: number, path: string, host?: string, localAddress?: string) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const options = { host: ip, port, path, agent: false, headers: host ? { host } : {} };
      const req = request(localAddress ? { ...options, localAddress } : options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    },
  );
}

async function loadBalancer(name: string, type = 'application') {
  const [created] = (await lb.client.createLoadBalancer({ name, subnets, type })).loadBalancers;
  const arn = created?.loadBalancerArn ?? '';
  let address = '';
  await waitUntil(async () => {
    const [found] = (await lb.client.describeLoadBalancers({ loadBalancerArns: [arn] })).loadBalancers;
    address = found?.availabilityZones[0]?.loadBalancerAddresses[0]?.ipAddress ?? '';
    return found?.state?.code === 'active';
  });
  return { arn, address };
}

async function group(
  name: string,
  backends: Backend[],
  attributes: Record<string, string> = {},
  protocol = 'HTTP',
) {
  const [created] = (
    await lb.client.createTargetGroup({
      name,
      protocol,
      port: 80,
      vpcId: testVpcId,
      targetType: 'ip',
      ...(protocol === 'HTTP' ? { healthCheckPath: '/health' } : {}),
      healthCheckIntervalSeconds: 5,
      healthCheckTimeoutSeconds: 2,
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
    })
  ).targetGroups;
  const arn = created?.targetGroupArn ?? '';
  const list = Object.entries({ 'deregistration_delay.timeout_seconds': '10', ...attributes }).map(
    ([key, value]) => ({
      key,
      value,
    }),
  );
  await lb.client.modifyTargetGroupAttributes({ targetGroupArn: arn, attributes: list });
  if (backends.length > 0) {
    await lb.client.registerTargets({
      targetGroupArn: arn,
      targets: backends.map((b) => ({ id: b.ip, port: b.port })),
    });
  }
  return arn;
}

async function states(targetGroupArn: string) {
  const all = (await lb.client.describeTargetHealth({ targetGroupArn })).targetHealthDescriptions;
  return all.map((h) => `${h.target?.id}=${h.targetHealth?.state}`).sort();
}

async function allHealthy(targetGroupArn: string, count: number) {
  await waitUntil(async () => {
    const s = await states(targetGroupArn);
    return s.length === count && s.every((x) => x.endsWith('=healthy'));
  });
}

async function listen(loadBalancerArn: string, port: number, targetGroupArn: string) {
  const [listener] = (
    await lb.client.createListener({
      loadBalancerArn,
      port,
      defaultActions: [{ type: 'forward', targetGroupArn }],
    })
  ).listeners;
  return listener?.listenerArn ?? '';
}

/**
 * Waits until the data plane has applied every change made before the call:
 * it follows the store in order, so once a listener created now answers,
 * everything written before it is in effect.
 */
async function applied(loadBalancerArn: string, address: string) {
  const port = await freePort(address);
  const [listener] = (
    await lb.client.createListener({
      loadBalancerArn,
      port,
      defaultActions: [
        {
          type: 'fixed-response',
          fixedResponseConfig: { statusCode: '200', contentType: 'text/plain', messageBody: '' },
        },
      ],
    })
  ).listeners;
  await answering(address, port);
  await lb.client.deleteListener({ listenerArn: listener?.listenerArn ?? '' });
}

/** `count` distinct ports free on `address` now: listeners never take a fixed port. */
async function freePorts(address: string, count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(address));
  return [...ports];
}

async function answering(ip: string, port: number) {
  await waitUntil(async () => {
    try {
      await get(ip, port, '/');
      return true;
    } catch {
      return false;
    }
  });
}

describe('the HTTP data plane', () => {
  it('spreads requests across healthy targets per algorithm, with X-Forwarded headers', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('spread');
    const p = await freePorts(address, 6);
    const tg = await group('spread', backends);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 3);
    await answering(address, p[0]);
    for (const b of backends) b.hits = 0;
    for (let i = 0; i < 90; i++) expect((await get(address, p[0], '/x')).status).toBe(200);
    expect(backends.map((b) => b.hits)).toEqual([30, 30, 30]);
    const seen = backends[0]?.seen.at(-1)?.headers ?? {};
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-port']).toBe(String(p[0]));

    // weighted_random: every target gets a fair share.
    await lb.client.modifyTargetGroupAttributes({
      targetGroupArn: tg,
      attributes: [{ key: 'load_balancing.algorithm.type', value: 'weighted_random' }],
    });
    await applied(arn, address);
    for (const b of backends) b.hits = 0;
    for (let i = 0; i < 300; i++) await get(address, p[0], '/x');
    for (const b of backends) expect(b.hits).toBeGreaterThan(50);

    // least_outstanding_requests: a slow target gets fewer of concurrent requests.
    await lb.client.modifyTargetGroupAttributes({
      targetGroupArn: tg,
      attributes: [{ key: 'load_balancing.algorithm.type', value: 'least_outstanding_requests' }],
    });
    await applied(arn, address);
    const slow = backends[0] as Backend;
    slow.delayMs = 150;
    for (const b of backends) b.hits = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let i = 0; i < 15; i++) await get(address, p[0], '/x');
      }),
    );
    slow.delayMs = 0;
    const fast = Math.min(backends[1]?.hits ?? 0, backends[2]?.hits ?? 0);
    expect(slow.hits).toBeLessThan(fast / 2);

    const metrics = await lb.client.getTargetGroupMetrics({ targetGroupArn: tg, periodSeconds: 60 });
    expect(Number(metrics.metrics?.requestCount)).toBeGreaterThanOrEqual(480);
    expect(Number(metrics.metrics?.httpCodeTarget2xxCount)).toBeGreaterThanOrEqual(480);
    expect(metrics.metrics?.healthyHostCount).toBe(3);
    expect(metrics.targets).toHaveLength(3);
  });

  it('stops sending to a target failing its health path within interval x threshold, and takes it back', async () => {
    const backends = await Promise.all(['d', 'e'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('health');
    const p = await freePorts(address, 6);
    const tg = await group('health', backends);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 2);
    await answering(address, p[0]);
    const events: { state: string; reason: string; target: { id: string } }[] = [];
    const subscription = await lb.bus.subscribe({
      durable: 'test-health-events',
      subjects: ['nimbus.loadbalancing.target.health-changed'],
      handler: async ({ event }) => {
        events.push(JSON.parse(event.detailJson));
      },
    });
    const sick = backends[0] as Backend;
    sick.healthStatus = 500;
    const failedAt = Date.now();
    await waitUntil(async () => (await states(tg)).includes(`${sick.ip}=unhealthy`));
    const took = Date.now() - failedAt;
    // interval x unhealthy threshold, plus one interval for where the cycle stood, plus slack.
    expect(took).toBeLessThan(5000 * timeScale * 3 + 500);
    const [h] = (
      await lb.client.describeTargetHealth({
        targetGroupArn: tg,
        targets: [{ id: sick.ip, port: sick.port }],
      })
    ).targetHealthDescriptions;
    expect(h?.targetHealth).toMatchObject({ state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' });
    sick.hits = 0;
    for (let i = 0; i < 20; i++) expect((await get(address, p[0], '/x')).body).toBe('e');
    expect(sick.hits).toBe(0);

    sick.healthStatus = 200;
    await allHealthy(tg, 2);
    for (let i = 0; i < 10; i++) await get(address, p[0], '/x');
    expect(sick.hits).toBe(5);
    // Each transition was published.
    await waitUntil(() => events.filter((e) => e.target.id === sick.ip).length >= 2);
    await subscription.close();
    // New health-check settings keep every target's state.
    await lb.client.modifyTargetGroup({ targetGroupArn: tg, healthCheckIntervalSeconds: 6 });
    await applied(arn, address);
    expect(await states(tg)).toEqual(backends.map((b) => `${b.ip}=healthy`).sort());
    expect(events.filter((e) => e.target.id === sick.ip).map((e) => [e.state, e.reason])).toEqual([
      ['unhealthy', 'Target.ResponseCodeMismatch'],
      ['healthy', ''],
    ]);
  });

  it('ramps a new target up during slow start', async () => {
    const backends = await Promise.all(['m', 'n'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('slow');
    const p = await freePorts(address, 6);
    // 30 s of slow start is 1.5 s here.
    const tg = await group('slow', backends, { 'slow_start.duration_seconds': '30' });
    await listen(arn, p[0], tg);
    await allHealthy(tg, 2);
    await answering(address, p[0]);
    const late = await backend('late');
    await lb.client.registerTargets({ targetGroupArn: tg, targets: [{ id: late.ip, port: late.port }] });
    await allHealthy(tg, 3);
    const healthyAt = Date.now();
    for (let i = 0; i < 60; i++) await get(address, p[0], '/x');
    const early = late.hits;
    // Under a fair share (20 of 60) while it ramps up.
    expect(Date.now() - healthyAt).toBeLessThan(1500);
    expect(early).toBeLessThan(12);
    await waitUntil(() => Date.now() - healthyAt > 1600);
    late.hits = 0;
    for (let i = 0; i < 60; i++) await get(address, p[0], '/x');
    expect(late.hits).toBe(20);
  });

  it('fails open when every target is unhealthy, answers 503 with none and 502 for a target that fails', async () => {
    const backends = await Promise.all(['f', 'g'].map((n) => backend(n)));
    for (const b of backends) b.healthStatus = 503;
    const { arn, address } = await loadBalancer('open');
    const p = await freePorts(address, 6);
    const tg = await group('open', backends);
    await listen(arn, p[0], tg);
    await waitUntil(async () => (await states(tg)).every((s) => s.endsWith('=unhealthy')));
    await answering(address, p[0]);
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) bodies.add((await get(address, p[0], '/x')).body);
    expect([...bodies].sort()).toEqual(['f', 'g']);
    expect((await get(address, p[0], '/crash')).status).toBe(502);

    const empty = await group('empty', []);
    await listen(arn, p[1], empty);
    await waitUntil(async () => {
      try {
        return (await get(address, p[1], '/')).status === 503;
      } catch {
        return false;
      }
    });
    const metrics = await lb.client.getTargetGroupMetrics({ targetGroupArn: empty, periodSeconds: 60 });
    expect(Number(metrics.metrics?.httpCodeElb5xxCount)).toBeGreaterThanOrEqual(1);

    // A port nobody listens on: unhealthy with Target.FailedHealthChecks, and the balancer carries on.
    const nobody = await group('nobody', []);
    await lb.client.registerTargets({ targetGroupArn: nobody, targets: [{ id: '127.122.9.200', port: 9 }] });
    await listen(arn, p[2], nobody);
    await waitUntil(async () => {
      const [h] = (await lb.client.describeTargetHealth({ targetGroupArn: nobody })).targetHealthDescriptions;
      return h?.targetHealth?.reason === 'Target.FailedHealthChecks';
    });
    expect((await get(address, p[2], '/')).status).toBe(502);

    // A target silent past the idle timeout (60 s, 3 s here): 504.
    const stalled = await backend('stalled');
    const stalledGroup = await group('stalled', [stalled]);
    await listen(arn, p[4], stalledGroup);
    await allHealthy(stalledGroup, 1);
    await answering(address, p[4]);
    stalled.hold = true;
    const started = Date.now();
    const late = await get(address, p[4], '/x');
    expect(late.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);

    // A health path that never answers: unhealthy with Target.Timeout.
    const silent = await backend('silent');
    silent.healthStatus = 0;
    const slow = await group('silent', [silent]);
    await listen(arn, p[3], slow);
    await waitUntil(async () => {
      const [h] = (await lb.client.describeTargetHealth({ targetGroupArn: slow })).targetHealthDescriptions;
      return h?.targetHealth?.state === 'unhealthy' && h.targetHealth.reason === 'Target.Timeout';
    });
  });

  it('lets in-flight requests of a deregistered target finish while new ones go elsewhere', async () => {
    const backends = await Promise.all(['h', 'i'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('drain');
    const p = await freePorts(address, 6);
    const tg = await group('drain', backends);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 2);
    await answering(address, p[0]);
    const leaving = backends[0] as Backend;
    leaving.hold = true;
    const inFlight = [get(address, p[0], '/slow'), get(address, p[0], '/slow')];
    await waitUntil(() => leaving.held.length === 1);
    await lb.client.deregisterTargets({
      targetGroupArn: tg,
      targets: [{ id: leaving.ip, port: leaving.port }],
    });
    await waitUntil(async () => (await states(tg)).includes(`${leaving.ip}=draining`));
    await applied(arn, address);
    for (let i = 0; i < 6; i++) expect((await get(address, p[0], '/x')).body).toBe('i');
    leaving.hold = false;
    for (const answer of leaving.held.splice(0)) answer();
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body).sort()).toEqual(['h', 'i']);
    // Draining ends when its last request is done, well before the 10 s delay.
    await waitUntil(async () => (await states(tg)).length === 1, { timeoutMs: 3000 });
    // The group's figures keep the answers of the target that left.
    const metrics = await lb.client.getTargetGroupMetrics({ targetGroupArn: tg, periodSeconds: 60 });
    expect(metrics.targets.map((t) => t.id)).toEqual([backends[1]?.ip]);
    expect(Number(metrics.metrics?.httpCodeTarget2xxCount)).toBeGreaterThan(
      Number(metrics.targets[0]?.metrics?.httpCodeTarget2xxCount),
    );
    expect(Number(metrics.metrics?.httpCodeTarget2xxCount)).toBeGreaterThanOrEqual(8);
  });

  it('routes by path and host, redirects and answers fixed responses, applied without restarting the listener', async () => {
    const [web, api] = await Promise.all(['web', 'api'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('rules');
    const p = await freePorts(address, 6);
    const webGroup = await group('web', [web as Backend]);
    const apiGroup = await group('api', [api as Backend]);
    const listenerArn = await listen(arn, p[0], webGroup);
    await allHealthy(webGroup, 1);
    await answering(address, p[0]);
    const keptAlive = request({ host: address, port: p[0], path: '/' });
    keptAlive.end();
    await lb.client.createRule({
      listenerArn,
      priority: 5,
      conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
      actions: [{ type: 'forward', targetGroupArn: apiGroup }],
    });
    await lb.client.createRule({
      listenerArn,
      priority: 6,
      conditions: [{ field: 'host-header', values: ['*.Example.com'] }],
      actions: [
        {
          type: 'fixed-response',
          fixedResponseConfig: { statusCode: '418', messageBody: 'teapot', contentType: 'text/plain' },
        },
      ],
    });
    await lb.client.createRule({
      listenerArn,
      priority: 7,
      conditions: [{ field: 'path-pattern', values: ['/old/?'] }],
      actions: [
        {
          type: 'redirect',
          redirectConfig: {
            statusCode: 'HTTP_301',
            path: '/new/#{path}',
            protocol: '',
            port: '',
            host: '',
            query: '',
          },
        },
      ],
    });
    await allHealthy(apiGroup, 1);
    await waitUntil(async () => (await get(address, p[0], '/api/v1')).body === 'api');
    expect((await get(address, p[0], '/web')).body).toBe('web');
    expect((await get(address, p[0], '/API/v1')).body).toBe('web');
    const teapot = await get(address, p[0], '/web', 'shop.example.COM');
    expect([teapot.status, teapot.body]).toEqual([418, 'teapot']);
    const moved = await get(address, p[0], '/old/a?x=1', 'site.test');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe(`http://site.test:${p[0]}/new/old/a?x=1`);
    // A request body goes through whole.
    const posted = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: address, port: p[0], path: '/echo', method: 'POST', agent: false },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end(Buffer.alloc(300_000, 7));
    });
    expect(posted).toBe('web:300000');

    // An Upgrade (WebSockets) goes through, routed by the rules.
    const upgraded = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: address,
        port: p[0],
        path: '/api/ws',
        headers: { connection: 'Upgrade', upgrade: 'echo' },
      });
      req.on('upgrade', (_res, socket, head) => {
        let got = head.toString();
        socket.on('data', (chunk) => {
          got += chunk;
          if (got.endsWith('hello')) {
            socket.destroy();
            resolve(got);
          }
        });
        socket.write('hello');
      });
      req.on('error', reject);
      req.end();
    });
    expect(upgraded).toBe('api|127.0.0.1|hello');

    // A weighted forward: a group of weight 0 gets nothing.
    await lb.client.modifyListener({
      listenerArn,
      defaultActions: [
        {
          type: 'forward',
          forwardConfig: {
            targetGroups: [
              { targetGroupArn: apiGroup, weight: 1 },
              { targetGroupArn: webGroup, weight: 0 },
            ],
          },
        },
      ],
    });
    await waitUntil(async () => (await get(address, p[0], '/web')).body === 'api');
    for (let i = 0; i < 20; i++) expect((await get(address, p[0], '/web')).body).toBe('api');
    expect(await errorCode(lb.client.modifyListener({ listenerArn, port: 0, protocol: 'TCP' }))).toBe(
      'UnsupportedProtocol',
    );

    // A new port: the listener moves, with its rules.
    await lb.client.modifyListener({ listenerArn, port: p[5] });
    await waitUntil(
      async () => (await get(address, p[5], '/old/x').catch(() => ({ status: 0 }))).status === 301,
    );
    await expect(get(address, p[0], '/')).rejects.toThrow();
  });
});

describe('instance targets', () => {
  it('takes a stopped instance out of traffic (unused, Target.InvalidState) and back when it runs', async () => {
    const backends = await Promise.all(['o', 'q'].map((n) => backend(n)));
    const ids = ['i-0c0000000000000a1', 'i-0c0000000000000a2'];
    for (const [i, b] of backends.entries()) {
      const instanceId = ids[i] as string;
      lb.neighbours.instances.set(instanceId, { instanceId, state: 'running', privateIp: b.ip });
    }
    const { arn, address } = await loadBalancer('instances');
    const p = await freePorts(address, 1);
    const [created] = (
      await lb.client.createTargetGroup({
        name: 'instances',
        protocol: 'HTTP',
        port: 80,
        vpcId: testVpcId,
        healthCheckPath: '/health',
        healthCheckIntervalSeconds: 5,
        healthCheckTimeoutSeconds: 2,
        healthyThresholdCount: 2,
      })
    ).targetGroups;
    const tg = created?.targetGroupArn ?? '';
    await lb.client.registerTargets({
      targetGroupArn: tg,
      targets: backends.map((b, i) => ({ id: ids[i] as string, port: b.port })),
    });
    await listen(arn, p[0], tg);
    await allHealthy(tg, 2);
    await answering(address, p[0]);
    const state = (id: string, currentState: string) =>
      lb.bus.publish({
        subject: 'nimbus.compute.instance.state-changed',
        accountId: accountA,
        resourceId: id,
        detailJson: JSON.stringify({ currentState }),
      });
    await state(ids[0] as string, 'stopped');
    await waitUntil(async () => {
      const [h] = (
        await lb.client.describeTargetHealth({
          targetGroupArn: tg,
          targets: [{ id: ids[0], port: backends[0]?.port }],
        })
      ).targetHealthDescriptions;
      return h?.targetHealth?.state === 'unused' && h.targetHealth.reason === 'Target.InvalidState';
    });
    for (let i = 0; i < 6; i++) expect((await get(address, p[0], '/x')).body).toBe('q');
    await state(ids[1] as string, 'stopping');
    await waitUntil(async () => (await get(address, p[0], '/x')).status === 503);
    await state(ids[0] as string, 'running');
    await state(ids[1] as string, 'running');
    await waitUntil(async () => (await states(tg)).every((s) => s.endsWith('=healthy')));
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add((await get(address, p[0], '/x')).body);
    expect([...bodies].sort()).toEqual(['o', 'q']);
  });
});

describe('security groups', () => {
  it("lets in only the clients an application load balancer's security groups allow, following rule changes", async () => {
    const web = await backend('guarded');
    const group0 = 'sg-0c0000000000000c1';
    const [created] = (
      await lb.client.createLoadBalancer({ name: 'guarded', subnets, securityGroups: [group0] })
    ).loadBalancers;
    const arn = created?.loadBalancerArn ?? '';
    let address = '';
    await waitUntil(async () => {
      const [found] = (await lb.client.describeLoadBalancers({ loadBalancerArns: [arn] })).loadBalancers;
      address = found?.availabilityZones[0]?.loadBalancerAddresses[0]?.ipAddress ?? '';
      return found?.state?.code === 'active';
    });
    const p = await freePorts(address, 1);
    lb.neighbours.securityGroupRules.set(group0, [
      { fromPort: p[0], toPort: p[0], cidrs: ['127.122.50.0/24'] },
    ]);
    const tg = await group('guarded', [web]);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 1);
    const from = (source: string) => get(address, p[0], '/', undefined, source).catch(() => ({ status: 0 }));
    await waitUntil(async () => (await from('127.122.50.7')).status === 200);
    expect((await from('127.122.51.7')).status).toBe(0);
    lb.neighbours.securityGroupRules.set(group0, [
      { fromPort: p[0] - 5, toPort: p[0] + 5, cidrs: ['127.122.51.0/24'] },
    ]);
    await waitUntil(async () => (await from('127.122.51.7')).status === 200);
    expect((await from('127.122.50.7')).status).toBe(0);
  });
});

describe('traffic samples', () => {
  it('publishes per-group and per-target figures on nimbus.metrics.load-balancer', async () => {
    const backends = await Promise.all(['k', 'l'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('samples');
    const p = await freePorts(address, 6);
    const tg = await group('samples', backends);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 2);
    await answering(address, p[0]);
    const nc = await connectNats({ servers: lb.natsEndpoint });
    try {
      const subscription = nc.subscribe('nimbus.metrics.load-balancer');
      let stop = false;
      const traffic = (async () => {
        while (!stop) await get(address, p[0], '/x');
      })();
      type Sample = {
        targetGroups: { targetGroupArn: string; metrics: Record<string, number>; targets: unknown[] }[];
      };
      let found: Sample['targetGroups'][number] | undefined;
      for await (const message of subscription) {
        const sample = JSON.parse(new TextDecoder().decode(message.data)) as Sample;
        found = sample.targetGroups.find((g) => g.targetGroupArn === tg && (g.metrics.RequestCount ?? 0) > 0);
        if (found) break;
      }
      stop = true;
      await traffic;
      expect(found?.metrics).toMatchObject({ HealthyHostCount: 2, UnHealthyHostCount: 0 });
      expect(found?.metrics.HTTPCode_Target_2XX_Count).toBeGreaterThan(0);
      expect(found?.metrics.RequestCountPerTarget).toBeCloseTo((found?.metrics.RequestCount ?? 0) / 2);
      expect(found?.targets).toHaveLength(2);
    } finally {
      await nc.close();
    }
  });
});

describe('restarts and network load balancers', () => {
  it('restores listeners after a restart, with targets back in initial until probes answer', async () => {
    const backends = await Promise.all(['j'].map((n) => backend(n)));
    const { arn, address } = await loadBalancer('restart');
    const p = await freePorts(address, 6);
    const tg = await group('restart', backends);
    await listen(arn, p[0], tg);
    await allHealthy(tg, 1);
    await lb.restart();
    const first = await states(tg);
    expect(first).toEqual([`${backends[0]?.ip}=initial`]);
    await allHealthy(tg, 1);
    await answering(address, p[0]);
    expect((await get(address, p[0], '/')).body).toBe('j');
  });

  it('carries TCP connections for a network load balancer', async () => {
    const echoes = await Promise.all(
      [1, 2].map(async (n) => {
        const server = createTcpServer((socket) => socket.pipe(socket));
        server.listen(0, `127.122.8.${n}`);
        await once(server, 'listening');
        return { server, ip: `127.122.8.${n}`, port: (server.address() as { port: number }).port };
      }),
    );
    const { arn, address } = await loadBalancer('tcp', 'network');
    const p = await freePorts(address, 6);
    const [created] = (
      await lb.client.createTargetGroup({
        name: 'tcp',
        protocol: 'TCP',
        port: 7,
        vpcId: testVpcId,
        targetType: 'ip',
        healthCheckIntervalSeconds: 5,
        healthCheckTimeoutSeconds: 2,
        healthyThresholdCount: 2,
      })
    ).targetGroups;
    const tg = created?.targetGroupArn ?? '';
    await lb.client.registerTargets({
      targetGroupArn: tg,
      targets: echoes.map((e) => ({ id: e.ip, port: e.port })),
    });
    await lb.client.createListener({
      loadBalancerArn: arn,
      port: p[0],
      defaultActions: [{ type: 'forward', targetGroupArn: tg }],
    });
    await allHealthy(tg, 2);
    const echo = async (text: string) => {
      const socket = connect({ host: address, port: p[0] });
      await once(socket, 'connect');
      socket.end(text);
      let got = '';
      for await (const chunk of socket) got += chunk;
      return got;
    };
    await waitUntil(async () => (await echo('ping').catch(() => '')) === 'ping');
    expect(await echo('hello')).toBe('hello');
    for (const e of echoes) e.server.close();
  });
});
