import { runCli } from '@nimbus/cli';
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
});
