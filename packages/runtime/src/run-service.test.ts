import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { EchoService } from './testing/echo-service.js';

const fixture = fileURLToPath(new URL('./testing/serve-echo.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** An async iterable fed by hand: what a test sends on a client stream. */
function pushable<T>() {
  const queue: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  return {
    push(item: T) {
      queue.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = queue.shift();
        if (item !== undefined) yield item;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function spawnEcho(env: Record<string, string> = {}) {
  const output = { stdout: '', stderr: '' };
  const process_ = spawn(process.execPath, ['--conditions=nimbus-source', '--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process_.stdout?.on('data', (chunk) => {
    output.stdout += String(chunk);
  });
  process_.stderr?.on('data', (chunk) => {
    output.stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => process_.once('exit', (code) => resolve(code)));
  child = process_;
  return { process: process_, output, exited };
}

describe('runService', () => {
  it('on SIGTERM finishes the call in flight, then exits 0', async () => {
    const echo = spawnEcho();
    const port = await waitUntil(() => /PORT (\d+)/.exec(echo.output.stderr)?.[1], {
      timeoutMs: 20_000,
      message: 'the echo service to listen',
    });
    const client = createClient(EchoService, `127.0.0.1:${port}`);
    // A chat the server has answered once is surely in flight when the signal comes.
    const lines = pushable<{ text: string }>();
    const replies = client.chat(lines)[Symbol.asyncIterator]();
    lines.push({ text: 'before' });
    expect((await replies.next()).value?.text).toBe('echo: before');
    echo.process.kill('SIGTERM');
    await waitUntil(() => echo.output.stdout.includes('echo stopping'), { message: 'the service to stop' });
    lines.push({ text: 'after' });
    lines.end();
    expect((await replies.next()).value?.text).toBe('echo: after');
    expect((await replies.next()).done).toBe(true);
    expect(await echo.exited).toBe(0);
    client.close();
    expect(echo.output.stdout).toContain('echo listening on 127.0.0.1:');
    expect(echo.output.stdout).toContain('echo stopped');
  });

  it('exits 1 with a plain message when the configuration is invalid', async () => {
    const echo = spawnEcho({ NIMBUS_ECHO_PORT: 'many' });
    expect(await echo.exited).toBe(1);
    expect(echo.output.stderr).toContain(
      'echo: invalid configuration (1 problem):\n  NIMBUS_ECHO_PORT must be a port number',
    );
  });
});
