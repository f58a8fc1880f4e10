/**
 * What the deploy checks know about the region's services, read from the
 * repository as it is (never a list kept here): a service is a package under
 * services/ whose package.json has a `nimbus` field, as the region launcher
 * finds them (services/region/src/service-manifest.ts). Packages with a
 * src/main.ts and src/service.ts but no field yet are "candidates": the deploy
 * files may already run them, and a check must neither demand nor refuse them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface ServicePackage {
  /** Folder under services/, e.g. `block-storage`. */
  dir: string;
  /** Name in the region (`nimbus.service`), or the folder's name for a candidate. */
  name: string;
  /** Whether package.json has the `nimbus` field (the region runs it). */
  declared: boolean;
  /** Entry point relative to the package, `nimbus.entry` (default dist/main.js). */
  entry: string;
  after: string[];
  perZone: boolean;
}

interface PackageJson {
  nimbus?: { service?: string; entry?: string; after?: string[]; perZone?: boolean };
}

/** Every service package, declared or candidate, sorted by folder. */
export function servicePackages(root = repoRoot): ServicePackage[] {
  const servicesDir = join(root, 'services');
  const found: ServicePackage[] = [];
  for (const dir of readdirSync(servicesDir).sort()) {
    const packagePath = join(servicesDir, dir, 'package.json');
    if (!existsSync(packagePath)) continue;
    const pkg = JSON.parse(readFileSync(packagePath, 'utf8')) as PackageJson;
    const nimbus = pkg.nimbus;
    if (nimbus?.service) {
      found.push({
        dir,
        name: nimbus.service,
        declared: true,
        entry: nimbus.entry ?? 'dist/main.js',
        after: nimbus.after ?? [],
        perZone: nimbus.perZone ?? false,
      });
    } else if (
      existsSync(join(servicesDir, dir, 'src', 'main.ts')) &&
      existsSync(join(servicesDir, dir, 'src', 'service.ts'))
    ) {
      found.push({ dir, name: dir, declared: false, entry: 'dist/main.js', after: [], perZone: false });
    }
  }
  return found;
}

/** The TypeScript source an entry compiles from: dist/main.js <- src/main.ts. */
export function sourceOfEntry(entry: string): string {
  return entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing' && entry.name !== 'node_modules') files.push(...sourceFiles(path));
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    ) {
      files.push(path);
    }
  }
  return files;
}

/**
 * The object literal that opens at `open`, its comments left out; strings are
 * skipped whole, so braces and slashes inside them count for nothing.
 */
function objectAt(text: string, open: number): string {
  let depth = 0;
  let out = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) if (text[j] === '\\') j++;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i < 0) break;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else {
      out += c;
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
  }
  return out;
}

/**
 * The environment variables a config spec in `text` marks `required: true`:
 * every `{ env: 'NIMBUS_X', ... required: true ... }` literal, as
 * `readConfig` specs are written (env first).
 */
export function requiredVariablesIn(text: string): string[] {
  const required: string[] = [];
  for (const match of text.matchAll(/\{\s*env:\s*'([A-Z0-9_]+)'/g)) {
    const literal = objectAt(text, match.index ?? 0);
    // Outside the strings only: a description may well say "required: true".
    const code = literal.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
    if (/\brequired:\s*true\b/.test(code) && match[1]) required.push(match[1]);
  }
  return required;
}

/** Where every service's hosting and backing settings (NIMBUS_LISTEN, NIMBUS_AUTH_TOKENS, ...) are specified. */
export const hostingSpecFile = 'packages/runtime/src/service-module.ts';

/**
 * Every variable a service process refuses to start without: the runtime's
 * required hosting and backing settings, and its own (any config spec in its
 * sources), each with the file that asks for it.
 */
export function requiredVariables(service: ServicePackage, root = repoRoot): Map<string, string> {
  const required = new Map<string, string>();
  const files = [join(root, hostingSpecFile), ...sourceFiles(join(root, 'services', service.dir, 'src'))];
  for (const file of files) {
    for (const variable of requiredVariablesIn(readFileSync(file, 'utf8'))) {
      if (!required.has(variable)) required.set(variable, relative(root, file));
    }
  }
  return required;
}

/** The region services it calls by name (`context.connect(SomeService, 'network')`). */
export function calledServices(service: ServicePackage, root = repoRoot): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(join(root, 'services', service.dir, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bconnect\(\s*\w+\s*,\s*'([a-z0-9-]+)'\s*\)/g)) {
      if (match[1]) names.add(match[1]);
    }
  }
  return [...names].sort();
}
