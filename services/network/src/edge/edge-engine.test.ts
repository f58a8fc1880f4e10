import { ConfigError, type ServiceContext } from '@nimbus/runtime';
import { describe, expect, it } from 'vitest';
import { createNetworkServiceModule } from '../service.js';
import { edgeEngineOf, resolveEdgeEngine } from './edge-engine.js';

const installed = () => undefined;
const missing = () => "no 'haproxy' binary runs here";

describe('NIMBUS_EDGE_ENGINE', () => {
  it('takes auto, node and haproxy, in any case', () => {
    expect(edgeEngineOf('auto', missing)).toBe('auto');
    expect(edgeEngineOf('node', missing)).toBe('node');
    expect(edgeEngineOf('HAProxy', installed)).toBe('haproxy');
  });

  it('refuses anything else, naming the variable and the choices', () => {
    expect(() => edgeEngineOf('nginx', installed)).toThrow(ConfigError);
    expect(() => edgeEngineOf('nginx', installed)).toThrow(
      /NIMBUS_EDGE_ENGINE must be one of auto, node, haproxy, got 'nginx'/,
    );
  });

  it('stops the network service at start, before it serves anything', async () => {
    // The setting is checked before the store or the bus is touched, so a context with only its environment will do.
    const context = { env: { NIMBUS_EDGE_ENGINE: 'nginx' } } as unknown as ServiceContext;
    await expect(createNetworkServiceModule().start(context)).rejects.toThrow(
      /NIMBUS_EDGE_ENGINE must be one of auto, node, haproxy, got 'nginx'/,
    );
  });

  it('refuses haproxy where its binary does not run, rather than starting an edge that cannot serve', () => {
    expect(() => edgeEngineOf('haproxy', missing)).toThrow(
      /NIMBUS_EDGE_ENGINE is haproxy but no 'haproxy' binary/,
    );
  });

  it('makes auto the faster engine where HAProxy is installed and the Node relay elsewhere', () => {
    expect(resolveEdgeEngine('auto', installed)).toBe('haproxy');
    expect(resolveEdgeEngine('auto', missing)).toBe('node');
    expect(resolveEdgeEngine('node', installed)).toBe('node');
    expect(resolveEdgeEngine('haproxy', installed)).toBe('haproxy');
  });
});
