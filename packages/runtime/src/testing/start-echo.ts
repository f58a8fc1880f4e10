import { Writable } from 'node:stream';
import type { Authenticator } from '../authenticator.js';
import { devAccount } from '../authenticator.js';
import type { ServerInterceptor } from '../inbound-call.js';
import { createLogger } from '../logger.js';
import { createServer, type NimbusServer } from '../server.js';
import { EchoService, echoService } from './echo-service.js';

export interface EchoServerFixture {
  server: NimbusServer;
  address: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** An Echo server on a free loopback port, logging at debug into `logs`, for tests and benchmarks. */
export async function startEchoServer(
  options: {
    authenticator?: Authenticator;
    interceptors?: ServerInterceptor[];
    observers?: ServerInterceptor[];
    level?: 'debug' | 'info' | 'silent';
  } = {},
): Promise<EchoServerFixture> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      callback();
    },
  });
  const logger = createLogger({ service: 'echo', level: options.level ?? 'debug', destination });
  const server = createServer({
    logger,
    authenticator: options.authenticator ?? devAccount('000000000000'),
    services: [{ service: EchoService, impl: echoService }],
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    ...(options.observers ? { observers: options.observers } : {}),
  });
  const port = await server.listen('127.0.0.1', 0);
  return { server, address: `127.0.0.1:${port}`, logs, stop: () => server.shutdown(2_000) };
}
