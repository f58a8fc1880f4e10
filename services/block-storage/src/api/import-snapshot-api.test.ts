import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImportSnapshotTask } from '@nimbus/api/gen/nimbus/storage/v1/import_snapshot_pb';
import { refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSnapshotTaskRecord } from '../state/import-task-records.js';
import { storageKeys } from '../state/storage-keys.js';
import { accountA, useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

// Accounts import from this directory only (NIMBUS_IMPORT_ROOTS); `outside` is any other.
const images = join(tmpdir(), `nimbus-images-${randomUUID()}`);
let outside = '';
const bs = useBlockStorageUnderTest({ importRoots: [images] });
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

beforeAll(async () => {
  await mkdir(images, { recursive: true });
  outside = await mkdtemp(join(tmpdir(), 'nimbus-not-images-'));
});
afterAll(async () => {
  await rm(images, { recursive: true, force: true });
  if (outside) await rm(outside, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function sha256OfFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { end: bytes - 1, highWaterMark: 8 * MiB })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function task(id: string): Promise<ImportSnapshotTask | undefined> {
  return (await bs.client.describeImportSnapshotTasks({ importTaskIds: [id] })).importSnapshotTasks[0];
}

async function finished(id: string): Promise<ImportSnapshotTask> {
  return waitUntil(
    async () => {
      const t = await task(id);
      return t?.snapshotTaskDetail?.status === 'active' ? undefined : t;
    },
    { message: `${id} finished`, timeoutMs: 30_000 },
  );
}

async function taskCount(): Promise<number> {
  return (await bs.client.describeImportSnapshotTasks({})).importSnapshotTasks.length;
}

describe('ImportSnapshot', () => {
  it('reads a RAW image on this host into a completed snapshot that restores its exact bytes', async () => {
    // Not a multiple of the block size, with a hole in the middle.
    const image = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(2 * MiB), randomBytes(1234)]);
    const path = join(images, 'disk.raw');
    await writeFile(path, image);

    const started = await bs.client.importSnapshot({
      description: 'golden image',
      diskContainer: { format: 'raw', url: pathToFileURL(path).href, description: 'the disk' },
      tagSpecifications: [{ resourceType: 'import-snapshot-task', tags: [{ key: 'Name', value: 'golden' }] }],
    });
    expect(started.importTaskId).toMatch(/^import-snap-[0-9a-f]{17}$/);
    expect(started.snapshotTaskDetail).toMatchObject({
      status: 'active',
      snapshotId: '',
      diskImageSize: image.length,
      format: 'RAW',
      url: pathToFileURL(path).href,
    });

    const done = await finished(started.importTaskId);
    expect(done).toMatchObject({ description: 'golden image', tags: [{ key: 'Name', value: 'golden' }] });
    expect(done.snapshotTaskDetail).toMatchObject({ status: 'completed', description: 'the disk' });
    const snapshotId = done.snapshotTaskDetail?.snapshotId ?? '';
    expect(snapshotId).toMatch(/^snap-[0-9a-f]{17}$/);

    const [snapshot] = (await bs.client.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots;
    expect(snapshot).toMatchObject({
      state: 'completed',
      progress: '100%',
      ownerId: accountA,
      volumeSize: 1,
      volumeId: 'vol-ffffffff',
      description: 'golden image',
      fullSnapshotSizeInBytes: BigInt(3 * MiB + 1234),
    });
    expect(
      (await bs.otherAccount.describeImportSnapshotTasks({})).importSnapshotTasks.map((t) => t.importTaskId),
    ).not.toContain(started.importTaskId);

    const { volume } = await bs.client.createVolume({ availabilityZone: 'nimbus-1a', snapshotId });
    const volumeId = volume?.volumeId ?? '';
    await waitUntil(
      async () =>
        (await bs.client.describeVolumes({ volumeIds: [volumeId] })).volumes[0]?.state === 'available',
      { message: `${volumeId} restored` },
    );
    const hostPath = volume?.hostPath ?? '';
    expect(hostPath).toBe(join(bs.storageRoot, 'volumes', `${volumeId}.img`));
    expect((await stat(hostPath)).size).toBe(GiB);
    expect(await sha256OfFile(hostPath, image.length)).toBe(sha256(image));
  });

  it('answers a repeated client token with the first task, and refuses it with other arguments', async () => {
    const path = join(images, 'token.raw');
    await writeFile(path, randomBytes(MiB));
    const request = { diskContainer: { format: 'RAW', url: `file://${path}` }, clientToken: 'import-once' };
    const first = await bs.client.importSnapshot(request);
    const again = await bs.client.importSnapshot(request);
    expect(again.importTaskId).toBe(first.importTaskId);
    expect(await refusal(bs.client.importSnapshot({ ...request, description: 'other' }))).toMatchObject({
      code: 'IdempotentParameterMismatch',
    });
    expect((await finished(first.importTaskId)).snapshotTaskDetail?.status).toBe('completed');
  });

  it('refuses a bad url or format with InvalidParameter, and makes no task', async () => {
    const path = join(images, 'refused.raw');
    await writeFile(path, randomBytes(4096));
    await mkdir(join(images, 'a-directory'), { recursive: true });
    const before = await taskCount();
    const cases: [Parameters<typeof bs.client.importSnapshot>[0], string, RegExp][] = [
      [{}, 'MissingParameter', /DiskContainer/],
      [{ diskContainer: { format: 'RAW' } }, 'MissingParameter', /DiskContainer\.Url/],
      [{ diskContainer: { format: 'VMDK', url: `file://${path}` } }, 'InvalidParameter', /RAW images only/],
      [
        { diskContainer: { format: 'RAW', url: 'https://example.com/disk.raw' } },
        'InvalidParameter',
        /scheme 'https:'/,
      ],
      [
        { diskContainer: { format: 'RAW', url: 'file://relative/disk.raw' } },
        'InvalidParameter',
        /file:\/\/\/absolute\/path/,
      ],
      [{ diskContainer: { format: 'RAW', url: 'not a url' } }, 'InvalidParameter', /not a url/],
      [
        { diskContainer: { format: 'RAW', url: `file://${path}.missing` } },
        'InvalidParameter',
        /does not exist on the block-storage host/,
      ],
      [
        { diskContainer: { format: 'RAW', url: `file://${join(images, 'a-directory')}` } },
        'InvalidParameter',
        /not a regular file/,
      ],
      [
        {
          diskContainer: { format: 'RAW', url: `file://${path}` },
          tagSpecifications: [{ resourceType: 'snapshot', tags: [] }],
        },
        'InvalidParameterValue',
        /not a valid taggable resource type/,
      ],
    ];
    for (const [request, code, message] of cases) {
      const refused = await refusal(bs.client.importSnapshot(request));
      expect(refused.code, JSON.stringify(request)).toBe(code);
      expect(refused.message).toMatch(message);
    }
    expect(
      await refusal(
        bs.client.importSnapshot({ diskContainer: { format: 'RAW', url: `file://${path}` }, dryRun: true }),
      ),
    ).toMatchObject({
      code: 'DryRunOperation',
    });
    expect(await taskCount()).toBe(before);
    expect(
      await refusal(
        bs.client.describeImportSnapshotTasks({ importTaskIds: ['import-snap-0123456789abcdef0'] }),
      ),
    ).toMatchObject({
      code: 'InvalidConversionTaskId.NotFound',
    });
    expect(await refusal(bs.client.describeImportSnapshotTasks({ importTaskIds: ['snap-1'] }))).toMatchObject(
      {
        code: 'InvalidConversionTaskId.Malformed',
      },
    );
  });

  it('lets accounts import only from the import directories, and nobody import the volumes or blocks', async () => {
    const elsewhere = join(outside, 'elsewhere.raw');
    await writeFile(elsewhere, randomBytes(MiB));
    await symlink(elsewhere, join(images, 'link-out.raw'));
    const { volume } = await bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const raw = (path: string) => ({ diskContainer: { format: 'RAW', url: pathToFileURL(path).href } });

    for (const path of [elsewhere, join(images, 'link-out.raw'), '/etc/passwd']) {
      expect(await refusal(bs.client.importSnapshot(raw(path)))).toMatchObject({
        code: 'InvalidParameter',
        message: expect.stringMatching(
          /is not in an import directory; accounts import from .* only \(NIMBUS_IMPORT_ROOTS\)/,
        ),
      });
    }
    expect(await refusal(bs.client.importSnapshot(raw(volume?.hostPath ?? '')))).toMatchObject({
      code: 'InvalidParameter',
      message: expect.stringMatching(/lies in the block-storage data root/),
    });
    expect(
      await refusal(bs.asService.importSnapshot(raw(volume?.hostPath ?? ''), { accountId: accountA })),
    ).toMatchObject({
      code: 'InvalidParameter',
      message: expect.stringMatching(/lies in the block-storage data root/),
    });

    // A Nimbus service (the image service) imports from where it builds its images.
    const started = await bs.asService.importSnapshot(raw(elsewhere), { accountId: accountA });
    expect((await finished(started.importTaskId)).snapshotTaskDetail?.status).toBe('completed');
  });

  it('after a restart, completes an import left active and fails one whose image vanished, leaving no snapshot', async () => {
    const present = join(images, 'present.raw');
    const data = randomBytes(2 * MiB);
    await writeFile(present, data);
    const left = (name: string, path: string, size: number): ImportSnapshotTaskRecord => ({
      importTaskId: `import-snap-${name.padStart(17, '0')}`,
      ownerId: accountA,
      description: name,
      tags: [],
      status: 'active',
      statusMessage: 'converting',
      progress: '40',
      snapshotId: `snap-${name.padStart(17, '0')}`,
      diskDescription: '',
      format: 'RAW',
      url: pathToFileURL(path).href,
      path,
      diskImageSize: size,
      encrypted: false,
      startTime: new Date().toISOString(),
    });
    // As a process that died mid-import leaves them: active records, no snapshot.
    const resumed = left('a1', present, data.length);
    const vanished = left('b2', join(images, 'vanished.raw'), MiB);
    for (const t of [resumed, vanished]) {
      await bs.store.create(storageKeys.importTask(accountA, t.importTaskId), JSON.stringify(t));
    }
    await bs.restart();

    const ok = await finished(resumed.importTaskId);
    expect(ok.snapshotTaskDetail).toMatchObject({ status: 'completed', snapshotId: resumed.snapshotId });
    const [snapshot] = (await bs.client.describeSnapshots({ snapshotIds: [resumed.snapshotId] })).snapshots;
    expect(snapshot).toMatchObject({ state: 'completed', fullSnapshotSizeInBytes: BigInt(2 * MiB) });

    const failed = await finished(vanished.importTaskId);
    expect(failed.snapshotTaskDetail?.status).toBe('deleted');
    expect(failed.snapshotTaskDetail?.snapshotId).toBe('');
    expect(failed.snapshotTaskDetail?.statusMessage).toMatch(
      /^ClientError: The disk image file:\/\/.*vanished\.raw could not be read/,
    );
    expect(
      (
        await bs.client.describeSnapshots({
          filters: [{ name: 'snapshot-id', values: [vanished.snapshotId] }],
        })
      ).snapshots,
    ).toEqual([]);
  });
});
