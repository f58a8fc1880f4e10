import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';
import { createHaproxyEdge, haproxyUnusable } from './haproxy-edge.js';

// Addresses of this file only, so that other test files running at once do not meet them.
const privateIp = '127.16.78.10';
const publicIp = '127.64.78.5';

const rule = (port: number): SecurityGroupRule => ({
  securityGroupRuleId: 'sgr-0000000000000a001',
  isEgress: false,
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  cidrIpv4: '127.0.0.0/8',
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Whether a process runs (a zombie not yet reaped counts as gone). */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** The haproxy processes this one started (the masters; their workers are their children). */
function haproxyChildren(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8').trim();
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat) ?? [];
      const [state, ppid] = rest?.split(' ') ?? [];
      if (comm === 'haproxy' && state !== 'Z' && Number(ppid) === process.pid) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function startServer(): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen({ host: privateIp, port: 0 }, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function greeting(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: publicIp, port, localAddress: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      text += data;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

const reason = haproxyUnusable();
if (reason !== undefined) console.warn(`haproxy edge tests skipped: ${reason}`);

describe.skipIf(reason !== undefined)('HAProxy edge engine, its process', () => {
  it('does not wait for a haproxy that never answers: apply returns, the listener fails, the process is killed', async () => {
    // A stand-in binary that starts and says nothing, as a master stuck before "Loading success.".
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-edge-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'silent-haproxy');
    writeFileSync(binary, `#!/bin/sh\necho $$ >> '${dir}/pids'\nexec sleep 60\n`);
    chmodSync(binary, 0o755);
    const edge = createHaproxyEdge({ binary, loadTimeoutMs: 300, retryIntervalMs: 60_000 });
    cleanups.push(() => edge.close());

    const started = Date.now();
    await edge.apply([{ publicIp, privateIp, rules: [rule(41_871)] }]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(edge.listeners()).toEqual([
      {
        publicIp,
        port: 41_871,
        privateIp,
        state: 'failed',
        error: 'haproxy did not load within 300 ms',
      },
    ]);
    const pids = readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    expect(pids.length).toBeGreaterThan(0);
    await waitUntil(() => pids.every((pid) => !running(pid)), {
      timeoutMs: 2000,
      message: 'the silent process to be killed',
    });
  });

  it('starts a master that died again with the current table, and leaves no process after close', async () => {
    const port = await startServer();
    const edge = createHaproxyEdge({ retryIntervalMs: 100 });
    cleanups.push(() => edge.close());
    await edge.apply([{ publicIp, privateIp, rules: [rule(port)] }]);
    expect(await greeting(port)).toBe('hello\n');
    const [master, ...others] = haproxyChildren();
    expect(master).toBeDefined();
    expect(others).toEqual([]);

    process.kill(master as number, 'SIGKILL');
    await waitUntil(
      () => {
        const now = haproxyChildren();
        return now.length === 1 && now[0] !== master && edge.listeners()[0]?.state === 'listening';
      },
      { timeoutMs: 3000, message: 'a new master serving the table' },
    );
    expect(await greeting(port)).toBe('hello\n');

    const dir = readdirSync(tmpdir()).filter((name) => name.startsWith(`nimbus-edge-${process.pid}-`));
    await edge.close();
    expect(haproxyChildren()).toEqual([]);
    for (const name of dir) expect(existsSync(join(tmpdir(), name))).toBe(false);
  });
});
