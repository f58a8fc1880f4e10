/** The nimbus-minimal image's boot command, run as the worker runs it: `/bin/sh -c` in the root volume. */
import { spawn } from 'node:child_process';
import { waitUntil } from '@nimbus/testkit';
import { expect, it } from 'vitest';
import { providedContentDir, providedImageCatalog } from './provided-image-catalog.js';

it('prints its banner with the instance, stays up, and ends cleanly on SIGTERM', async () => {
  const minimal = providedImageCatalog.find((i) => i.family === 'nimbus-minimal');
  if (!minimal) throw new Error('nimbus-minimal is not in the catalog');
  let output = '';
  const child = spawn('/bin/sh', ['-c', minimal.bootCommand], {
    cwd: providedContentDir(minimal),
    env: {
      PATH: process.env.PATH ?? '',
      NIMBUS_INSTANCE_ID: 'i-0123456789abcdef0',
      NIMBUS_AVAILABILITY_ZONE: 'nimbus-1a',
      NIMBUS_PRIVATE_IP: '127.16.0.9',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  try {
    await waitUntil(() => output.includes('user data runs beside'), { message: `the banner: ${output}` });
    expect(output).toContain('Nimbus minimal 1.0.0');
    expect(output).toContain('instance i-0123456789abcdef0 in nimbus-1a, private IP 127.16.0.9');
    // Still up after its banner: it waits for the instance to stop.
    expect(child.exitCode).toBeNull();
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(output).toContain('shutting down');
});
