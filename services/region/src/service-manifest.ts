/**
 * How the region finds its services: every package under services/ whose
 * package.json has a `nimbus` field is one. Adding a service means adding
 * that field; the launcher's code does not change.
 *
 *   "nimbus": { "service": "network", "entry": "dist/main.js", "module": "dist/service.js",
 *               "after": ["..."], "perZone": false }
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceManifest {
  /** Service name, e.g. `network`: the key in region.json and the log file name. */
  name: string;
  /** npm package name, imported when the region hosts services in-process. */
  packageName: string;
  /** Absolute path of its process entry point (compiled JS). */
  entry: string;
  /** Absolute path of the compiled file exporting its `serviceModule`, for in-process hosting. */
  module: string;
  /** Services that must answer health checks before this one starts. */
  after: string[];
  /** One instance per availability zone (workers) instead of one per region. */
  perZone: boolean;
}

interface PackageJson {
  name: string;
  nimbus?: { service?: string; entry?: string; module?: string; after?: string[]; perZone?: boolean };
}

export function discoverServices(servicesDir: string): ServiceManifest[] {
  const manifests: ServiceManifest[] = [];
  for (const dir of readdirSync(servicesDir).sort()) {
    let pkg: PackageJson;
    try {
      pkg = JSON.parse(readFileSync(join(servicesDir, dir, 'package.json'), 'utf8')) as PackageJson;
    } catch {
      continue;
    }
    const nimbus = pkg.nimbus;
    if (!nimbus?.service) continue;
    manifests.push({
      name: nimbus.service,
      packageName: pkg.name,
      entry: join(servicesDir, dir, nimbus.entry ?? 'dist/main.js'),
      module: join(servicesDir, dir, nimbus.module ?? 'dist/service.js'),
      after: nimbus.after ?? [],
      perZone: nimbus.perZone ?? false,
    });
  }
  return startOrder(manifests);
}

/** Orders services so that each comes after the ones it names in `after`. */
export function startOrder(manifests: ServiceManifest[]): ServiceManifest[] {
  const byName = new Map(manifests.map((m) => [m.name, m]));
  const ordered: ServiceManifest[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: ServiceManifest, path: string[]) => {
    if (state.get(m.name) === 'done') return;
    if (state.get(m.name) === 'visiting') {
      throw new Error(`services depend on each other in a cycle: ${[...path, m.name].join(' -> ')}`);
    }
    state.set(m.name, 'visiting');
    for (const dep of m.after) {
      const before = byName.get(dep);
      if (!before) throw new Error(`service ${m.name} starts after '${dep}', which does not exist`);
      visit(before, [...path, m.name]);
    }
    state.set(m.name, 'done');
    ordered.push(m);
  };
  for (const m of manifests) visit(m, []);
  return ordered;
}
