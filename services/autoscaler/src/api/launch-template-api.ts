/**
 * EC2's launch template actions. A template and its first version are made
 * in one transaction with its name (and client token), so a name is never
 * half-taken; each later version takes the next number in a transaction with
 * the template's counter, so numbers are never reused, also after deletions.
 */
import { toJson } from '@bufbuild/protobuf';
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import { LaunchTemplateDataSchema } from '@nimbus/api/gen/nimbus/autoscaling/v1/launch_template_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  checkClientToken,
  compileFilters,
  createClientTokens,
  createRecords,
  dryRunOperation,
  invalidParameterValue,
  newId,
  pageOf,
  resolveMaxResults,
  type Stored,
  tagsFor,
} from '@nimbus/service-kit';
import { missingParameter, resourceInUse } from '../domain/autoscaling-errors.js';
import { checkTemplateName, templateErrors } from '../domain/template-errors.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupRecord } from '../state/group-records.js';
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord } from '../state/template-records.js';
import { createTemplateStore, decodeData } from '../state/template-store.js';
import type { ApiDeps } from './api-deps.js';
import { templateView, versionView } from './template-views.js';

type LaunchTemplateApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  | 'createLaunchTemplate'
  | 'createLaunchTemplateVersion'
  | 'describeLaunchTemplates'
  | 'describeLaunchTemplateVersions'
  | 'modifyLaunchTemplate'
  | 'deleteLaunchTemplate'
  | 'deleteLaunchTemplateVersions'
>;

const maxDescription = 255;

function checkDescription(description: string): void {
  if (description.length > maxDescription) {
    throw invalidParameterValue(`The version description must be at most ${maxDescription} characters.`);
  }
}

export function createLaunchTemplateApi(deps: ApiDeps): LaunchTemplateApi {
  const { store, now } = deps;
  const templates = createTemplateStore(store);
  const groups = createRecords<GroupRecord>(store);
  const tokens = createClientTokens(store, autoscalingKeys.templateToken);

  /** Applies `change` to the template with compare-and-swap, reading again after a lost race. */
  const changeTemplate = async (
    accountId: string,
    which: { launchTemplateId: string; launchTemplateName: string },
    change: (t: Stored<LaunchTemplateRecord>) => Promise<boolean>,
  ) => {
    for (;;) {
      const template = await templates.find(accountId, which);
      if (await change(template)) return;
    }
  };

  return {
    async createLaunchTemplate(request, { accountId }) {
      checkTemplateName(request.launchTemplateName);
      checkDescription(request.versionDescription);
      if (!request.launchTemplateData) throw missingParameter('LaunchTemplateData');
      const tags = tagsFor('launch-template', request.tagSpecifications);
      if (request.clientToken) checkClientToken(request.clientToken);
      if (request.dryRun) throw dryRunOperation();
      const digest = argumentsDigest({ ...request, dryRun: false });
      if (request.clientToken) {
        const earlier = await tokens.earlier(accountId, request.clientToken, digest);
        const made = earlier && (await templates.templates.get(autoscalingKeys.template(accountId, earlier)));
        if (made) return { launchTemplate: templateView(made.value) };
      }
      const createTime = now();
      const template: LaunchTemplateRecord = {
        launchTemplateId: newId('lt'),
        launchTemplateName: request.launchTemplateName,
        accountId,
        createTime,
        defaultVersion: 1,
        latestVersion: 1,
        tags,
      };
      const version: LaunchTemplateVersionRecord = {
        launchTemplateId: template.launchTemplateId,
        versionNumber: 1,
        versionDescription: request.versionDescription,
        createTime,
        data: toJson(LaunchTemplateDataSchema, request.launchTemplateData),
      };
      const id = template.launchTemplateId;
      const result = await store.txn([
        { type: 'create', key: autoscalingKeys.template(accountId, id), value: JSON.stringify(template) },
        {
          type: 'create',
          key: autoscalingKeys.templateName(accountId, template.launchTemplateName),
          value: JSON.stringify({ launchTemplateId: id }),
        },
        { type: 'create', key: autoscalingKeys.version(accountId, id, 1), value: JSON.stringify(version) },
        ...(request.clientToken ? [tokens.claim(accountId, request.clientToken, digest, id)] : []),
      ]);
      if (!result.ok) {
        // Another call with this token won the race: answer with what it made.
        if (
          request.clientToken &&
          result.failedKey === autoscalingKeys.templateToken(accountId, request.clientToken)
        ) {
          const earlier = await tokens.earlier(accountId, request.clientToken, digest);
          const made =
            earlier && (await templates.templates.get(autoscalingKeys.template(accountId, earlier)));
          if (made) return { launchTemplate: templateView(made.value) };
        }
        throw templateErrors.nameTaken();
      }
      return { launchTemplate: templateView(template) };
    },

    async createLaunchTemplateVersion(request, { accountId }) {
      checkDescription(request.versionDescription);
      if (!request.launchTemplateData) throw missingParameter('LaunchTemplateData');
      const found = await templates.find(accountId, request);
      const source = request.sourceVersion
        ? await templates.version(accountId, found.value, request.sourceVersion)
        : undefined;
      if (request.dryRun) throw dryRunOperation();
      const given = toJson(LaunchTemplateDataSchema, request.launchTemplateData) as Record<string, unknown>;
      const data = source ? { ...(source.value.data as Record<string, unknown>), ...given } : given;
      // The merged data must still be a valid message.
      decodeData(data as never);
      for (let template = found; ; ) {
        const number = template.value.latestVersion + 1;
        const version: LaunchTemplateVersionRecord = {
          launchTemplateId: template.value.launchTemplateId,
          versionNumber: number,
          versionDescription: request.versionDescription,
          createTime: now(),
          data: data as never,
        };
        const updated: LaunchTemplateRecord = { ...template.value, latestVersion: number };
        const result = await store.txn([
          {
            type: 'update',
            key: template.key,
            value: JSON.stringify(updated),
            expectedRevision: template.revision,
          },
          {
            type: 'create',
            key: autoscalingKeys.version(accountId, updated.launchTemplateId, number),
            value: JSON.stringify(version),
          },
        ]);
        if (result.ok) return { launchTemplateVersion: versionView(updated, version) };
        template = await templates.find(accountId, {
          launchTemplateId: updated.launchTemplateId,
          launchTemplateName: '',
        });
      }
    },

    async describeLaunchTemplates(request, { accountId }) {
      const named = request.launchTemplateIds.length + request.launchTemplateNames.length > 0;
      const pageSize = resolveMaxResults(request.maxResults, { min: 1, max: 200 });
      if (request.dryRun) throw dryRunOperation();
      let found: Stored<LaunchTemplateRecord>[];
      if (named) {
        found = [];
        for (const launchTemplateId of request.launchTemplateIds) {
          found.push(await templates.find(accountId, { launchTemplateId, launchTemplateName: '' }));
        }
        for (const launchTemplateName of request.launchTemplateNames) {
          found.push(await templates.find(accountId, { launchTemplateId: '', launchTemplateName }));
        }
        found = [...new Map(found.map((t) => [t.key, t])).values()].sort((a, b) =>
          a.key.localeCompare(b.key),
        );
      } else {
        found = await templates.templates.list(autoscalingKeys.templates(accountId));
      }
      const matches = compileFilters(
        request.filters,
        {
          'launch-template-name': (t: LaunchTemplateRecord) => t.launchTemplateName,
          'create-time': (t) => new Date(t.createTime).toISOString(),
        },
        { tags: (t) => t.tags },
      );
      const page = pageOf(
        found.filter((t) => matches(t.value)),
        (t) => t.key,
        { nextToken: request.nextToken, pageSize, keyPrefix: autoscalingKeys.templates(accountId) },
      );
      return { launchTemplates: page.items.map((t) => templateView(t.value)), nextToken: page.nextToken };
    },

    async describeLaunchTemplateVersions(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxResults, { min: 1, max: 200 });
      const template = await templates.find(accountId, request);
      if (request.dryRun) throw dryRunOperation();
      const prefix = autoscalingKeys.versions(accountId, template.value.launchTemplateId);
      let versions: Stored<LaunchTemplateVersionRecord>[];
      if (request.versions.length > 0) {
        versions = [];
        for (const spec of request.versions)
          versions.push(await templates.version(accountId, template.value, spec));
        versions = [...new Map(versions.map((v) => [v.key, v])).values()].sort((a, b) =>
          a.key.localeCompare(b.key),
        );
      } else {
        versions = await templates.versions.list(prefix);
      }
      const min = request.minVersion ? templates.versionNumber(template.value, request.minVersion) : 0;
      const max = request.maxVersion ? templates.versionNumber(template.value, request.maxVersion) : Infinity;
      const matches = compileFilters(request.filters, {
        'is-default-version': (v: LaunchTemplateVersionRecord) =>
          String(v.versionNumber === template.value.defaultVersion),
        'image-id': (v) => decodeData(v.data).imageId,
        'instance-type': (v) => decodeData(v.data).instanceType,
        'key-name': (v) => decodeData(v.data).keyName,
      });
      const page = pageOf(
        versions.filter(
          (v) => v.value.versionNumber >= min && v.value.versionNumber <= max && matches(v.value),
        ),
        (v) => v.key,
        { nextToken: request.nextToken, pageSize, keyPrefix: prefix },
      );
      return {
        launchTemplateVersions: page.items.map((v) => versionView(template.value, v.value)),
        nextToken: page.nextToken,
      };
    },

    async modifyLaunchTemplate(request, { accountId }) {
      let view: LaunchTemplateRecord | undefined;
      await changeTemplate(accountId, request, async (template) => {
        const defaultVersion = request.defaultVersion
          ? (await templates.version(accountId, template.value, request.defaultVersion)).value.versionNumber
          : template.value.defaultVersion;
        if (request.dryRun) throw dryRunOperation();
        view = { ...template.value, defaultVersion };
        return templates.templates.update(template, view);
      });
      return { launchTemplate: templateView(view as LaunchTemplateRecord) };
    },

    async deleteLaunchTemplate(request, { accountId }) {
      for (;;) {
        const template = await templates.find(accountId, request);
        const id = template.value.launchTemplateId;
        const user = (await groups.list(autoscalingKeys.groups(accountId))).find(
          (g) => g.value.launchTemplate.launchTemplateId === id,
        );
        if (user) {
          throw resourceInUse(
            `The launch template ${id} is used by the Auto Scaling group ${user.value.name}.`,
          );
        }
        if (request.dryRun) throw dryRunOperation();
        const versions = await templates.versions.list(autoscalingKeys.versions(accountId, id));
        const name = await templates.names.get(
          autoscalingKeys.templateName(accountId, template.value.launchTemplateName),
        );
        const result = await store.txn([
          { type: 'delete', key: template.key, expectedRevision: template.revision },
          ...(name ? [{ type: 'delete' as const, key: name.key, expectedRevision: name.revision }] : []),
          ...versions.map((v) => ({ type: 'delete' as const, key: v.key, expectedRevision: v.revision })),
        ]);
        // A lost race (a new version meanwhile) is read again and deleted with the rest.
        if (result.ok) return { launchTemplate: templateView(template.value) };
      }
    },

    async deleteLaunchTemplateVersions(request, { accountId }) {
      if (request.versions.length === 0) throw missingParameter('LaunchTemplateVersion');
      const template = await templates.find(accountId, request);
      if (request.dryRun) throw dryRunOperation();
      const t = template.value;
      const base = { launchTemplateId: t.launchTemplateId, launchTemplateName: t.launchTemplateName };
      const deleted = [];
      const failed = [];
      for (const spec of request.versions) {
        if (!/^[1-9]\d{0,9}$/.test(spec)) {
          failed.push({
            ...base,
            versionNumber: 0n,
            code: 'launchTemplateVersionMalformed',
            message: `The version '${spec}' is not a version number.`,
          });
          continue;
        }
        const number = Number(spec);
        if (number === t.defaultVersion) {
          failed.push({
            ...base,
            versionNumber: BigInt(number),
            code: 'launchTemplateVersionIsDefault',
            message: 'Cannot delete the default version of a launch template.',
          });
          continue;
        }
        const version = await templates.versions.get(
          autoscalingKeys.version(accountId, t.launchTemplateId, number),
        );
        if (!version || !(await templates.versions.delete(version))) {
          failed.push({
            ...base,
            versionNumber: BigInt(number),
            code: 'launchTemplateVersionDoesNotExist',
            message: `Version ${number} of the launch template does not exist.`,
          });
          continue;
        }
        deleted.push({ ...base, versionNumber: BigInt(number) });
      }
      return {
        successfullyDeletedLaunchTemplateVersions: deleted,
        unsuccessfullyDeletedLaunchTemplateVersions: failed,
      };
    },
  };
}
