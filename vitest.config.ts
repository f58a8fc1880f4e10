import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages export their TypeScript sources under this condition,
    // so tests run against src/ without a build step.
    conditions: ['nimbus-source'],
  },
  // Node-side tests resolve through `ssr.resolve`; Vite's server defaults are repeated
  // because setting the list replaces them, all but `module`: packages resolve as Node
  // resolves them in production (OpenTelemetry's `module` builds need a bundler).
  ssr: {
    resolve: {
      conditions: ['nimbus-source', 'node', 'development|production'],
      externalConditions: ['nimbus-source'],
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/bench/**'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
