/**
 * The network service as its own process, as docker-compose or Helm start it:
 * configuration from the environment, refusal to start without it, a clean
 * exit when etcd is out of reach, fast failures and recovery when etcd goes
 * away and comes back while it runs, and a graceful SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { checkHealth, createClient, isRemoteError } from '@nimbus/runtime';
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

describe('network service process', () => {
  it('refuses to start without its configuration, naming every missing variable', async () => {
    const run = startMain({});
    expect(await run.exited).toBe(1);
    for (const variable of ['NIMBUS_STORE_ENDPOINTS', 'NIMBUS_BUS_SERVERS', 'NIMBUS_AUTH_TOKENS']) {
      expect(run.output.text).toContain(variable);
    }
  });

  it('refuses a malformed token list without echoing the token', async () => {
    const run = startMain({
      NIMBUS_STORE_ENDPOINTS: etcd.endpoint,
      NIMBUS_BUS_SERVERS: nats.endpoint,
      NIMBUS_AUTH_TOKENS: 'supersecrettoken=12',
    });
    expect(await run.exited).toBe(1);
    expect(run.output.text).toContain('NIMBUS_AUTH_TOKENS');
    expect(run.output.text).not.toContain('supersecrettoken');
  });

  it.each(['etcd', 'NATS'])(
    'exits 1 with a clear message, not a hang, when %s is out of reach at start',
    async (which) => {
      const nowhere = `127.0.0.1:${await freePort()}`;
      const started = Date.now();
      const run = startMain({
        NIMBUS_STORE_ENDPOINTS: which === 'etcd' ? `http://${nowhere}` : etcd.endpoint,
        NIMBUS_BUS_SERVERS: which === 'NATS' ? `nats://${nowhere}` : nats.endpoint,
        NIMBUS_AUTH_TOKENS: 't=111111111111',
      });
      expect(await run.exited).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.output.text).toContain(nowhere);
    },
  );

  it('serves, fails fast while etcd is down, recovers by itself, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const run = startMain({
      NIMBUS_STORE_ENDPOINTS: etcd.endpoint,
      NIMBUS_BUS_SERVERS: nats.endpoint,
      NIMBUS_AUTH_TOKENS: 'token-a=111111111111',
      NIMBUS_LISTEN: address,
    });
    await waitUntil(async () => (await checkHealth(address, '', { timeoutMs: 1_000 })) === 'SERVING', {
      timeoutMs: 30_000,
      message: `the network service to answer SERVING (log: ${run.output.text})`,
    });
    const client = createClient(NetworkService, address, { token: 'token-a' });
    try {
      await client.createKeyPair({ keyName: 'before', keyType: 'ed25519' });

      await etcd.stop();
      const started = Date.now();
      const failure = await client.describeKeyPairs({}).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isRemoteError(failure) && failure.code).toBe('ServiceUnavailable');
      expect(Date.now() - started).toBeLessThan(5_000);

      await etcd.start();
      await waitUntil(
        async () => (await client.describeKeyPairs({}).catch(() => undefined))?.keyPairs.length === 1,
        { timeoutMs: 20_000, message: 'calls to succeed again once etcd is back' },
      );
    } finally {
      client.close();
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
