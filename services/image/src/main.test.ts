/**
 * The image service as its own process, as docker-compose or Helm start it:
 * refusal to start without the block-storage endpoint and the service token
 * it calls block storage with, then serving and a graceful SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { checkHealth, createClient } from '@nimbus/runtime';
import { type EtcdServer, freePort, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];

function startMain(env: Record<string, string>) {
  const output = { text: '' };
  const child = spawn(process.execPath, ['--conditions=nimbus-source', '--import', 'tsx', main], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', NIMBUS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk) => (output.text += String(chunk)));
  child.stderr?.on('data', (chunk) => (output.text += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

let etcd: EtcdServer;
let nats: NatsServer;
beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

describe('image service process', () => {
  it('refuses to start without the block-storage endpoint or the service token, naming them', async () => {
    const base = {
      NIMBUS_STORE_ENDPOINTS: etcd.endpoint,
      NIMBUS_BUS_SERVERS: nats.endpoint,
      NIMBUS_AUTH_TOKENS: 't=111111111111',
      NIMBUS_PROVIDED_IMAGES: 'false',
    };
    const noEndpoint = startMain({ ...base, NIMBUS_SERVICE_TOKEN: 'a-service-token-of-some-length' });
    expect(await noEndpoint.exited).toBe(1);
    expect(noEndpoint.output.text).toContain('NIMBUS_ENDPOINTS');
    expect(noEndpoint.output.text).toContain('block-storage');
    const noToken = startMain({
      ...base,
      NIMBUS_ENDPOINTS: JSON.stringify({ 'block-storage': '127.0.0.1:1' }),
    });
    expect(await noToken.exited).toBe(1);
    expect(noToken.output.text).toContain('NIMBUS_SERVICE_TOKEN');
  });

  it('serves and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = startMain({
      NIMBUS_STORE_ENDPOINTS: etcd.endpoint,
      NIMBUS_BUS_SERVERS: nats.endpoint,
      NIMBUS_AUTH_TOKENS: 't=111111111111',
      NIMBUS_LISTEN: `127.0.0.1:${port}`,
      NIMBUS_SERVICE_TOKEN: 'a-service-token-of-some-length',
      NIMBUS_ENDPOINTS: JSON.stringify({ 'block-storage': `127.0.0.1:${await freePort()}` }),
      NIMBUS_PROVIDED_IMAGES: 'false',
    });
    const address = `127.0.0.1:${port}`;
    await waitUntil(async () => (await checkHealth(address).catch(() => undefined)) === 'SERVING', {
      timeoutMs: 20_000,
      message: `the image service serving: ${run.output.text}`,
    });
    const client = createClient(ImageService, address, { token: 't' });
    try {
      expect((await client.describeImages({ owners: ['self'] })).images).toEqual([]);
    } finally {
      client.close();
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
