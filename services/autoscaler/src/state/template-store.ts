/**
 * Finding launch templates and resolving versions, for the API and for the
 * group controller: a template is named by id or by name, a version by
 * number, `$Latest` or `$Default` (the default when none is given).
 */
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  type LaunchTemplateData,
  LaunchTemplateDataSchema,
} from '@nimbus/api/gen/nimbus/autoscaling/v1/launch_template_pb';
import { createRecords, invalidParameterCombination, isId, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { missingParameter } from '../domain/autoscaling-errors.js';
import { templateErrors } from '../domain/template-errors.js';
import { autoscalingKeys } from './autoscaling-keys.js';
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord } from './template-records.js';

export interface TemplateName {
  launchTemplateId: string;
  launchTemplateName: string;
}

export interface ResolvedTemplate {
  template: LaunchTemplateRecord;
  version: LaunchTemplateVersionRecord;
  data: LaunchTemplateData;
}

export function createTemplateStore(store: Store) {
  const templates = createRecords<LaunchTemplateRecord>(store);
  const versions = createRecords<LaunchTemplateVersionRecord>(store);
  const names = createRecords<{ launchTemplateId: string }>(store);

  const find = async (accountId: string, which: TemplateName): Promise<Stored<LaunchTemplateRecord>> => {
    const { launchTemplateId: id, launchTemplateName: name } = which;
    if (id && name) {
      throw invalidParameterCombination('A launch template is named by its ID or by its name, not both.');
    }
    if (!id && !name) throw missingParameter('LaunchTemplateId or LaunchTemplateName');
    if (id) {
      if (!isId('lt', id)) throw templateErrors.idMalformed(id);
      const found = await templates.get(autoscalingKeys.template(accountId, id));
      if (!found) throw templateErrors.idNotFound(id);
      return found;
    }
    const byName = await names.get(autoscalingKeys.templateName(accountId, name));
    const found =
      byName && (await templates.get(autoscalingKeys.template(accountId, byName.value.launchTemplateId)));
    if (!found) throw templateErrors.nameNotFound(name);
    return found;
  };

  /** The version number `spec` names: a number, `$Latest`, `$Default` or '' (the default). */
  const versionNumber = (template: LaunchTemplateRecord, spec: string): number => {
    if (spec === '' || spec === '$Default') return template.defaultVersion;
    if (spec === '$Latest') return template.latestVersion;
    if (!/^[1-9]\d{0,9}$/.test(spec)) throw templateErrors.versionNotFound(template.launchTemplateId, spec);
    return Number(spec);
  };

  return {
    templates,
    versions,
    names,
    find,
    versionNumber,
    async version(
      accountId: string,
      template: LaunchTemplateRecord,
      spec: string,
    ): Promise<Stored<LaunchTemplateVersionRecord>> {
      const number = versionNumber(template, spec);
      const found = await versions.get(autoscalingKeys.version(accountId, template.launchTemplateId, number));
      if (!found) throw templateErrors.versionNotFound(template.launchTemplateId, spec || '$Default');
      return found;
    },
    /** The template and version a launch uses now, with its data decoded. */
    async resolve(accountId: string, which: TemplateName, spec: string): Promise<ResolvedTemplate> {
      const template = await find(accountId, which);
      const version = await this.version(accountId, template.value, spec);
      return { template: template.value, version: version.value, data: decodeData(version.value.data) };
    },
  };
}

export type TemplateStore = ReturnType<typeof createTemplateStore>;

export function decodeData(json: JsonValue): LaunchTemplateData {
  return json === null ? create(LaunchTemplateDataSchema) : fromJson(LaunchTemplateDataSchema, json);
}
