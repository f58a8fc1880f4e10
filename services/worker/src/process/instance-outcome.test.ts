import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceOutcome } from './instance-outcome.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-outcome-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withStatus(text: string): Promise<string> {
  const file = join(dir, `exit-${Math.random()}`);
  await writeFile(file, text);
  return file;
}

describe('how an instance ended', () => {
  it('reads the boot process status the init wrote: 0 is a shutdown, others crashes, above 128 a signal', async () => {
    expect(await instanceOutcome(await withStatus('0\n'))).toMatchObject({
      phase: 'exited',
      exit: { code: 0 },
    });
    expect(await instanceOutcome(await withStatus('3\n'))).toMatchObject({
      phase: 'crashed',
      exit: { code: 3, reason: 'the boot process exited with status 3' },
    });
    expect(await instanceOutcome(await withStatus('137\n'))).toMatchObject({
      phase: 'crashed',
      exit: { signal: 'SIGKILL', reason: 'the boot process was killed by SIGKILL' },
    });
    expect(await instanceOutcome(await withStatus('125\n'))).toMatchObject({
      phase: 'crashed',
      exit: { reason: 'the instance could not join its cgroups' },
    });
  });

  it('without the file, takes what the kernel said of the init, else says the status is unknown', async () => {
    const missing = join(dir, 'none');
    expect(await instanceOutcome(missing, { code: 0, signal: null })).toMatchObject({ phase: 'exited' });
    expect(await instanceOutcome(missing, { code: null, signal: 'SIGKILL' })).toMatchObject({
      phase: 'crashed',
      exit: { signal: 'SIGKILL', reason: "the instance's init was killed by SIGKILL" },
    });
    expect(await instanceOutcome(missing)).toMatchObject({
      phase: 'crashed',
      exit: { reason: expect.stringContaining('exit status is unknown') },
    });
  });
});
