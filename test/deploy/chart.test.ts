import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { type Chart, chartDir, checkChart, readChart } from './chart-check.js';
import { servicePackages } from './service-packages.js';

const chart = readChart();
const declared = servicePackages().filter((p) => p.declared);

/** The chart with one template's text changed; the change must apply. */
function withTemplate(file: string, change: (text: string) => string): Chart {
  const before = chart.templates[file];
  if (before === undefined) throw new Error(`no template ${file}`);
  const after = change(before);
  if (after === before) throw new Error(`the change to ${file} changed nothing`);
  return { ...chart, templates: { ...chart.templates, [file]: after } };
}

function withValues(change: (document: ReturnType<typeof parseDocument>) => void): Chart {
  const document = parseDocument(chart.values);
  change(document);
  return { ...chart, values: document.toString() };
}

describe('deploy/helm/nimbus', () => {
  it('has values and templates that agree, and a workload for every service the region runs', () => {
    expect(declared.length).toBeGreaterThan(0);
    expect(Object.keys(chart.templates)).toEqual(
      expect.arrayContaining(['_helpers.tpl', 'services.yaml', 'workers.yaml', 'etcd.yaml', 'nats.yaml']),
    );
    expect(checkChart(chart)).toEqual([]);
  });

  it('has a Chart.yaml helm 3 installs: apiVersion v2, its folder name, a semantic version', () => {
    const meta = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    expect(meta.apiVersion).toBe('v2');
    expect(meta.name).toBe(basename(chartDir));
    expect(String(meta.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(meta.type).toBe('application');
  });
});

describe('the chart check, fed a broken copy', () => {
  it('names a .Values reference that values.yaml lacks', () => {
    const broken = withTemplate('services.yaml', (text) =>
      text.replace('$root.Values.probes.periodSeconds', '$root.Values.probes.periodSecond'),
    );
    expect(
      checkChart(broken).some((p) =>
        /^services\.yaml:\d+: \.Values\.probes\.periodSecond is not in values\.yaml$/.test(p),
      ),
    ).toBe(true);
    const removed = withValues((document) => document.deleteIn(['nats', 'streamReplicas']));
    expect(
      checkChart(removed).some((p) => p.endsWith('.Values.nats.streamReplicas is not in values.yaml')),
    ).toBe(true);
  });

  it('names a field of a service entry that some entry lacks', () => {
    const broken = withValues((document) => document.deleteIn(['services', 'compute', 'sharedStorage']));
    expect(
      checkChart(broken).some((p) => /: \$svc\.sharedStorage is not in \.Values\.services\.compute$/.test(p)),
    ).toBe(true);
  });

  it('names an include that no template defines', () => {
    const broken = withTemplate('workers.yaml', (text) =>
      text.replace('include "nimbus.probes"', 'include "nimbus.probe"'),
    );
    expect(
      checkChart(broken).some((p) =>
        /^workers\.yaml:\d+: 'nimbus\.probe' is included but no template defines it$/.test(p),
      ),
    ).toBe(true);
  });

  it('names a block left open and an end too many', () => {
    const open = withTemplate('secret.yaml', (text) => text.replace(/\{\{- end \}\}\s*$/, ''));
    expect(
      checkChart(open).some((p) =>
        /^secret\.yaml:\d+: \{\{ if not \.Values\.auth\.existingSecret \}\} has no \{\{ end \}\}$/.test(p),
      ),
    ).toBe(true);
    const extra = withTemplate('shared-storage.yaml', (text) => `${text}{{- end }}\n`);
    expect(
      checkChart(extra).some((p) => /^shared-storage\.yaml:\d+: \{\{ end \}\} closes no block$/.test(p)),
    ).toBe(true);
  });

  it('names a field of values.yaml without a comment', () => {
    const broken = { ...chart, values: `${chart.values}\nundocumented: 1\n` };
    expect(checkChart(broken)).toContain('values.yaml: undocumented has no comment');
  });

  it('names a service of the region without an entry, also one that gains the nimbus field later', () => {
    const first = declared[0];
    if (!first) throw new Error('no service package has the nimbus field');
    const broken = withValues((document) => document.deleteIn(['services', first.name]));
    expect(checkChart(broken)).toContain(
      `values.yaml: service ${first.name} (services/${first.dir}) has no entry under services`,
    );
    const later = [
      ...servicePackages(),
      {
        dir: 'billing',
        name: 'billing',
        declared: true,
        entry: 'dist/main.js',
        after: [],
        perZone: false,
      },
    ];
    expect(checkChart(chart, { packages: later })).toContain(
      'values.yaml: service billing (services/billing) has no entry under services',
    );
  });

  it('tolerates an entry for a package without the field, not one for a package that does not exist', () => {
    const undeclared = servicePackages().map((p) => ({ ...p, declared: false }));
    expect(checkChart(chart, { packages: undeclared })).toEqual([]);
    const first = declared[0];
    if (!first) throw new Error('no service package has the nimbus field');
    const without = servicePackages().filter((p) => p.dir !== first.dir);
    expect(checkChart(chart, { packages: without })).toContain(
      `values.yaml: services.${first.name}.entry services/${first.dir}/${first.entry} is in no service package`,
    );
  });

  it('names a per-zone service made a Deployment, and services without their workload template', () => {
    const perZone = declared.find((p) => p.perZone);
    expect(perZone, 'a per-zone service (the worker) with the nimbus field').toBeDefined();
    if (!perZone) return;
    const flipped = withValues((document) => document.setIn(['services', perZone.name, 'perZone'], false));
    expect(checkChart(flipped)).toContain(
      `values.yaml: services.${perZone.name}.perZone is false, but the package says true`,
    );
    const noDaemonSet = withTemplate('workers.yaml', (text) =>
      text.replace('kind: DaemonSet', 'kind: Deployment'),
    );
    expect(checkChart(noDaemonSet)).toContain(
      `service ${perZone.name} runs per zone, and no template makes a DaemonSet of each per-zone entry`,
    );
    const other = declared.find((p) => !p.perZone);
    if (!other) throw new Error('no control-plane service has the nimbus field');
    const noDeployment = withTemplate('services.yaml', (text) =>
      text.replace('kind: Deployment', 'kind: ReplicaSet'),
    );
    expect(checkChart(noDeployment)).toContain(
      `service ${other.name} has no Deployment: no template makes one of each entry under services`,
    );
  });

  it('names a required variable the chart sets nowhere', () => {
    const broken = withTemplate('settings.yaml', (text) =>
      text.replace('NIMBUS_BUS_SERVERS:', 'NIMBUS_BUS_SERVER:'),
    );
    const first = declared[0];
    expect(checkChart(broken)).toContain(
      `service ${first?.name}: NIMBUS_BUS_SERVERS (required by packages/runtime/src/service-module.ts) is set nowhere in the chart`,
    );
  });
});
