import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkCompose, parseCompose } from './compose-check.js';
import { repoRoot, requiredVariablesIn, servicePackages } from './service-packages.js';

const composeText = readFileSync(join(repoRoot, 'deploy', 'docker-compose.yml'), 'utf8');

/** The compose file with one change, as YAML again (anchors resolved). */
function broken(change: (services: Record<string, Record<string, unknown>>) => void): string {
  const compose = parseCompose(composeText) as { services: Record<string, Record<string, unknown>> };
  change(compose.services);
  return stringify(compose);
}

function envOf(service: Record<string, unknown> | undefined): Record<string, string> {
  return (service?.environment ?? {}) as Record<string, string>;
}

/** The compose service that runs a package (its command's entry). */
function runnerOf(services: Record<string, Record<string, unknown>>, dir: string): string {
  const name = Object.keys(services).find((n) => String(services[n]?.command).includes(`services/${dir}/`));
  if (!name) throw new Error(`no compose service runs services/${dir}`);
  return name;
}

const declared = servicePackages().filter((p) => p.declared);

describe('deploy/docker-compose.yml', () => {
  it('runs every service the region has, each with what it needs to start', () => {
    expect(declared.length).toBeGreaterThan(0);
    expect(checkCompose(composeText)).toEqual([]);
  });

  it('runs each per-zone service once per zone of the region', () => {
    const compose = parseCompose(composeText);
    for (const pkg of declared.filter((p) => p.perZone)) {
      const zones = Object.values(compose.services ?? {})
        .filter((s) => String(s.command).includes(`services/${pkg.dir}/`))
        .map((s) => envOf(s as Record<string, unknown>).NIMBUS_ZONE);
      expect(new Set(zones).size).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('the compose check, fed a broken copy', () => {
  const first = declared[0];
  if (!first) throw new Error('no service package has the nimbus field');

  it('names a service of the region that no compose service runs', () => {
    const text = broken((services) => {
      for (const name of Object.keys(services)) {
        if (String(services[name]?.command).includes(`services/${first.dir}/`)) delete services[name];
      }
      // What depended on it would also be flagged; only the missing service matters here.
      for (const service of Object.values(services)) {
        const deps = service.depends_on as Record<string, unknown> | undefined;
        for (const name of Object.keys(deps ?? {})) if (!(name in services)) delete deps?.[name];
      }
    });
    expect(checkCompose(text)).toContain(
      `service ${first.name} (services/${first.dir}) has no compose service running node services/${first.dir}/${first.entry}`,
    );
  });

  it('names a service that gains the nimbus field while compose lacks it', () => {
    const packages = [
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
    expect(checkCompose(composeText, { packages })).toContain(
      'service billing (services/billing) has no compose service running node services/billing/dist/main.js',
    );
  });

  it('accepts a compose service for a package without the field, but not for a folder that is no package', () => {
    const compose = parseCompose(composeText);
    const runner = runnerOf(compose.services as Record<string, Record<string, unknown>>, first.dir);
    const undeclared = servicePackages().map((p) => (p.dir === first.dir ? { ...p, declared: false } : p));
    expect(checkCompose(composeText, { packages: undeclared })).toEqual([]);
    const without = servicePackages().filter((p) => p.dir !== first.dir);
    expect(checkCompose(composeText, { packages: without })).toContain(
      `${runner}: runs services/${first.dir}/${first.entry}, but services/${first.dir} is no service package`,
    );
  });

  it('names a command whose entry the package does not build', () => {
    let runner = '';
    const text = broken((services) => {
      runner = runnerOf(services, first.dir);
      const service = services[runner] as { command: string[] };
      service.command = ['node', `services/${first.dir}/dist/mian.js`];
    });
    expect(checkCompose(text)).toContain(
      `${runner}: runs services/${first.dir}/dist/mian.js, but its entry is ${first.entry}`,
    );
  });

  it('names a required variable left unset, and the file that requires it', () => {
    let runner = '';
    const text = broken((services) => {
      runner = runnerOf(services, first.dir);
      delete envOf(services[runner]).NIMBUS_STORE_ENDPOINTS;
    });
    expect(checkCompose(text)).toContain(
      `${runner}: NIMBUS_STORE_ENDPOINTS is not set (required by packages/runtime/src/service-module.ts)`,
    );
  });

  it('names a service-specific required variable that may end up empty', () => {
    // The worker requires NIMBUS_ZONE (worker-config.ts); `${X:-}` interpolates to nothing when X is unset.
    const worker = declared.find((p) => p.perZone);
    expect(worker, 'a per-zone service (the worker) with the nimbus field').toBeDefined();
    if (!worker) return;
    let runner = '';
    const text = broken((services) => {
      runner = runnerOf(services, worker.dir);
      envOf(services[runner]).NIMBUS_ZONE = `$\{NIMBUS_ZONE:-}`;
    });
    expect(checkCompose(text)).toContain(
      `${runner}: NIMBUS_ZONE is not set (required by services/${worker.dir}/src/worker-config.ts)`,
    );
  });

  it('names a depends_on that names no service, and a missing health check', () => {
    let runner = '';
    const text = broken((services) => {
      runner = runnerOf(services, first.dir);
      const service = services[runner] as Record<string, unknown>;
      service.depends_on = { 'etcd-4': { condition: 'service_healthy' } };
      delete service.healthcheck;
    });
    const problems = checkCompose(text);
    expect(problems).toContain(`${runner}: depends_on names etcd-4, which is no service`);
    expect(problems).toContain(`${runner}: no gRPC health check (node deploy/healthcheck.mjs)`);
  });

  it('names an endpoint sent to a port where another service listens', () => {
    const text = broken((services) => {
      for (const service of Object.values(services)) {
        const env = envOf(service);
        if (env.NIMBUS_ENDPOINTS) {
          const endpoints = JSON.parse(env.NIMBUS_ENDPOINTS) as Record<string, string>;
          endpoints.network = endpoints.compute ?? 'compute:50051';
          env.NIMBUS_ENDPOINTS = JSON.stringify(endpoints);
        }
      }
    });
    expect(
      checkCompose(text).some((p) =>
        /NIMBUS_ENDPOINTS sends 'network' to .*, where compute listens$/.test(p),
      ),
    ).toBe(true);
  });
});

describe('requiredVariablesIn', () => {
  it('finds required settings, also past braces inside strings, and skips defaulted ones', () => {
    const spec = `const spec = {
      endpoints: { env: 'NIMBUS_A', default: '{}', description: 'JSON {"x": 1}' },
      tokens: { env: 'NIMBUS_B', parse: 'list', required: true, description: 'pairs' },
      zone: {
        env: 'NIMBUS_C',
        // required: true would be a comment here
        description: "not required { really }",
      },
      home: { env: 'NIMBUS_D', description: 'a } brace', required: true },
    }`;
    expect(requiredVariablesIn(spec)).toEqual(['NIMBUS_B', 'NIMBUS_D']);
  });
});
