/**
 * Checks the Helm chart (deploy/helm/nimbus) without helm: values.yaml
 * parses and documents every field; every template's actions are closed and
 * its blocks balanced; every `.Values.x.y` a template reads is in values.yaml
 * (and every `$svc.x` of a `range $name, $svc := .Values.services` is in each
 * entry); every `include`/`template` name has a `define`; every service the
 * region runs has an entry that a Deployment or, per zone, a DaemonSet is made
 * from; every variable a service requires is given. Returns the problems, one
 * sentence each; none means the chart passed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import {
  repoRoot,
  requiredVariables,
  type ServicePackage,
  servicePackages,
  sourceOfEntry,
} from './service-packages.js';

export const chartDir = join(repoRoot, 'deploy', 'helm', 'nimbus');

export interface Chart {
  values: string;
  /** File name under templates/ -> text. */
  templates: Record<string, string>;
}

export function readChart(dir = chartDir): Chart {
  const templates: Record<string, string> = {};
  for (const name of readdirSync(join(dir, 'templates')).sort()) {
    templates[name] = readFileSync(join(dir, 'templates', name), 'utf8');
  }
  return { values: readFileSync(join(dir, 'values.yaml'), 'utf8'), templates };
}

/** Keys of block maps that carry no comment of their own (children of `env` maps are data). */
function undocumented(map: YAMLMap, path: string[], problems: string[]): void {
  map.items.forEach((pair, index) => {
    if (!isPair(pair) || !isScalar(pair.key)) return;
    const key = String(pair.key.value);
    const value = pair.value;
    const documented =
      Boolean(pair.key.commentBefore) ||
      Boolean(isScalar(value) && value.comment) ||
      (index === 0 && Boolean(map.commentBefore));
    if (!documented) problems.push(`values.yaml: ${[...path, key].join('.')} has no comment`);
    if (isMap(value) && !value.flow && key !== 'env') undocumented(value, [...path, key], problems);
  });
}

function lookup(values: unknown, path: string[]): { found: boolean; value: unknown } {
  let at: unknown = values;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !(key in at)) {
      return { found: false, value: undefined };
    }
    at = (at as Record<string, unknown>)[key];
  }
  return { found: true, value: at };
}

interface Action {
  text: string;
  line: number;
}

/** The template's actions, `{{ ... }}` with trim markers and comments taken off. */
function actionsOf(file: string, text: string, problems: string[]): Action[] {
  const actions: Action[] = [];
  let at = 0;
  while (true) {
    const open = text.indexOf('{{', at);
    if (open < 0) break;
    const close = text.indexOf('}}', open + 2);
    const line = text.slice(0, open).split('\n').length;
    if (close < 0) {
      problems.push(`${file}:${line}: '{{' is never closed`);
      break;
    }
    const inner = text
      .slice(open + 2, close)
      .replace(/^-\s/, '')
      .replace(/\s-$/, '')
      .trim();
    if (!inner.startsWith('/*')) actions.push({ text: inner, line });
    at = close + 2;
  }
  return actions;
}

const blockWords = new Set(['if', 'range', 'with', 'define', 'block']);

function checkBlocks(file: string, actions: Action[], problems: string[]): void {
  const open: Action[] = [];
  for (const action of actions) {
    const word = /^(\w+)/.exec(action.text)?.[1] ?? '';
    if (blockWords.has(word)) open.push(action);
    else if (word === 'end') {
      if (!open.pop()) problems.push(`${file}:${action.line}: {{ end }} closes no block`);
    } else if (word === 'else') {
      const top = open.at(-1);
      if (!top || !/^(if|range|with)\b/.test(top.text)) {
        problems.push(`${file}:${action.line}: {{ else }} outside if, range or with`);
      }
    }
  }
  for (const unclosed of open)
    problems.push(`${file}:${unclosed.line}: {{ ${unclosed.text} }} has no {{ end }}`);
}

export interface ChartCheckOptions {
  root?: string;
  packages?: ServicePackage[];
}

export function checkChart(chart: Chart, options: ChartCheckOptions = {}): string[] {
  const root = options.root ?? repoRoot;
  const packages = options.packages ?? servicePackages(root);
  const problems: string[] = [];

  const document = parseDocument(chart.values);
  if (document.errors.length > 0) {
    return document.errors.map((error) => `values.yaml is not YAML: ${error.message}`);
  }
  if (!isMap(document.contents)) return ['values.yaml is not a map'];
  undocumented(document.contents, [], problems);
  const values = document.toJS() as Record<string, unknown>;

  const defines = new Set<string>();
  const parsed = Object.entries(chart.templates).map(([file, text]) => {
    const actions = actionsOf(file, text, problems);
    for (const action of actions) {
      const name = /^(?:define|block)\s+"([^"]+)"/.exec(action.text)?.[1];
      if (name) defines.add(name);
    }
    return { file, text, actions };
  });

  for (const { file, actions } of parsed) {
    checkBlocks(file, actions, problems);
    const ranges = new Map<string, string[]>();
    for (const action of actions) {
      for (const match of action.text.matchAll(/(?:include|template)\s+"([^"]+)"/g)) {
        if (match[1] && !defines.has(match[1])) {
          problems.push(`${file}:${action.line}: '${match[1]}' is included but no template defines it`);
        }
      }
      for (const match of action.text.matchAll(/(?<![\w$])\$?\w*\.Values((?:\.[A-Za-z_]\w*)+)/g)) {
        const path = (match[1] ?? '').slice(1).split('.');
        if (!lookup(values, path).found) {
          problems.push(`${file}:${action.line}: .Values.${path.join('.')} is not in values.yaml`);
        }
      }
      const range = /^range\s+\$\w+\s*,\s*\$(\w+)\s*:=\s*\$?\w*\.Values((?:\.\w+)+)$/.exec(action.text);
      if (range?.[1] && range[2]) ranges.set(range[1], range[2].slice(1).split('.'));
      for (const [variable, collection] of ranges) {
        const entries = lookup(values, collection).value;
        if (typeof entries !== 'object' || entries === null) continue;
        for (const match of action.text.matchAll(new RegExp(`\\$${variable}((?:\\.[A-Za-z_]\\w*)+)`, 'g'))) {
          const path = (match[1] ?? '').slice(1).split('.');
          for (const [key, entry] of Object.entries(entries)) {
            if (!lookup(entry, path).found) {
              problems.push(
                `${file}:${action.line}: $${variable}.${path.join('.')} is not in .Values.${collection.join('.')}.${key}`,
              );
            }
          }
        }
      }
    }
  }

  // The service entries: each discovered service has one, from which a workload is made.
  const services = (values.services ?? {}) as Record<string, Record<string, unknown>>;
  const workloadTemplate = (kind: string, condition: RegExp) =>
    parsed.some(
      ({ text, actions }) =>
        actions.some((a) => /^range\s+\$\w+\s*,\s*\$\w+\s*:=\s*\$?\w*\.Values\.services$/.test(a.text)) &&
        actions.some((a) => condition.test(a.text)) &&
        new RegExp(`^kind: ${kind}$`, 'm').test(text),
    );
  const deployments = workloadTemplate('Deployment', /^if and \$\w+\.enabled \(not \$\w+\.perZone\)$/);
  const daemonSets = workloadTemplate('DaemonSet', /^if and \$\w+\.enabled \$\w+\.perZone$/);
  for (const pkg of packages.filter((p) => p.declared)) {
    const entry = services[pkg.name];
    const expected = `services/${pkg.dir}/${pkg.entry}`;
    if (!entry) {
      problems.push(`values.yaml: service ${pkg.name} (services/${pkg.dir}) has no entry under services`);
      continue;
    }
    if (entry.enabled !== true) problems.push(`values.yaml: services.${pkg.name}.enabled is not true`);
    if (entry.entry !== expected) {
      problems.push(`values.yaml: services.${pkg.name}.entry is ${String(entry.entry)}, not ${expected}`);
    }
    if (Boolean(entry.perZone) !== pkg.perZone) {
      problems.push(
        `values.yaml: services.${pkg.name}.perZone is ${String(entry.perZone)}, but the package says ${pkg.perZone}`,
      );
    }
    if (pkg.perZone && !daemonSets) {
      problems.push(
        `service ${pkg.name} runs per zone, and no template makes a DaemonSet of each per-zone entry`,
      );
    }
    if (!pkg.perZone && !deployments) {
      problems.push(
        `service ${pkg.name} has no Deployment: no template makes one of each entry under services`,
      );
    }
    const given = Object.values(chart.templates).join('\n') + JSON.stringify(entry.env ?? {});
    for (const [variable, file] of requiredVariables(pkg, root)) {
      if (!given.includes(variable))
        problems.push(`service ${pkg.name}: ${variable} (required by ${file}) is set nowhere in the chart`);
    }
  }
  for (const [name, entry] of Object.entries(services)) {
    const match = /^services\/([^/]+)\/(.+)$/.exec(String(entry.entry));
    const pkg = match ? packages.find((p) => p.dir === match[1]) : undefined;
    if (!match || !pkg) {
      problems.push(`values.yaml: services.${name}.entry ${String(entry.entry)} is in no service package`);
    } else if (!existsSync(join(root, 'services', pkg.dir, sourceOfEntry(match[2] ?? '')))) {
      problems.push(`values.yaml: services.${name}.entry ${String(entry.entry)} is built from no source`);
    }
  }
  if (isSeq(document.get('zones')) === false) problems.push('values.yaml: zones is not a list');
  return problems;
}
