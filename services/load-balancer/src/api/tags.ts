/** ELBv2 tags: up to 50 per resource, keys 1-128 characters, values up to 256, no `aws:` keys. */
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import type { TagRecord } from '../state/records.js';

export const maxTagsPerResource = 50;

export function checkTags(tags: readonly { key: string; value: string }[]): TagRecord[] {
  const keys = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length === 0 || key.length > 128)
      throw validationError(`Tag key '${key}' must be 1-128 characters`);
    if (value.length > 256) throw validationError(`The value of tag '${key}' must be at most 256 characters`);
    if (key.toLowerCase().startsWith('aws:'))
      throw validationError(`Tag key '${key}' cannot start with 'aws:'`);
    if (keys.has(key)) throw new ElbError(ElbErrorCode.duplicateTagKeys, `Tag key '${key}' is given twice`);
    keys.add(key);
  }
  if (tags.length > maxTagsPerResource) {
    throw new ElbError(ElbErrorCode.tooManyTags, `A resource can have at most ${maxTagsPerResource} tags`);
  }
  return tags.map(({ key, value }) => ({ key, value }));
}

/** `current` with `added` set, key by key. */
export function mergeTags(current: readonly TagRecord[], added: readonly TagRecord[]): TagRecord[] {
  const merged = new Map(current.map((t) => [t.key, t.value]));
  for (const t of added) merged.set(t.key, t.value);
  if (merged.size > maxTagsPerResource) {
    throw new ElbError(ElbErrorCode.tooManyTags, `A resource can have at most ${maxTagsPerResource} tags`);
  }
  return [...merged].map(([key, value]) => ({ key, value }));
}
