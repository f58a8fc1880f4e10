/**
 * The HTTP data plane against HAProxy (Debian's, nbthread 1) and against a
 * minimal node:http pass-through proxy, in the same run, with the same load
 * generator (wrk, one thread, 16 connections, 3 s) and the same three
 * backends (one node process): requests per second, and the p99 latency each
 * adds over going to a backend directly. Each proxy is its own process with
 * one thread. Rounds rotate the order; figures are medians of the rounds.
 * As rates swing with whatever else the shared host runs, each proxy's CPU
 * time per request (user + system, from /proc) is reported too: it does not
 * depend on how much CPU the proxy got.
 *
 * Then failover: with checks every 2 s and 2 failures to go unhealthy on both
 * sides, one of three backends (each its own process) is killed while a client
 * loop sends requests; the figure is the time from the kill to the last
 * request that still went to it (the last failed answer), ours against HAProxy's.
 *
 * Needs wrk and haproxy on PATH (apt-get install wrk haproxy); says so and
 * reports nothing without them.
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/load-balancer/bench/http-data-plane.bench.ts
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, freePort, median, reportBench } from '@nimbus/testkit';

const ROUNDS = 5;
const FAILOVER_ROUNDS = 3;
const here = new URL('.', import.meta.url).pathname;
const backendIps = ['127.126.0.1', '127.126.0.2', '127.126.0.3'];
const proxyIps = { ours: '127.126.1.1', haproxy: '127.126.1.2', minimal: '127.126.1.3' } as const;
type Side = 'direct' | keyof typeof proxyIps;

const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'nimbus-lb-bench-'));
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGTERM', () => process.exit(1));

/** Starts a child and resolves with its first stdout line. */
async function start(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${err}`)));
  });
  return { child, line };
}

const nodeTs = (file: string) =>
  [process.execPath, ['--conditions=nimbus-source', '--import', 'tsx', join(here, file)]] as const;

function haproxyConfig(port: number, targets: string[], inter: string): string {
  return [
    'global',
    '  nbthread 1',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  option http-keep-alive',
    '  http-reuse always',
    'frontend fe',
    `  bind ${proxyIps.haproxy}:${port}`,
    '  option forwardfor',
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    '  option httpchk GET /health',
    ...targets.map((t, i) => `  server s${i} ${t} check inter ${inter} fall 2 rise 2`),
    '',
  ].join('\n');
}

async function startProxies(targets: string[], inter: string) {
  const ports = {
    ours: await freePort(proxyIps.ours),
    haproxy: await freePort(proxyIps.haproxy),
    minimal: await freePort(proxyIps.minimal),
  };
  const [cmd, args] = nodeTs('elb-proxy.ts');
  const ours = await start(cmd, [...args, proxyIps.ours, String(ports.ours), ...targets], {
    BENCH_INTERVAL_SECONDS: inter.replace('s', ''),
  });
  const minimal = await start(process.execPath, [
    join(here, 'minimal-proxy.mjs'),
    proxyIps.minimal,
    String(ports.minimal),
    ...targets,
  ]);
  const cfg = join(tmp, `haproxy-${ports.haproxy}.cfg`);
  writeFileSync(cfg, haproxyConfig(ports.haproxy, targets, inter));
  const haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'ignore' });
  children.push(haproxy);
  await waitHttp(proxyIps.haproxy, ports.haproxy);
  return {
    ports,
    pids: { ours: ours.child.pid ?? 0, haproxy: haproxy.pid ?? 0, minimal: minimal.child.pid ?? 0 },
    stop() {
      for (const c of [ours.child, minimal.child, haproxy]) c.kill('SIGKILL');
    },
  };
}

function getStatus(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

async function waitHttp(host: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await getStatus(host, port)) === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${host}:${port} does not answer`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  if (pid === 0) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function wrk(host: string, port: number): Promise<{ rps: number; p99: number }> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c16', '-d3s', '--latency', `http://${host}:${port}/`], (error, stdout) => {
      if (error) return reject(error);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
      if (!rps || !p99) return reject(new Error(`wrk said: ${stdout}`));
      resolve({ rps: Number(rps[1]), p99: ms(p99[1] ?? '0', p99[2] ?? 'ms') });
    });
  });
}

async function throughput() {
  const backends = await start(process.execPath, [join(here, 'backends.mjs'), ...backendIps]);
  const ports = JSON.parse(backends.line) as number[];
  const targets = backendIps.map((ip, i) => `${ip}:${ports[i]}`);
  const proxies = await startProxies(targets, '5s');
  const address: Record<Side, [string, number]> = {
    direct: [backendIps[0] as string, ports[0] as number],
    ours: [proxyIps.ours, proxies.ports.ours],
    haproxy: [proxyIps.haproxy, proxies.ports.haproxy],
    minimal: [proxyIps.minimal, proxies.ports.minimal],
  };
  const sides: Side[] = ['direct', 'ours', 'haproxy', 'minimal'];
  for (const side of sides) await waitHttp(...address[side]);
  const results: Record<Side, { rps: number[]; p99: number[]; cpuUs: number[] }> = {
    direct: { rps: [], p99: [], cpuUs: [] },
    ours: { rps: [], p99: [], cpuUs: [] },
    haproxy: { rps: [], p99: [], cpuUs: [] },
    minimal: { rps: [], p99: [], cpuUs: [] },
  };
  // One unmeasured run each first: the Node proxies' code is compiled under load.
  for (const side of sides) await wrk(...address[side]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + round) % sides.length] as Side;
      const pid = side === 'direct' ? 0 : proxies.pids[side];
      const before = cpuSeconds(pid);
      const r = await wrk(...address[side]);
      results[side].rps.push(r.rps);
      results[side].p99.push(r.p99);
      results[side].cpuUs.push(((cpuSeconds(pid) - before) * 1e6) / (r.rps * 3));
    }
  }
  proxies.stop();
  backends.child.kill('SIGKILL');
  const m = (side: Side) => ({
    rps: median(results[side].rps),
    p99: median(results[side].p99),
    cpuUs: median(results[side].cpuUs),
  });
  return { direct: m('direct'), ours: m('ours'), haproxy: m('haproxy'), minimal: m('minimal') };
}

/** Kills one backend while a loop sends requests through both proxies; ms from the kill to the last failed answer. */
async function failover(): Promise<{ ours: number; haproxy: number }> {
  const backends = await Promise.all(
    backendIps.map((ip) => start(process.execPath, [join(here, 'backends.mjs'), ip])),
  );
  const targets = backendIps.map(
    (ip, i) => `${ip}:${(JSON.parse(backends[i]?.line ?? '[0]') as number[])[0]}`,
  );
  const proxies = await startProxies(targets, '2s');
  await waitHttp(proxyIps.ours, proxies.ports.ours);
  // Let both sides see every backend healthy first (rise 2 at 2 s).
  await new Promise((r) => setTimeout(r, 4500));
  const killedAt = performance.now();
  backends[0]?.child.kill('SIGKILL');
  const lastFailure = { ours: 0, haproxy: 0 };
  const loop = async (side: 'ours' | 'haproxy') => {
    const host = proxyIps[side];
    const port = proxies.ports[side];
    while (performance.now() - killedAt < 7000) {
      const status = await getStatus(host, port);
      if (status !== 200) lastFailure[side] = performance.now() - killedAt;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all([loop('ours'), loop('haproxy')]);
  proxies.stop();
  for (const b of backends) b.child.kill('SIGKILL');
  return lastFailure;
}

if (!findOnPath('wrk') || !findOnPath('haproxy')) {
  console.error(
    'load-balancer bench: needs wrk and haproxy on PATH (apt-get install wrk haproxy); nothing measured',
  );
  process.exit(0);
}
const t = await throughput();
const fail = { ours: [] as number[], haproxy: [] as number[] };
for (let round = 0; round < FAILOVER_ROUNDS; round++) {
  const f = await failover();
  fail.ours.push(f.ours);
  fail.haproxy.push(f.haproxy);
}
const failOurs = median(fail.ours);
const failHaproxy = median(fail.haproxy);
reportBench({
  suite: 'load-balancer',
  rounds: ROUNDS,
  figures: [
    {
      name: 'http requests/s vs HAProxy (nbthread 1)',
      unit: 'req/s',
      value: t.ours.rps,
      baseline: t.haproxy.rps,
      baselineName: 'HAProxy 2.6, nbthread 1',
      goal: { minRatio: 0.4 },
    },
    {
      name: 'http requests/s vs minimal node:http proxy',
      unit: 'req/s',
      value: t.ours.rps,
      baseline: t.minimal.rps,
      baselineName: 'minimal node:http pass-through',
      goal: { minRatio: 0.75 },
    },
    {
      name: 'proxy CPU per request vs HAProxy',
      unit: 'us',
      value: t.ours.cpuUs,
      baseline: t.haproxy.cpuUs,
      baselineName: 'HAProxy, nbthread 1',
    },
    {
      name: 'proxy CPU per request vs minimal node:http proxy',
      unit: 'us',
      value: t.ours.cpuUs,
      baseline: t.minimal.cpuUs,
      baselineName: 'minimal node:http pass-through',
    },
    {
      name: 'added p99 latency vs HAProxy',
      unit: 'ms',
      value: t.ours.p99 - t.direct.p99,
      baseline: t.haproxy.p99 - t.direct.p99,
      baselineName: 'HAProxy added p99',
    },
    {
      name: 'added p99 latency vs minimal proxy',
      unit: 'ms',
      value: t.ours.p99 - t.direct.p99,
      baseline: t.minimal.p99 - t.direct.p99,
      baselineName: 'minimal proxy added p99',
    },
    {
      name: 'kill to last request sent to the dead target (checks 2 s, fall 2)',
      unit: 'ms',
      value: failOurs,
      baseline: failHaproxy,
      baselineName: 'HAProxy, same checks',
      goal: { max: failHaproxy + 500 },
    },
  ],
});
console.error(JSON.stringify({ throughput: t, failover: fail }));
cleanup();
process.exit(0);
