/**
 * Makes the provided images (provided-image-catalog.ts) that the region lacks,
 * in the replica that leads the image controllers:
 *
 *   1. intent: `provided-builds/<name>` records the attempt before anything is made;
 *   2. disk image: `mke2fs -d` of the content into <work dir>/<name>.<attempt>.raw;
 *   3. ImportSnapshot (block storage, acting for the nimbus account) with the
 *      client token `<name>.<attempt>`, so that asking again after a crash
 *      finds the same task; its id goes into the intent;
 *   4. once the task has completed: the image record, its name and the
 *      removal of the intent in one transaction; then the disk image is removed.
 *
 * A restart resumes from whatever the intent says, so a crash at any point
 * leaves no half-made image: either the image exists (and nothing else
 * remains) or the intent does, and is carried on. An import that fails (block
 * storage leaves no snapshot then) is tried again as a new attempt. An image
 * whose name exists is never made again: start-up is idempotent.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { abortableDelay } from '@nimbus/controller';
import type { EventBus } from '@nimbus/events';
import type { Client } from '@nimbus/runtime';
import { createRecords, isApiError, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { publishImageStateChanged } from '../api/image-events.js';
import { defaultRootDeviceName } from '../domain/block-device-mappings.js';
import { IdPrefix, newId } from '../domain/ids.js';
import { ImageErrorCode } from '../domain/image-errors.js';
import { nimbusOwnerId } from '../domain/nimbus-owner.js';
import { imageKeys } from '../state/image-keys.js';
import type { ImageNameRecord, ImageRecord } from '../state/image-records.js';
import { createImage } from '../state/image-writes.js';
import { makeExt4Image } from './disk-image.js';
import {
  type ProvidedImage,
  providedContentDir,
  providedImageCatalog,
  providedImageName,
} from './provided-image-catalog.js';

/** A provided image being made: what a restart carries on from. */
export interface ProvidedBuildRecord {
  imageName: string;
  /** 1, 2, ...: a failed import starts a new attempt with a new disk image and token. */
  attempt: number;
  /** Set once ImportSnapshot answered. */
  importTaskId?: string;
}

export interface ProvidedImagesOptions {
  store: Store;
  bus: EventBus;
  storage: Client<typeof BlockStorageService>;
  logger: Logger;
  /** Where disk images wait for their import; block storage must be able to read it. */
  workDir: string;
  now: () => number;
  catalog?: readonly ProvidedImage[];
  /** Where a family's content is (default: the repository's services/image/provided). */
  contentDir?: (image: ProvidedImage) => string;
  /** How often an import task is looked at, ms. Default 250. */
  pollMs?: number;
}

export interface ProvidedImages {
  /** Makes every missing image; resolves when all exist or the signal aborts (errors are logged and retried). */
  ensure(signal: AbortSignal): Promise<void>;
}

const maxAttempts = 3;

export function createProvidedImages(options: ProvidedImagesOptions): ProvidedImages {
  const { store, storage, logger, workDir } = options;
  const catalog = options.catalog ?? providedImageCatalog;
  const contentDir = options.contentDir ?? providedContentDir;
  const pollMs = options.pollMs ?? 250;
  const names = createRecords<ImageNameRecord>(store);
  const builds = createRecords<ProvidedBuildRecord>(store);
  const acting = { accountId: nimbusOwnerId };

  const rawPath = (build: ProvidedBuildRecord) => join(workDir, `${build.imageName}.${build.attempt}.raw`);
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );

  /** The intent of this image, made if there is none. */
  const intentOf = async (imageName: string): Promise<Stored<ProvidedBuildRecord>> => {
    for (;;) {
      const current = await builds.get(imageKeys.providedBuild(imageName));
      if (current) return current;
      await builds.create(imageKeys.providedBuild(imageName), { imageName, attempt: 1 });
    }
  };

  /** Waits for the import task to finish: its snapshot, or undefined when it failed. */
  const importOutcome = async (taskId: string, signal: AbortSignal): Promise<string | undefined> => {
    for (;;) {
      signal.throwIfAborted();
      const { importSnapshotTasks } = await storage.describeImportSnapshotTasks(
        { importTaskIds: [taskId] },
        { ...acting, signal },
      );
      const detail = importSnapshotTasks[0]?.snapshotTaskDetail;
      if (detail?.status === 'completed' && detail.snapshotId) return detail.snapshotId;
      if (!detail || detail.status === 'deleted') {
        logger.warn({ importTaskId: taskId, reason: detail?.statusMessage }, 'provided image import failed');
        return undefined;
      }
      await abortableDelay(pollMs, signal);
    }
  };

  const register = async (image: ProvidedImage, build: Stored<ProvidedBuildRecord>, snapshotId: string) => {
    const { snapshots } = await storage.describeSnapshots({ snapshotIds: [snapshotId] }, acting);
    const volumeSize = snapshots[0]?.volumeSize ?? 1;
    const record: ImageRecord = {
      imageId: newId(IdPrefix.image),
      ownerId: nimbusOwnerId,
      name: build.value.imageName,
      description: image.description,
      state: 'available',
      architecture: 'x86_64',
      rootDeviceName: defaultRootDeviceName,
      virtualizationType: 'hvm',
      bootMode: '',
      enaSupport: true,
      blockDeviceMappings: [
        {
          deviceName: defaultRootDeviceName,
          ebs: {
            snapshotId,
            volumeSize,
            volumeType: 'gp2',
            deleteOnTermination: true,
            iops: 0,
            throughput: 0,
            encrypted: false,
          },
        },
      ],
      bootCommand: image.bootCommand,
      creationDate: new Date(options.now()).toISOString(),
      tags: [],
      launchPermission: { public: true, userIds: [] },
    };
    // The image and the end of its intent at once: a crash leaves one or the other.
    const created = await createImage(store, record, [
      { type: 'delete', key: build.key, expectedRevision: build.revision },
    ]);
    if (!created.ok) throw new Error(`provided image ${record.name}: its intent changed meanwhile`);
    await publishImageStateChanged(options.bus, logger, record, '', created.revision);
    logger.info({ imageId: record.imageId, name: record.name, snapshotId }, 'provided image registered');
  };

  const ensureOne = async (image: ProvidedImage, signal: AbortSignal): Promise<void> => {
    const imageName = providedImageName(image);
    if (await names.get(imageKeys.imageName(nimbusOwnerId, imageName))) return;
    for (;;) {
      signal.throwIfAborted();
      const build = await intentOf(imageName);
      if (build.value.attempt > maxAttempts) {
        throw new Error(
          `provided image ${imageName}: ${maxAttempts} imports failed; see the block-storage log`,
        );
      }
      let taskId = build.value.importTaskId;
      const raw = rawPath(build.value);
      if (!taskId) {
        if (!(await exists(raw))) {
          await mkdir(workDir, { recursive: true });
          await makeExt4Image(contentDir(image), raw, image.family);
        }
        const answer = await storage.importSnapshot(
          {
            description: `${imageName}: root volume of the provided image`,
            diskContainer: { format: 'RAW', url: pathToFileURL(raw).href },
            clientToken: `${imageName}.${build.value.attempt}`,
          },
          { ...acting, signal },
        );
        taskId = answer.importTaskId;
        if (!(await builds.update(build, { ...build.value, importTaskId: taskId }))) continue;
      }
      const snapshotId = await importOutcome(taskId, signal);
      const current = await builds.get(build.key);
      if (!current) continue;
      if (snapshotId) {
        try {
          await register(image, current, snapshotId);
        } catch (error) {
          // Someone registered the name first: the image exists, which is all that was wanted.
          if (!isApiError(error, ImageErrorCode.InvalidAmiNameDuplicate)) throw error;
        }
        await rm(raw, { force: true });
        return;
      }
      const next: ProvidedBuildRecord = { imageName, attempt: current.value.attempt + 1 };
      if (await builds.update(current, next)) await rm(raw, { force: true });
    }
  };

  /** Disk images no intent names any more (finished, or of an old attempt), and partial ones. */
  const sweepWorkDir = async () => {
    const intents = await builds.list(imageKeys.providedBuilds());
    const wanted = new Set(intents.map((b) => rawPath(b.value)));
    const entries = await readdir(workDir).catch(() => [] as string[]);
    for (const entry of entries) {
      const path = join(workDir, entry);
      if (!wanted.has(path)) await rm(path, { force: true });
    }
  };

  return {
    async ensure(signal) {
      let delayMs = 1_000;
      for (let remaining = [...catalog]; remaining.length > 0 && !signal.aborted; ) {
        await sweepWorkDir().catch((error: unknown) =>
          logger.warn({ err: error }, 'image work dir sweep failed'),
        );
        const failed: ProvidedImage[] = [];
        for (const image of remaining) {
          try {
            await ensureOne(image, signal);
          } catch (error) {
            if (signal.aborted) return;
            logger.error(
              { err: error, image: providedImageName(image), retryInMs: delayMs },
              'provided image not made yet',
            );
            failed.push(image);
          }
        }
        remaining = failed;
        if (remaining.length === 0) break;
        await abortableDelay(delayMs, signal).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, 60_000);
      }
      if (!signal.aborted) {
        await sweepWorkDir().catch((error: unknown) =>
          logger.warn({ err: error }, 'image work dir sweep failed'),
        );
      }
    },
  };
}
