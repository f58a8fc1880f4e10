import { runCli } from '@nimbus/cli';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegionProcess, startRegionProcess } from './region-process.js';

let region: RegionProcess;
beforeAll(async () => {
  region = await startRegionProcess({ NIMBUS_BACKING: 'real' });
}, 120_000);
afterAll(async () => {
  await region?.dispose();
});

/** Runs `nimbus <args>` against the region; resolves with the exit code and what it printed. */
async function nimbus(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: { NIMBUS_HOME: region.home },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('network through the CLI against `pnpm start`', () => {
  it('creates, lists, refuses a duplicate of, and deletes a key pair', async () => {
    const created = await nimbus('create-key-pair', '--key-name', 'demo', '--key-type', 'ed25519');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out).keyMaterial).toContain('OPENSSH PRIVATE KEY');

    const table = await nimbus(
      'describe-key-pairs',
      '--filters',
      'Name=key-name,Values=dem*',
      '--output',
      'table',
    );
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/key-[0-9a-f]{17}\s+demo\s+/);

    const again = await nimbus('create-key-pair', '--key-name', 'demo');
    expect(again.code).toBe(254);
    expect(again.err).toContain(
      'An error occurred (InvalidKeyPair.Duplicate) when calling the CreateKeyPair operation',
    );

    expect((await nimbus('delete-key-pair', '--key-name', 'demo')).code).toBe(0);
    expect(JSON.parse((await nimbus('describe-key-pairs')).out).keyPairs ?? []).toEqual([]);
  });

  it('follows the events a change publishes, until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const following = runCli(['events', '--subject', 'nimbus.network.security-group.>'], {
      stdout: (text) => lines.push(text),
      stderr: (text) => lines.push(text),
      env: { NIMBUS_HOME: region.home },
      signal: stop.signal,
    });
    const group = JSON.parse(
      (await nimbus('create-security-group', '--group-name', 'followed', '--description', 'watched')).out,
    ) as { groupId: string };
    // The follower starts at new events: repeat the change until it has seen one (its consumer may start late).
    let attempts = 0;
    await waitUntil(
      async () => {
        const port = 8000 + attempts++;
        const permissions = [
          { ipProtocol: 'tcp', fromPort: port, toPort: port, ipRanges: [{ cidrIp: '127.0.0.0/8' }] },
        ];
        const authorized = await nimbus(
          'authorize-security-group-ingress',
          '--group-id',
          group.groupId,
          '--ip-permissions',
          JSON.stringify(permissions),
        );
        expect(authorized.err).toBe('');
        return lines.some((line) => line.includes(group.groupId));
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    stop.abort();
    expect(await following).toBe(0);
    const seen = JSON.parse(lines.find((line) => line.includes(group.groupId)) ?? '{}') as Record<
      string,
      string
    >;
    expect(seen).toMatchObject({
      subject: 'nimbus.network.security-group.rules-changed',
      resource: group.groupId,
    });
  });
});
