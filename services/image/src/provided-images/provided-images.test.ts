/**
 * The provided images, made at start from the repository's content through
 * block storage's ImportSnapshot: what the region shows, what the root
 * volume holds, and that making them is idempotent and survives a crash at
 * each step.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Image } from '@nimbus/api/gen/nimbus/image/v1/image_pb';
import { createLogger } from '@nimbus/runtime';
import { createRecords, errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nimbusOwnerId } from '../domain/nimbus-owner.js';
import { imageKeys } from '../state/image-keys.js';
import { useImageUnderTest } from '../testing/image-under-test.js';
import { makeExt4Image } from './disk-image.js';
import { type ProvidedImage, providedContentDir } from './provided-image-catalog.js';
import { createProvidedImages, type ProvidedBuildRecord } from './provided-images.js';

const run = promisify(execFile);
let readyCount = 0;
const img = useImageUnderTest({
  providedImages: true,
  onProvidedImagesReady: () => {
    readyCount += 1;
  },
});
const asNimbus = { accountId: nimbusOwnerId };

const providedNow = async (): Promise<Image[]> =>
  (await img.client.describeImages({ owners: ['nimbus'] })).images.filter((i) => i.state === 'available');
const nimbusSnapshots = async () =>
  (await img.storageAsService.describeSnapshots({ ownerIds: ['self'] }, asNimbus)).snapshots.map(
    (s) => s.snapshotId,
  );

/** A file of a snapshot's ext4 root, read without mounting (debugfs from e2fsprogs, like mke2fs). */
async function fileInSnapshot(snapshotId: string, path: string): Promise<string> {
  const { volume } = await img.storageAsService.createVolume(
    { availabilityZone: 'nimbus-1a', snapshotId },
    asNimbus,
  );
  const volumeId = volume?.volumeId ?? '';
  try {
    const ready = await waitUntil(async () => {
      const found = (await img.storageAsService.describeVolumes({ volumeIds: [volumeId] }, asNimbus))
        .volumes[0];
      return found?.state === 'available' ? found : undefined;
    });
    const { stdout } = await run('debugfs', ['-R', `cat ${path}`, ready.hostPath], {
      maxBuffer: 16 * 1024 ** 2,
    });
    return stdout;
  } finally {
    await img.storageAsService.deleteVolume({ volumeId }, asNimbus);
  }
}

describe('at start', () => {
  it('makes nimbus-minimal and nimbus-web, public, owned by the alias nimbus, with their boot commands', async () => {
    const images = await waitUntil(
      async () => {
        const found = await providedNow();
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 30_000, message: 'the provided images' },
    );
    expect(images.map((i) => i.name).sort()).toEqual(['nimbus-minimal-1.0.0', 'nimbus-web-1.0.0']);
    for (const image of images) {
      expect(image).toMatchObject({
        ownerId: nimbusOwnerId,
        imageOwnerAlias: 'nimbus',
        public: true,
        rootDeviceName: '/dev/xvda',
        imageLocation: `nimbus/${image.name}`,
      });
      expect(image.blockDeviceMappings[0]?.ebs?.volumeSize).toBe(1);
    }
    const web = images.find((i) => i.name === 'nimbus-web-1.0.0');
    expect(web?.bootCommand).toBe('exec node ./server.mjs');
    // Another account launches it too: a launching service acting for it gets the image.
    const forB = await img.asService.describeImages(
      { imageIds: [web?.imageId ?? ''] },
      { accountId: '222222222222' },
    );
    expect(forB.images[0]?.blockDeviceMappings[0]?.ebs?.snapshotId).toBe(
      web?.blockDeviceMappings[0]?.ebs?.snapshotId,
    );
    // The root volume holds the repository's files.
    const server = await fileInSnapshot(web?.blockDeviceMappings[0]?.ebs?.snapshotId ?? '', '/server.mjs');
    const webDir = providedContentDir({ family: 'nimbus-web', version: '1.0.0' });
    expect(server).toBe(await readFile(join(webDir, 'server.mjs'), 'utf8'));
    // Users cannot change them.
    expect(await errorCode(img.client.deregisterImage({ imageId: web?.imageId ?? '' }))).toBe('AuthFailure');
  });

  it('does not make them again after a restart, and leaves no disk image behind', async () => {
    const before = (await providedNow()).map((i) => i.imageId).sort();
    const snapshots = (await nimbusSnapshots()).sort();
    const readyBefore = readyCount;
    await img.restart();
    await waitUntil(() => readyCount > readyBefore, {
      timeoutMs: 30_000,
      message: 'the restarted service ready',
    });
    expect(await readdir(img.workDir)).toEqual([]);
    expect((await providedNow()).map((i) => i.imageId).sort()).toEqual(before);
    expect((await nimbusSnapshots()).sort()).toEqual(snapshots);
  });
});

describe('making provided images', () => {
  let work = '';
  let content = '';
  const logger = createLogger({ service: 'provided-test', level: 'silent' });
  const builds = () => createRecords<ProvidedBuildRecord>(img.store);
  const image = (version: string): ProvidedImage => ({
    family: 'test-web',
    version,
    description: `test ${version}`,
    bootCommand: 'exec node ./server.mjs',
  });
  const maker = (catalog: ProvidedImage[]) =>
    createProvidedImages({
      store: img.store,
      bus: img.bus,
      storage: img.storageAsService,
      logger,
      workDir: work,
      now: Date.now,
      catalog,
      contentDir: (i) => join(content, i.version),
      pollMs: 20,
    });
  const byName = async (name: string) =>
    (await img.client.describeImages({ owners: ['nimbus'], filters: [{ name: 'name', values: [name] }] }))
      .images;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'nimbus-provided-work-'));
    content = await mkdtemp(join(tmpdir(), 'nimbus-provided-content-'));
    for (const version of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) {
      await mkdir(join(content, version));
      await writeFile(join(content, version, 'version.txt'), `${version}\n`);
    }
  });
  afterAll(async () => {
    for (const dir of [work, content]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is idempotent, and a new version is a new image beside the old one', async () => {
    const signal = new AbortController().signal;
    await maker([image('1.0.0')]).ensure(signal);
    const [first] = await byName('test-web-1.0.0');
    await maker([image('1.0.0')]).ensure(signal);
    expect((await byName('test-web-1.0.0')).map((i) => i.imageId)).toEqual([first?.imageId]);
    await maker([image('1.0.0'), image('1.1.0')]).ensure(signal);
    const [second] = await byName('test-web-1.1.0');
    expect(second?.imageId).toMatch(/^ami-/);
    expect(second?.imageId).not.toBe(first?.imageId);
    expect(await fileInSnapshot(second?.blockDeviceMappings[0]?.ebs?.snapshotId ?? '', '/version.txt')).toBe(
      '1.1.0\n',
    );
    expect(await readdir(work)).toEqual([]);
  });

  it('carries on after a crash that left the import started: the same task, no second snapshot', async () => {
    // What a process that died after ImportSnapshot had answered leaves: the intent naming the task.
    const raw = join(work, 'test-web-1.2.0.1.raw');
    await makeExt4Image(join(content, '1.2.0'), raw, 'test-web');
    const { importTaskId } = await img.storageAsService.importSnapshot(
      { diskContainer: { format: 'RAW', url: pathToFileURL(raw).href }, clientToken: 'test-web-1.2.0.1' },
      asNimbus,
    );
    await builds().create(imageKeys.providedBuild('test-web-1.2.0'), {
      imageName: 'test-web-1.2.0',
      attempt: 1,
      importTaskId,
    });
    const snapshotsBefore = (await nimbusSnapshots()).length;
    await maker([image('1.2.0')]).ensure(new AbortController().signal);
    const [made] = await byName('test-web-1.2.0');
    const tasks = await img.storageAsService.describeImportSnapshotTasks(
      { importTaskIds: [importTaskId] },
      asNimbus,
    );
    expect(made?.blockDeviceMappings[0]?.ebs?.snapshotId).toBe(
      tasks.importSnapshotTasks[0]?.snapshotTaskDetail?.snapshotId,
    );
    expect((await nimbusSnapshots()).length).toBe(snapshotsBefore + 1);
    expect(await builds().get(imageKeys.providedBuild('test-web-1.2.0'))).toBeUndefined();
    expect(await readdir(work)).toEqual([]);
  });

  it('carries on after a crash that left only the intent and a partial disk image', async () => {
    await builds().create(imageKeys.providedBuild('test-web-1.3.0'), {
      imageName: 'test-web-1.3.0',
      attempt: 1,
    });
    await writeFile(join(work, 'test-web-1.3.0.1.raw.partial-99999'), 'half a disk');
    await maker([image('1.3.0')]).ensure(new AbortController().signal);
    const [made] = await byName('test-web-1.3.0');
    expect(made?.state).toBe('available');
    expect(await fileInSnapshot(made?.blockDeviceMappings[0]?.ebs?.snapshotId ?? '', '/version.txt')).toBe(
      '1.3.0\n',
    );
    expect(await readdir(work)).toEqual([]);
  });
});
