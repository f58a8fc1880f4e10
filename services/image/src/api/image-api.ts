/**
 * RegisterImage, DescribeImages and DeregisterImage. An image is one record
 * under /nimbus/image/images/ plus its name in the per-owner name index,
 * written together; its snapshots belong to block storage, which RegisterImage
 * asks (acting for the caller) whether they are the caller's and completed.
 */
import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  createRecords,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
  tagsFor,
} from '@nimbus/service-kit';
import { defaultRootDeviceName, mappingsFromRequest, snapshotsOf } from '../domain/block-device-mappings.js';
import { IdPrefix, newId, requireImageId } from '../domain/ids.js';
import {
  architectureOf,
  bootModeOf,
  checkBootCommand,
  virtualizationTypeOf,
} from '../domain/image-attributes.js';
import { imageNotFound, notAuthorizedForImages } from '../domain/image-errors.js';
import { checkImageDescription, checkImageName, duplicateImageName } from '../domain/image-names.js';
import { canLaunch } from '../domain/launch-permissions.js';
import { imageKeys } from '../state/image-keys.js';
import { getOwnImage } from '../state/image-lookups.js';
import type { ImageNameRecord, ImageRecord } from '../state/image-records.js';
import { createImage, heldNameRevision, releaseNameOps } from '../state/image-writes.js';
import { checkedAgainstSnapshots } from '../state/snapshot-checks.js';
import { deleteSnapshot, snapshotsInUse } from '../state/snapshot-deletions.js';
import type { ApiDeps } from './api-deps.js';
import { publishImageStateChanged } from './image-events.js';
import { imageFilters } from './image-filters.js';
import { ownersMatcher } from './image-owners.js';
import { imageView } from './image-views.js';

type ImageApi = Pick<
  ServiceImpl<typeof ImageService>,
  'registerImage' | 'describeImages' | 'deregisterImage'
>;

export function createImageApi(deps: ApiDeps): ImageApi {
  const images = createRecords<ImageRecord>(deps.store);
  const names = createRecords<ImageNameRecord>(deps.store);

  const nameTaken = async (ownerId: string, name: string) => {
    const held = await names.get(imageKeys.imageName(ownerId, name));
    if (held) throw duplicateImageName(name, held.value.imageId);
  };

  return {
    async registerImage(request, context) {
      const { accountId } = context;
      checkImageName(request.name);
      checkImageDescription(request.description);
      const architecture = architectureOf(request.architecture);
      const virtualizationType = virtualizationTypeOf(request.virtualizationType);
      const bootMode = bootModeOf(request.bootMode);
      checkBootCommand(request.bootCommand);
      const tags = tagsFor('image', request.tagSpecifications);
      const rootDeviceName = request.rootDeviceName || defaultRootDeviceName;
      const requested = mappingsFromRequest(rootDeviceName, request.blockDeviceMappings);
      const blockDeviceMappings = await checkedAgainstSnapshots(
        deps.storage,
        accountId,
        requested,
        context.signal,
      );
      await nameTaken(accountId, request.name);
      if (request.dryRun) throw dryRunOperation();

      for (let attempt = 0; ; attempt++) {
        const image: ImageRecord = {
          imageId: newId(IdPrefix.image),
          ownerId: accountId,
          name: request.name,
          description: request.description,
          state: 'available',
          architecture,
          rootDeviceName,
          virtualizationType,
          bootMode,
          enaSupport: request.enaSupport,
          blockDeviceMappings,
          bootCommand: request.bootCommand,
          creationDate: new Date(deps.now()).toISOString(),
          tags,
          launchPermission: { public: false, userIds: [] },
        };
        const created = await createImage(deps.store, image);
        if (created.ok) {
          await publishImageStateChanged(
            deps.bus,
            context.logger,
            image,
            '',
            created.revision,
            context.requestId,
          );
          return { imageId: image.imageId };
        }
        // Only an id collision is left (68 random bits): draw again.
        if (attempt >= 3) throw new Error(`image ${image.imageId} could not be recorded`);
      }
    },

    async describeImages(request, context) {
      const { accountId } = context;
      checkIdsWithoutMaxResults('ImageIds', request.imageIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      for (const id of request.imageIds) requireImageId(id, 'ImageId');
      const ownerMatches = ownersMatcher(request.owners, request.executableUsers, accountId);
      const matches = compileFilters(request.filters, imageFilters, {
        tags: (i) => (i.ownerId === accountId ? i.tags : []),
      });
      if (request.dryRun) throw dryRunOperation();

      const named = new Set(request.imageIds);
      // By id (how compute resolves an image for a launch): a read per id, not a listing.
      const all =
        named.size > 0
          ? (await Promise.all([...named].sort().map((id) => images.get(imageKeys.image(id))))).flatMap(
              (r) => (r ? [r.value] : []),
            )
          : (await images.list(imageKeys.images())).map((r) => r.value);
      if (named.size > 0) {
        const byId = new Map(all.map((i) => [i.imageId, i]));
        const missing = [...named].filter((id) => !byId.has(id));
        // A launching service (compute, acting for the caller) learns that an
        // image exists but is not the caller's to launch, so that RunInstances
        // answers AuthFailure as EC2 does; an account calling for itself sees
        // only what it may launch.
        const forbidden = [...named].filter((id) => {
          const image = byId.get(id);
          return image !== undefined && !canLaunch(image, accountId);
        });
        if (forbidden.length > 0 && context.service && missing.length === 0) {
          throw notAuthorizedForImages(forbidden);
        }
        if (missing.length + forbidden.length > 0) throw imageNotFound([...missing, ...forbidden]);
      }
      const selected = all.filter(
        (i) =>
          canLaunch(i, accountId) &&
          // Nimbus: a deregistered image shows (as such) only when asked for by id, until its tombstone goes.
          (named.size > 0 ? named.has(i.imageId) : i.state !== 'deregistered') &&
          ownerMatches(i) &&
          matches(i),
      );
      const page = pageOf(selected, (i) => i.imageId, { nextToken: request.nextToken, pageSize });
      return { images: page.items.map((i) => imageView(i, accountId)), nextToken: page.nextToken };
    },

    async deregisterImage(request, context) {
      const { accountId } = context;
      await getOwnImage(images, accountId, request.imageId);
      if (request.dryRun) throw dryRunOperation();

      let deregistered: { image: ImageRecord; revision: number; previousState: string; associated: string[] };
      for (;;) {
        const current = await getOwnImage(images, accountId, request.imageId);
        const image = current.value;
        const associated = request.deleteAssociatedSnapshots ? snapshotsOf(image.blockDeviceMappings) : [];
        // A copy still being made leaves snapshots nobody asked for: they go too.
        const copied = image.copy?.snapshots.flatMap((s) => (s.snapshotId ? [s.snapshotId] : [])) ?? [];
        const next: ImageRecord = {
          ...image,
          state: 'deregistered',
          deregisteredAt: new Date(deps.now()).toISOString(),
          snapshotsToDelete: [...new Set([...associated, ...copied, ...(image.snapshotsToDelete ?? [])])],
        };
        const nameRevision = await heldNameRevision(deps.store, image);
        const result = await deps.store.txn([
          {
            type: 'update',
            key: current.key,
            value: JSON.stringify(next),
            expectedRevision: current.revision,
          },
          ...(nameRevision === undefined ? [] : releaseNameOps(image, nameRevision)),
        ]);
        if (result.ok) {
          deregistered = { image: next, revision: result.revision, previousState: image.state, associated };
          break;
        }
      }
      await publishImageStateChanged(
        deps.bus,
        context.logger,
        deregistered.image,
        deregistered.previousState,
        deregistered.revision,
        context.requestId,
      );
      const inUse =
        deregistered.associated.length > 0
          ? await snapshotsInUse(images, request.imageId)
          : new Set<string>();
      const results = [];
      for (const snapshotId of deregistered.associated) {
        const outcome = await deleteSnapshot(deps.storage, accountId, snapshotId, inUse).catch(
          () => 'retry' as const,
        );
        results.push({ snapshotId, returnCode: outcome === 'retry' ? 'internal-error' : outcome });
      }
      // What is left (copies in flight, passing failures) is the image controller's: it sees the record change.
      return { return: true, deleteSnapshotResults: results };
    },
  };
}
