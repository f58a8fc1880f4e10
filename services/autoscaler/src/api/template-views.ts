/** Launch template records as the API shows them. */

import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type {
  LaunchTemplateSchema,
  LaunchTemplateVersionSchema,
} from '@nimbus/api/gen/nimbus/autoscaling/v1/launch_template_pb';
import { toTags } from '@nimbus/service-kit';
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord } from '../state/template-records.js';
import { decodeData } from '../state/template-store.js';

const createdBy = (accountId: string) => `arn:aws:iam::${accountId}:root`;

export function templateView(t: LaunchTemplateRecord): MessageInitShape<typeof LaunchTemplateSchema> {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    createTime: timestampFromMs(t.createTime),
    createdBy: createdBy(t.accountId),
    defaultVersionNumber: BigInt(t.defaultVersion),
    latestVersionNumber: BigInt(t.latestVersion),
    tags: toTags(t.tags),
  };
}

export function versionView(
  t: LaunchTemplateRecord,
  v: LaunchTemplateVersionRecord,
): MessageInitShape<typeof LaunchTemplateVersionSchema> {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    versionNumber: BigInt(v.versionNumber),
    versionDescription: v.versionDescription,
    createTime: timestampFromMs(v.createTime),
    createdBy: createdBy(t.accountId),
    defaultVersion: t.defaultVersion === v.versionNumber,
    launchTemplateData: decodeData(v.data),
  };
}
