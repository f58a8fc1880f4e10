/**
 * deploy/ensure-stream.mjs against a real 3-node NATS cluster on loopback:
 * the NIMBUS stream the services share ends up with three replicas, whether
 * the job makes it or a service made it first with one.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { freePort, NatsServer, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './service-packages.js';

const script = join(repoRoot, 'deploy', 'ensure-stream.mjs');

/** One server of a cluster: the testkit's nats-server with cluster and routes. */
class ClusterNats extends NatsServer {
  constructor(
    private readonly serverName: string,
    private readonly clusterPort: number,
    private readonly routes: string[],
  ) {
    super({ startTimeoutMs: 20_000 });
  }

  protected override args(): string[] {
    return [
      ...super.args(),
      '--server_name',
      this.serverName,
      '--cluster_name',
      'nimbus-test',
      '--cluster',
      `nats://127.0.0.1:${this.clusterPort}`,
      '--routes',
      this.routes.join(','),
    ];
  }
}

function ensureStream(servers: string, replicas: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script],
      {
        env: {
          PATH: process.env.PATH ?? '',
          NIMBUS_BUS_SERVERS: servers,
          NIMBUS_BUS_REPLICAS: String(replicas),
          NIMBUS_BUS_WAIT: '20',
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

/** The stream's replicas as a server's monitoring endpoint reports them (leader plus followers). */
async function replicasSeen(server: NatsServer): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${server.monitorPort}/jsz?streams=true`);
  const jsz = (await response.json()) as {
    account_details?: {
      stream_detail?: {
        name: string;
        config?: { num_replicas?: number };
        cluster?: { replicas?: unknown[] };
      }[];
    }[];
  };
  const stream = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === 'NIMBUS');
  if (!stream) return undefined;
  return (stream.cluster?.replicas?.length ?? 0) + 1;
}

describe('deploy/ensure-stream.mjs on a 3-node NATS cluster', () => {
  const servers: ClusterNats[] = [];
  let urls = '';

  beforeAll(async () => {
    const clusterPorts = [await freePort(), await freePort(), await freePort()];
    const routes = clusterPorts.map((port) => `nats://127.0.0.1:${port}`);
    for (const [index, port] of clusterPorts.entries()) {
      servers.push(new ClusterNats(`nats-${index + 1}`, port, routes));
    }
    await Promise.all(servers.map((server) => server.start()));
    urls = servers.map((server) => server.endpoint).join(',');
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });

  it('raises a stream a service made with one replica to three, and says so', async () => {
    const single = await ensureStream(urls, 1);
    expect(single.output).toContain('stream NIMBUS has 1 replica(s)');
    expect(single.code).toBe(0);
    const raised = await ensureStream(urls, 3);
    expect(raised.output).toContain('stream NIMBUS has 3 replica(s)');
    expect(raised.code).toBe(0);
    const first = servers[0];
    if (!first) throw new Error('no server');
    await waitUntil(async () => (await replicasSeen(first)) === 3, { timeoutMs: 15_000 });
  });

  it('refuses more replicas than JetStream allows', async () => {
    const result = await ensureStream(urls, 7);
    expect(result.code).toBe(1);
    expect(result.output).toContain('NIMBUS_BUS_REPLICAS must be 1 to 5');
  });
});
