/** Launch templates and their versions as stored. */

import type { JsonValue } from '@bufbuild/protobuf';
import type { StoredTag } from '@nimbus/service-kit';

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  launchTemplateName: string;
  accountId: string;
  createTime: number;
  defaultVersion: number;
  latestVersion: number;
  tags: StoredTag[];
}

export interface LaunchTemplateVersionRecord {
  launchTemplateId: string;
  versionNumber: number;
  versionDescription: string;
  createTime: number;
  /** The LaunchTemplateData message in protobuf's JSON form. */
  data: JsonValue;
}
