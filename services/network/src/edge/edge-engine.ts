import { ConfigError } from '@nimbus/runtime';
import { createEdge, type Edge } from './edge.js';
import { compileEdgeTable, type EdgeMapping } from './edge-mapping.js';
import type { EdgeOptions } from './edge-options.js';
import { createHaproxyEdge, haproxyUnusable } from './haproxy-edge.js';

/**
 * Which data plane the edge uses (`NIMBUS_EDGE_ENGINE`). `node`: the relay in
 * this process (edge.ts), which needs nothing installed; `haproxy`: HAProxy
 * in TCP mode (haproxy-edge.ts), faster (bench/edge.bench.ts), with the
 * addresses whose rules name a security group still on the Node relay when
 * `sourceGroups` is given, as HAProxy cannot ask this process per connection;
 * `auto` (the default): haproxy when it can serve here (`haproxyUnusable`),
 * else node.
 */
export type EdgeEngine = 'auto' | 'node' | 'haproxy';

export const edgeEngines = ['auto', 'node', 'haproxy'] as const;

const engineVariable = {
  env: 'NIMBUS_EDGE_ENGINE',
  description: "the edge's data plane: auto (haproxy when it can serve here, else node), node or haproxy",
};

/**
 * The engine a setting names, checked: anything but auto, node or haproxy,
 * and haproxy where it cannot serve, is a ConfigError naming the variable.
 */
export function edgeEngineOf(text: string, unusable: () => string | undefined = haproxyUnusable): EdgeEngine {
  const engine = edgeEngines.find((name) => name === text.trim().toLowerCase());
  if (engine === undefined) {
    throw new ConfigError([
      { ...engineVariable, problem: `must be one of ${edgeEngines.join(', ')}, got '${text}'` },
    ]);
  }
  const reason = engine === 'haproxy' ? unusable() : undefined;
  if (reason !== undefined) {
    throw new ConfigError([{ ...engineVariable, problem: `is haproxy but ${reason} (or use auto or node)` }]);
  }
  return engine;
}

/** The engine `auto` stands for here. */
export function resolveEdgeEngine(
  engine: EdgeEngine,
  unusable: () => string | undefined = haproxyUnusable,
): 'node' | 'haproxy' {
  if (engine !== 'auto') return engine;
  return unusable() === undefined ? 'haproxy' : 'node';
}

export function createEdgeEngine(engine: EdgeEngine, options: EdgeOptions = {}): Edge {
  if (resolveEdgeEngine(engine) === 'node') return createEdge(options);
  if (!options.sourceGroups) return createHaproxyEdge(options);
  return createSplitEdge(createHaproxyEdge(options), createEdge(options));
}

const namesGroup = (mapping: EdgeMapping) =>
  mapping.rules.some((rule) => !rule.isEgress && rule.referencedGroupId !== undefined);

/**
 * One Edge out of two: mappings with a group rule go to `byGroup`, the rest to
 * `byAddress`. An address that moves between them (a group rule added or
 * removed) is served by the other one from the next apply: its established
 * connections are reset, and its listeners may show `failed` until the first
 * one let go of the port (the next retry).
 */
function createSplitEdge(byAddress: Edge, byGroup: Edge): Edge {
  const both = [byAddress, byGroup];
  let closed = false;
  /** The addresses `byAddress` serves since the last apply. */
  let plainIps = new Set<string>();
  return {
    async apply(mappings) {
      if (closed) throw new Error('the edge is closed');
      // Validated whole before either part changes.
      compileEdgeTable(mappings, 0);
      const grouped = mappings.filter(namesGroup);
      const plain = mappings.filter((mapping) => !namesGroup(mapping));
      // Each lets go of the addresses that leave it before the other binds them.
      const before = plainIps;
      plainIps = new Set(plain.map((mapping) => mapping.publicIp));
      await byGroup.apply(grouped.filter((mapping) => !before.has(mapping.publicIp)));
      await byAddress.apply(plain);
      await byGroup.apply(grouped);
    },
    listeners() {
      return both
        .flatMap((edge) => edge.listeners())
        .sort((a, b) => (a.publicIp === b.publicIp ? a.port - b.port : a.publicIp < b.publicIp ? -1 : 1));
    },
    connectionCount() {
      return byAddress.connectionCount() + byGroup.connectionCount();
    },
    async start(signal) {
      await Promise.all(both.map((edge) => edge.start(signal)));
    },
    async close() {
      closed = true;
      await Promise.all(both.map((edge) => edge.close()));
    },
  };
}
