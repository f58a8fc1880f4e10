/**
 * deploy/gateway-relay.cfg under a real HAProxy: the port compose publishes
 * and the Helm Service targets reaches the gateway, which listens on loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort, waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './service-packages.js';

const config = join(repoRoot, 'deploy', 'gateway-relay.cfg');

describe('deploy/gateway-relay.cfg', () => {
  let relay: ChildProcess | undefined;
  let upstream: Server | undefined;

  afterEach(async () => {
    if (relay && relay.exitCode === null && relay.signalCode === null) {
      const exited = new Promise((resolve) => relay?.once('exit', resolve));
      relay.kill('SIGTERM');
      await exited;
    }
    relay = undefined;
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    upstream = undefined;
  });

  it('carries HTTP requests from the relay port to the gateway on loopback, and back', async () => {
    upstream = createServer((request, response) => {
      response.setHeader('content-type', 'text/xml');
      response.end(`<Answer>${request.method} ${request.url}</Answer>`);
    });
    await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
    const gatewayPort = (upstream.address() as AddressInfo).port;
    const relayPort = await freePort();
    let output = '';
    relay = spawn('haproxy', ['-db', '-f', config], {
      env: {
        PATH: process.env.PATH ?? '',
        NIMBUS_RELAY_LISTEN: `127.0.0.1:${relayPort}`,
        NIMBUS_GATEWAY_LISTEN: `127.0.0.1:${gatewayPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    relay.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    relay.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const answer = await waitUntil(
      async () => {
        if (relay?.exitCode !== null) throw new Error(`haproxy exited: ${output}`);
        const response = await fetch(`http://127.0.0.1:${relayPort}/?Action=DescribeVpcs`, {
          method: 'POST',
        });
        return response.ok ? response.text() : undefined;
      },
      { timeoutMs: 10_000, message: 'an answer through the relay' },
    );
    expect(answer).toBe('<Answer>POST /?Action=DescribeVpcs</Answer>');
  });
});
