/** Launch configurations as stored: what a launch asks of compute, in a launch template's terms. */
import type { JsonValue } from '@bufbuild/protobuf';

export interface LaunchConfigurationRecord {
  name: string;
  arn: string;
  accountId: string;
  createdTime: number;
  /** A LaunchTemplateData message in protobuf's JSON form: launches read it as they read a template's. */
  data: JsonValue;
}
