/**
 * The nimbus-web image's server, run directly as its boot command would run
 * it: `node server.mjs` in a directory standing for the root volume, on a
 * loopback address and a free port, with a metadata service of the test's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '@nimbus/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { providedContentDir } from './provided-image-catalog.js';

const serverFile = join(providedContentDir({ family: 'nimbus-web', version: '1.0.0' }), 'server.mjs');
const ip = '127.0.0.1';

let root = '';
let children: ChildProcess[] = [];
let imds: Server | undefined;
let imdsUrl = '';
let userData = '';
const token = 'test-token';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-web-root-'));
  // IMDSv2 with tokens required: a GET without the token is refused, so the server must ask for one.
  imds = createServer((request, response) => {
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      response.end(token);
      return;
    }
    if (request.headers['x-aws-ec2-metadata-token'] !== token) {
      response.writeHead(401).end();
      return;
    }
    const answers: Record<string, string> = {
      '/latest/meta-data/instance-id': 'i-0123456789abcdef0',
      '/latest/meta-data/placement/availability-zone': 'nimbus-1b',
      ...(userData ? { '/latest/user-data': userData } : {}),
    };
    const body = answers[request.url ?? ''];
    if (body === undefined) response.writeHead(404).end();
    else response.end(body);
  });
  await new Promise<void>((resolve) => imds?.listen(0, ip, resolve));
  imdsUrl = `http://${ip}:${(imds.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }
        }),
    ),
  );
  children = [];
  userData = '';
  await rm(join(root, 'nimbus-web.conf'), { force: true });
});

afterAll(async () => {
  await new Promise((resolve) => imds?.close(resolve));
  if (root) await rm(root, { recursive: true, force: true });
});

/** Starts the server as the boot command does and returns its base URL once it answers. */
async function startServer(env: Record<string, string> = {}): Promise<{ url: string; output: () => string }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [serverFile], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NIMBUS_PRIVATE_IP: ip,
      PORT: String(port),
      NIMBUS_INSTANCE_ID: 'i-00000000000000env',
      NIMBUS_AVAILABILITY_ZONE: 'nimbus-1a',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const url = `http://${ip}:${port}`;
  await waitUntil(() => output.includes('listening on'), {
    timeoutMs: 10_000,
    message: `nimbus-web up: ${output}`,
  });
  return { url, output: () => output };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text(), ms: performance.now() - started };
}

describe('nimbus-web', () => {
  it('answers / with the instance id and zone from the metadata service (IMDSv2), and /health', async () => {
    const { url } = await startServer({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl });
    expect(await get(`${url}/`)).toMatchObject({
      status: 200,
      body: `nimbus-web 1.0.0 on i-0123456789abcdef0 in nimbus-1b (${ip})\n`,
    });
    const json = await get(`${url}/`, { accept: 'application/json' });
    expect(JSON.parse(json.body)).toEqual({
      instanceId: 'i-0123456789abcdef0',
      availabilityZone: 'nimbus-1b',
      privateIp: ip,
      version: '1.0.0',
    });
    expect(await get(`${url}/health`)).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await get(`${url}/elsewhere`)).status).toBe(404);
  });

  it('falls back to the environment without a metadata service', async () => {
    const { url, output } = await startServer({
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://${ip}:${await freePort()}`,
    });
    expect((await get(`${url}/`)).body).toBe(
      `nimbus-web 1.0.0 on i-00000000000000env in nimbus-1a (${ip})\n`,
    );
    expect(output()).toContain('instance metadata unavailable');
    const plain = await startServer();
    expect((await get(`${plain.url}/`)).body).toContain('i-00000000000000env in nimbus-1a');
  });

  it('fails and mends through the control file it reads at every request', async () => {
    const { url } = await startServer();
    await writeFile(join(root, 'nimbus-web.conf'), '# broken on purpose\nNIMBUS_WEB_FAIL=503\n');
    expect((await get(`${url}/`)).status).toBe(503);
    expect((await get(`${url}/health`)).status).toBe(503);
    await writeFile(join(root, 'nimbus-web.conf'), 'NIMBUS_WEB_HEALTH_FAIL=true\n');
    expect((await get(`${url}/`)).status).toBe(200);
    expect((await get(`${url}/health`)).status).toBe(500);
    await rm(join(root, 'nimbus-web.conf'));
    expect((await get(`${url}/health`)).status).toBe(200);
  });

  it('is slow when told, measured against its own fast answers in the same run', async () => {
    const { url } = await startServer();
    const fast = await get(`${url}/`);
    await writeFile(join(root, 'nimbus-web.conf'), 'NIMBUS_WEB_DELAY_MS=400\n');
    const slow = await get(`${url}/health`);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(400);
    expect(fast.ms).toBeLessThan(slow.ms);
  });

  it('takes its settings from user data, which the control file overrides', async () => {
    userData = '#!/bin/sh\nexport NIMBUS_WEB_HEALTH_FAIL=503\necho started\n';
    const { url } = await startServer({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl });
    expect((await get(`${url}/health`)).status).toBe(503);
    expect((await get(`${url}/`)).status).toBe(200);
    await writeFile(join(root, 'nimbus-web.conf'), 'NIMBUS_WEB_HEALTH_FAIL=false\n');
    expect((await get(`${url}/health`)).status).toBe(200);
  });

  it('takes its settings from its environment too, and stops on SIGTERM', async () => {
    const { url } = await startServer({ NIMBUS_WEB_FAIL: 'true' });
    expect((await get(`${url}/`)).status).toBe(500);
    const child = children[0];
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
