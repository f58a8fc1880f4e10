/**
 * Checks deploy/docker-compose.yml without a Docker engine: every problem
 * that would make `docker compose up` fail to give a working region, as far
 * as the file itself shows it. Returns the problems found, one sentence each;
 * none means the file passed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  calledServices,
  repoRoot,
  requiredVariables,
  type ServicePackage,
  servicePackages,
  sourceOfEntry,
} from './service-packages.js';

interface ComposeService {
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  network_mode?: string;
  volumes?: (string | { type?: string; source?: string })[];
  deploy?: { replicas?: number };
}

interface ComposeFile {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(service.environment)) {
    for (const item of service.environment) {
      const at = item.indexOf('=');
      if (at > 0) env[item.slice(0, at)] = item.slice(at + 1);
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (value !== null && value !== undefined) env[key] = String(value);
    }
  }
  return env;
}

/** Whether a value is set once compose has interpolated it: `${X:?msg}` fails the start when X is unset. */
function isSet(value: string | undefined): boolean {
  if (value === undefined) return false;
  const text = value.trim();
  if (text === '') return false;
  // `${X:-}` or `${X}` alone may end up empty; `${X:?...}` refuses to start instead.
  return !/^\$\{[A-Z0-9_]+(:-)?\}$/.test(text);
}

function commandOf(service: ComposeService): string[] {
  if (Array.isArray(service.command)) return service.command.map(String);
  return typeof service.command === 'string' ? service.command.split(/\s+/).filter(Boolean) : [];
}

function dependsOn(service: ComposeService): string[] {
  if (Array.isArray(service.depends_on)) return service.depends_on;
  return Object.keys(service.depends_on ?? {});
}

function portOf(listen: string | undefined): string | undefined {
  return listen ? /:(\d+)$/.exec(listen)?.[1] : undefined;
}

/** The compose service whose network namespace a service lives in (itself unless `network_mode: service:X`). */
function namespaceOf(name: string, service: ComposeService): string {
  const mode = service.network_mode ?? '';
  return mode.startsWith('service:') ? mode.slice('service:'.length) : name;
}

export interface ComposeCheckOptions {
  root?: string;
  packages?: ServicePackage[];
}

export function checkCompose(text: string, options: ComposeCheckOptions = {}): string[] {
  const root = options.root ?? repoRoot;
  const packages = options.packages ?? servicePackages(root);
  const problems: string[] = [];
  let compose: ComposeFile;
  try {
    compose = parseCompose(text);
  } catch (error) {
    return [`the compose file is not YAML: ${error instanceof Error ? error.message : String(error)}`];
  }
  const services = compose.services ?? {};
  const names = new Set(Object.keys(services));
  if (names.size === 0) return ['the compose file has no services'];

  // Which Nimbus package each compose service runs, from its command.
  const runs = new Map<string, ServicePackage>();
  for (const [name, service] of Object.entries(services)) {
    const command = commandOf(service);
    const script = command[0] === 'node' ? command[1] : undefined;
    const match = script ? /^services\/([^/]+)\/(.+)$/.exec(script) : null;
    if (!match?.[1] || !match[2]) continue;
    const pkg = packages.find((p) => p.dir === match[1]);
    if (!pkg) {
      problems.push(`${name}: runs ${script}, but services/${match[1]} is no service package`);
      continue;
    }
    if (match[2] !== pkg.entry) {
      problems.push(`${name}: runs services/${pkg.dir}/${match[2]}, but its entry is ${pkg.entry}`);
      continue;
    }
    if (!existsSync(join(root, 'services', pkg.dir, sourceOfEntry(pkg.entry)))) {
      problems.push(
        `${name}: services/${pkg.dir}/${sourceOfEntry(pkg.entry)}, which builds ${pkg.entry}, does not exist`,
      );
      continue;
    }
    runs.set(name, pkg);
  }

  // Every service the region runs has a compose service; per-zone ones one per zone.
  for (const pkg of packages.filter((p) => p.declared)) {
    const running = [...runs].filter(([, p]) => p.dir === pkg.dir).map(([name]) => name);
    if (running.length === 0) {
      problems.push(
        `service ${pkg.name} (services/${pkg.dir}) has no compose service running node services/${pkg.dir}/${pkg.entry}`,
      );
      continue;
    }
    if (pkg.perZone) {
      const zonesOf = running.map((name) => environmentOf(services[name] ?? {}));
      const regionZones = (zonesOf[0]?.NIMBUS_ZONES ?? '').split(',').filter(Boolean);
      const served = new Set(zonesOf.map((env) => env.NIMBUS_ZONE));
      for (const zone of regionZones) {
        if (!served.has(zone))
          problems.push(`per-zone service ${pkg.name} has no compose service for zone ${zone}`);
      }
      if (regionZones.length < 2)
        problems.push(`per-zone service ${pkg.name}: NIMBUS_ZONES names fewer than two zones`);
    }
  }

  const endpointChecks: Record<string, { from: string; host: string; port: string }[]> = {};
  const listenOf = new Map<
    string,
    { name: string; pkg: ServicePackage; grpc?: string; metrics?: string }[]
  >();
  for (const [name, pkg] of runs) {
    const service = services[name] ?? {};
    const env = environmentOf(service);
    for (const [variable, file] of requiredVariables(pkg, root)) {
      if (!isSet(env[variable])) problems.push(`${name}: ${variable} is not set (required by ${file})`);
    }
    if (!isSet(env.NIMBUS_SERVICE_TOKEN)) {
      problems.push(`${name}: NIMBUS_SERVICE_TOKEN is not set (calls between the services need it)`);
    }
    const grpc = portOf(env.NIMBUS_LISTEN);
    if (!grpc || grpc === '0')
      problems.push(`${name}: NIMBUS_LISTEN names no fixed port for the health check`);
    const health = service.healthcheck;
    const probe = commandOf({ command: health?.test ?? [] }).join(' ');
    if (!health || health.disable || !probe.includes('deploy/healthcheck.mjs')) {
      problems.push(`${name}: no gRPC health check (node deploy/healthcheck.mjs)`);
    }
    let endpoints: Record<string, string> = {};
    try {
      endpoints = JSON.parse(env.NIMBUS_ENDPOINTS ?? '{}') as Record<string, string>;
    } catch {
      problems.push(`${name}: NIMBUS_ENDPOINTS is not JSON`);
    }
    for (const called of calledServices(pkg, root)) {
      if (endpoints[called] === undefined)
        problems.push(`${name}: NIMBUS_ENDPOINTS lacks '${called}', which it calls`);
    }
    const namespace = namespaceOf(name, service);
    const members = listenOf.get(namespace) ?? [];
    members.push({ name, pkg, grpc, metrics: portOf(env.NIMBUS_METRICS_LISTEN) });
    listenOf.set(namespace, members);
    for (const [target, address] of Object.entries(endpoints)) {
      const [host, port] = address.split(':');
      if (!host || !names.has(host)) {
        problems.push(
          `${name}: NIMBUS_ENDPOINTS sends '${target}' to ${address}, and ${host} is no compose service`,
        );
      }
      const uses = endpointChecks[target] ?? [];
      uses.push({ from: name, host: host ?? '', port: port ?? '' });
      endpointChecks[target] = uses;
    }
    for (const before of pkg.after) {
      const providers = [...runs].filter(([, p]) => p.name === before).map(([n]) => n);
      if (providers.length > 0 && !providers.some((p) => dependsOn(service).includes(p))) {
        problems.push(
          `${name}: starts after ${before}, but depends_on names none of ${providers.join(', ')}`,
        );
      }
    }
  }
  // Ports are shared by everything in one network namespace.
  for (const [namespace, members] of listenOf) {
    for (const kind of ['grpc', 'metrics'] as const) {
      const seen = new Map<string, string>();
      for (const member of members) {
        const port = member[kind];
        if (!port || port === '0') continue;
        const other = seen.get(port);
        if (other)
          problems.push(
            `${member.name} and ${other} both listen on ${kind} port ${port} in ${namespace}'s network`,
          );
        seen.set(port, member.name);
      }
    }
  }
  // An endpoint reaches a process that serves that name.
  for (const [target, uses] of Object.entries(endpointChecks)) {
    for (const { from, host, port } of uses) {
      const there = listenOf.get(host) ?? [];
      const match = there.find((m) => m.grpc === port);
      if (names.has(host) && !match) {
        problems.push(
          `${from}: NIMBUS_ENDPOINTS sends '${target}' to ${host}:${port}, where no service listens`,
        );
      } else if (match && match.pkg.name !== target) {
        problems.push(
          `${from}: NIMBUS_ENDPOINTS sends '${target}' to ${host}:${port}, where ${match.pkg.name} listens`,
        );
      }
    }
  }

  for (const [name, service] of Object.entries(services)) {
    const files = [...commandOf(service), ...commandOf({ command: service.healthcheck?.test ?? [] })];
    for (const file of files.filter((arg) => /^deploy\/[\w./-]+$/.test(arg))) {
      if (!existsSync(join(root, file))) problems.push(`${name}: runs ${file}, which does not exist`);
    }
    for (const dependency of dependsOn(service)) {
      if (!names.has(dependency))
        problems.push(`${name}: depends_on names ${dependency}, which is no service`);
    }
    const namespace = namespaceOf(name, service);
    if (namespace !== name && !names.has(namespace)) {
      problems.push(`${name}: network_mode names service ${namespace}, which does not exist`);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      if (source && /^[a-zA-Z0-9][\w.-]*$/.test(source) && !(source in (compose.volumes ?? {}))) {
        problems.push(`${name}: mounts volume ${source}, which the top-level volumes do not declare`);
      }
    }
  }
  return problems;
}
