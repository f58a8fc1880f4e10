import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdServer } from './etcd-server.js';
import { NatsServer } from './nats-server.js';
import { waitUntil } from './wait-until.js';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('real servers', () => {
  const servers: { dispose(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.dispose()));
  });

  it('starts etcd on a free loopback port, stops it, and restarts it on the same port', async () => {
    const etcd = new EtcdServer();
    servers.push(etcd);
    await etcd.start();
    const health = await fetch(`${etcd.endpoint}/health`);
    expect(await health.json()).toMatchObject({ health: 'true' });
    await etcd.stop();
    expect(await canConnect(etcd.clientPort)).toBe(false);
    await etcd.start();
    expect(await canConnect(etcd.clientPort)).toBe(true);
  });

  it('starts nats-server with JetStream enabled', async () => {
    const nats = new NatsServer();
    servers.push(nats);
    await nats.start();
    const response = await fetch(`http://127.0.0.1:${nats.monitorPort}/jsz`);
    const jsz = (await response.json()) as { config?: { store_dir?: string } };
    expect(jsz.config?.store_dir).toContain(nats.dataDir);
    expect(await canConnect(nats.port)).toBe(true);
  });

  it('takes its server with it when the test process is killed outright', async () => {
    // A test process (here a child node) that starts NATS, says its port, and is then killed with SIGKILL.
    const script = `import { startNats } from ${JSON.stringify(new URL('./nats-server.ts', import.meta.url).pathname)};
      const nats = await startNats(); console.log(nats.port, nats.dataDir); setInterval(() => {}, 1000);`;
    const owner = spawn(
      process.execPath,
      ['--conditions=nimbus-source', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [port, dataDir] = await new Promise<[number, string]>((resolve, reject) => {
      owner.stdout?.once('data', (chunk: Buffer) => {
        const [said, dir] = chunk.toString().trim().split(' ');
        resolve([Number(said), dir ?? '']);
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
    });
    expect(await canConnect(port)).toBe(true);
    owner.kill('SIGKILL');
    await waitUntil(async () => !(await canConnect(port)), { message: 'NATS gone with its owner' });
    if (dataDir.includes('nimbus-nats-server-')) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts NATS on fresh ports when another process took its port first', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    let allocations = 0;
    class UnluckyNats extends NatsServer {
      protected override async allocate(): Promise<void> {
        await super.allocate();
        allocations += 1;
        if (allocations === 1) this.port = taken;
      }
    }
    const nats = new UnluckyNats();
    servers.push(nats);
    try {
      await nats.start();
      expect(allocations).toBe(2);
      expect(nats.port).not.toBe(taken);
      expect(await canConnect(nats.port)).toBe(true);
    } finally {
      squatter.close();
    }
  });
});

describe('waitUntil', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitUntil(() => (++calls >= 3 ? `after ${calls}` : false), { intervalMs: 1 });
    expect(value).toBe('after 3');
  });

  it('fails with the awaited thing and the last error when the deadline passes', async () => {
    await expect(
      waitUntil(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 5, message: 'the moon' },
      ),
    ).rejects.toThrow(/the moon: last error: not yet/);
  });
});
