import type { Tag, TagSpecification } from '@nimbus/api/gen/nimbus/common/v1/common_pb';
import { invalidParameterValue } from './api-error.js';

export interface StoredTag {
  key: string;
  value: string;
}

const maxTags = 50;

/**
 * The tags a creating call gives a resource of `resourceType`: from its
 * TagSpecifications of that type; a specification for another type is
 * refused, as EC2 does.
 */
export function tagsFor(resourceType: string, specifications: readonly TagSpecification[]): StoredTag[] {
  const tags: StoredTag[] = [];
  for (const spec of specifications) {
    if (spec.resourceType !== resourceType) {
      throw invalidParameterValue(
        `'${spec.resourceType}' is not a valid taggable resource type for this operation.`,
      );
    }
    for (const tag of spec.tags) {
      if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) {
        throw invalidParameterValue(`Tag key must be 1-128 characters and value at most 256: '${tag.key}'`);
      }
      if (tag.key.toLowerCase().startsWith('aws:')) {
        throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
      }
      tags.push({ key: tag.key, value: tag.value });
    }
  }
  if (tags.length > maxTags) throw invalidParameterValue(`A resource can have at most ${maxTags} tags.`);
  return tags;
}

export function toTags(stored: readonly StoredTag[]): Pick<Tag, 'key' | 'value'>[] {
  return stored.map(({ key, value }) => ({ key, value }));
}
