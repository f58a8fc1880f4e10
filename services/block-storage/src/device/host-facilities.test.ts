import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIopsLimiter } from './iops-limiter.js';
import { attachLoopDevice, loopDevicesOf } from './loop-device.js';

const run = promisify(execFile);
let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-facilities-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a host without what the device library needs', () => {
  it('is told that attaching a volume needs root', async () => {
    const file = join(dir, 'volume.img');
    await writeFile(file, '');
    await truncate(file, 10 * 1024 * 1024);
    const script = join(dir, 'attach.ts');
    const library = fileURLToPath(new URL('./loop-device.ts', import.meta.url));
    await writeFile(
      script,
      `import('${library}').then((m) => m.attachLoopDevice('${file}')).then(
        () => console.log('attached'),
        (e) => console.log(e.name + ': ' + e.message),
      );`,
    );
    let answer: string;
    if (process.getuid?.() === 0) {
      // As root, the same call from an unprivileged user.
      await chmod(dir, 0o755);
      await chmod(file, 0o644);
      await chmod(script, 0o644);
      answer = (
        await run(process.execPath, ['--import', 'tsx', script], {
          uid: 65534,
          gid: 65534,
          cwd: process.cwd(),
        })
      ).stdout;
      expect(await loopDevicesOf(file)).toEqual([]);
    } else {
      answer = await attachLoopDevice(file).then(
        () => 'attached',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    }
    expect(answer).toMatch(/^DeviceFacilityMissingError: this host lacks root: losetup needs root/);
  });

  it('is told that a directory without blkio throttle files cannot enforce IOPS', async () => {
    await expect(
      createIopsLimiter({
        cgroup: dir,
        device: { major: 7, minor: 0 },
        volume: { volumeType: 'io1', size: 100, iops: 1000, throughput: 0 },
      }),
    ).rejects.toThrow(
      /lacks blkio cgroup \(v1\): .* is not a cgroup of the v1 blkio controller.*IOPS are not enforced/,
    );
  });
});
