/**
 * deploy/healthcheck.mjs, the image's health check, against a real gRPC
 * server: what Docker and compose see (its exit code) as the server's health changes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { createLogger, createServer, staticTokens } from '@nimbus/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './service-packages.js';

const script = join(repoRoot, 'deploy', 'healthcheck.mjs');

function probe(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      {
        env: { PATH: process.env.PATH ?? '', NIMBUS_HEALTHCHECK_TIMEOUT_MS: '2000', ...env },
        timeout: 15_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('deploy/healthcheck.mjs', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
  });

  async function serve() {
    const server = createServer({
      logger: createLogger({ service: 'healthcheck-test', level: 'silent' }),
      authenticator: staticTokens({}),
      services: [],
    });
    servers.push(server);
    const port = await server.listen('127.0.0.1', 0);
    return { server, port };
  }

  it('exits 0 while the server is SERVING, 1 once it is NOT_SERVING', async () => {
    const { server, port } = await serve();
    const serving = await probe([`127.0.0.1:${port}`]);
    expect(serving).toEqual({ code: 0, output: `healthcheck: 127.0.0.1:${port} (server): SERVING\n` });
    server.health.set('', 'NOT_SERVING');
    const notServing = await probe([`127.0.0.1:${port}`]);
    expect(notServing.code).toBe(1);
    expect(notServing.output).toContain('NOT_SERVING');
  });

  it("probes NIMBUS_LISTEN's port on loopback when given no address", async () => {
    const { port } = await serve();
    const result = await probe([], { NIMBUS_LISTEN: `0.0.0.0:${port}` });
    expect(result.code).toBe(0);
    const unset = await probe([], { NIMBUS_LISTEN: '127.0.0.1:0' });
    expect(unset.code).toBe(2);
    expect(unset.output).toContain('NIMBUS_LISTEN');
  });

  it('exits 1 when nothing answers', async () => {
    const { server, port } = await serve();
    await server.shutdown(0);
    servers.splice(0);
    const result = await probe([`127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
  });
});
