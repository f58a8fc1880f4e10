/**
 * deploy/Dockerfile read as text (no engine here to build it): the promises
 * the deploy README makes about the image, so that an edit cannot quietly drop one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './service-packages.js';

const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n');
const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));

describe('deploy/Dockerfile', () => {
  it('builds on Node 24 from the lockfile before any source is copied', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-[\w-]*slim$/m);
    const lockfile = at(/^COPY pnpm-lock\.yaml pnpm-workspace\.yaml/);
    const fetch = at(/^RUN pnpm fetch/);
    const sources = at(/^COPY \. \./);
    expect(lockfile).toBeGreaterThan(0);
    expect(fetch).toBeGreaterThan(lockfile);
    expect(sources).toBeGreaterThan(fetch);
    expect(dockerfile).toContain('pnpm install --offline --frozen-lockfile \\');
    expect(dockerfile).toContain('pnpm build');
    expect(dockerfile).toContain('pnpm install --offline --frozen-lockfile --prod');
  });

  it('runs as a user that is not root, with mke2fs and haproxy, and a health check that exists', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/apt-get install[^\n]*\be2fsprogs\b[^\n]*\bhaproxy\b/);
    expect(runtime).toMatch(/^USER node$/m);
    const health = /HEALTHCHECK[^\n]*\n\s*CMD \["node", "([^"]+)"\]/.exec(runtime);
    expect(health?.[1]).toBe('deploy/healthcheck.mjs');
    expect(existsSync(join(repoRoot, health?.[1] ?? 'missing'))).toBe(true);
  });
});
