/**
 * Writing images with their name index in one transaction, so that a name
 * is never taken by an image that does not exist, nor an image left without
 * its name (also when the process dies between two writes: there are none).
 */
import type { Store, TxnOp } from '@nimbus/store';
import { duplicateImageName } from '../domain/image-names.js';
import { imageKeys } from './image-keys.js';
import type { ImageNameRecord, ImageRecord } from './image-records.js';

export type CreateImageResult = { ok: true; revision: number } | { ok: false; failedKey: string };

/**
 * Creates the image and claims its name, plus `extra` operations in the same
 * transaction. A taken name is InvalidAMIName.Duplicate; another failed
 * precondition is returned for the caller to decide.
 */
export async function createImage(
  store: Store,
  image: ImageRecord,
  extra: TxnOp[] = [],
): Promise<CreateImageResult> {
  const nameKey = imageKeys.imageName(image.ownerId, image.name);
  const result = await store.txn([
    { type: 'create', key: imageKeys.image(image.imageId), value: JSON.stringify(image) },
    {
      type: 'create',
      key: nameKey,
      value: JSON.stringify({ imageId: image.imageId } satisfies ImageNameRecord),
    },
    ...extra,
  ]);
  if (result.ok) return result;
  if (result.failedKey === nameKey) {
    const holder = await store.get(nameKey);
    const imageId = holder ? (JSON.parse(holder.value) as ImageNameRecord).imageId : 'another image';
    throw duplicateImageName(image.name, imageId);
  }
  return result;
}

/** The operations that release an image's name (when it is deregistered or removed). */
export function releaseNameOps(image: ImageRecord, nameRevision: number): TxnOp[] {
  return [
    { type: 'delete', key: imageKeys.imageName(image.ownerId, image.name), expectedRevision: nameRevision },
  ];
}

/** The current revision of the image's name record, if the name is still held by this image. */
export async function heldNameRevision(store: Store, image: ImageRecord): Promise<number | undefined> {
  const kv = await store.get(imageKeys.imageName(image.ownerId, image.name));
  if (!kv) return undefined;
  return (JSON.parse(kv.value) as ImageNameRecord).imageId === image.imageId ? kv.modRevision : undefined;
}
