import { create } from '@bufbuild/protobuf';
import { credentials, Client as GrpcClient, Metadata, status } from '@grpc/grpc-js';
import { methodDefinition } from '@nimbus/api';
import { EchoRequestSchema } from '@nimbus/api/gen/nimbus/testing/v1/echo_pb';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devAccount } from './authenticator.js';
import { createClient } from './client.js';
import type { Client } from './client-types.js';
import type { ServerInterceptor } from './inbound-call.js';
import { createLogger } from './logger.js';
import { RemoteError } from './remote-error.js';
import { createServer } from './server.js';
import { EchoService, echoService } from './testing/echo-service.js';
import { type EchoServerFixture, startEchoServer } from './testing/start-echo.js';

let fixture: EchoServerFixture;
let client: Client<typeof EchoService>;

beforeAll(async () => {
  fixture = await startEchoServer();
  client = createClient(EchoService, fixture.address, { accountId: '123456789012' });
});

afterAll(async () => {
  client.close();
  await fixture.stop();
});

async function* chatLines(...texts: string[]) {
  for (const text of texts) yield { text };
}

describe('typed client and server', () => {
  it('round-trips a unary call with the caller identity the handler saw', async () => {
    const response = await client.echo({ message: 'hello' });
    expect(response.message).toBe('hello');
    expect(response.accountId).toBe('123456789012');
    expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams server responses in order', async () => {
    const values: number[] = [];
    for await (const response of client.count({ upTo: 5 })) values.push(response.value);
    expect(values).toEqual([1, 2, 3, 4, 5]);
  });

  it('cancels a server stream the caller stops reading', async () => {
    for await (const response of client.count({ upTo: 100_000 })) if (response.value === 3) break;
    expect((await client.echo({ message: 'still fine' })).message).toBe('still fine');
  });

  it('answers each message of a bidirectional stream', async () => {
    const texts: string[] = [];
    for await (const response of client.chat(chatLines('a', 'b', 'c'))) texts.push(response.text);
    expect(texts).toEqual(['echo: a', 'echo: b', 'echo: c']);
  });
});

describe('request ids', () => {
  it('uses the caller request id and echoes it in header and trailer', async () => {
    const response = await client.echo({ message: 'x' }, { requestId: 'req-42' });
    expect(response.requestId).toBe('req-42');

    const raw = new GrpcClient(fixture.address, credentials.createInsecure());
    const definition = methodDefinition(EchoService.method.echo);
    const metadata = new Metadata();
    metadata.set('x-request-id', 'req-raw-7');
    const seen = await new Promise<{ header: Metadata; trailer: Metadata }>((resolve, reject) => {
      let header: Metadata | undefined;
      const call = raw.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        create(EchoRequestSchema, { message: 'm' }),
        metadata,
        (error) => error && reject(error),
      );
      call.on('metadata', (received) => {
        header = received;
      });
      call.on('status', (final) => resolve({ header: header ?? new Metadata(), trailer: final.metadata }));
    });
    raw.close();
    expect(seen.header.get('x-request-id')).toEqual(['req-raw-7']);
    expect(seen.trailer.get('x-request-id')).toEqual(['req-raw-7']);
  });

  it('carries the request id back on a failed call', async () => {
    const error = await client
      .fail({ code: 'InvalidParameterValue', message: 'no' }, { requestId: 'req-fail-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).requestId).toBe('req-fail-1');
  });
});

describe('deadlines', () => {
  it('fails a call that outlives its deadline with DEADLINE_EXCEEDED', async () => {
    const error = await client
      .echo({ message: 'slow', delayMs: 5_000 }, { deadlineMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(status.DEADLINE_EXCEEDED);
    expect((error as RemoteError).code).toBe('RequestExpired');
    const line = await waitUntil(() =>
      fixture.logs.find(
        (entry) =>
          entry.method === '/nimbus.testing.v1.EchoService/Echo' && entry.code === 'DEADLINE_EXCEEDED',
      ),
    );
    expect(line.errorCode).toBe('RequestExpired');
  });

  it('serves a call that finishes within its deadline', async () => {
    const response = await client.echo({ message: 'quick', delayMs: 10 }, { deadlineMs: 10_000 });
    expect(response.message).toBe('quick');
  });
});

describe('the call signal', () => {
  let signals: AbortSignal[];
  let watched: EchoServerFixture;
  let watchedClient: Client<typeof EchoService>;

  beforeAll(async () => {
    signals = [];
    const keepSignal: ServerInterceptor = (next) => (call) => {
      signals.push(call.abort.signal);
      return next(call);
    };
    watched = await startEchoServer({ interceptors: [keepSignal] });
    watchedClient = createClient(EchoService, watched.address);
  });

  afterAll(async () => {
    watchedClient.close();
    await watched.stop();
  });

  it('aborts with RequestCanceled when the caller cancels', async () => {
    const caller = new AbortController();
    const call = watchedClient.echo({ message: 'slow', delayMs: 5_000 }, { signal: caller.signal });
    const signal = await waitUntil(() => signals.at(-1));
    caller.abort();
    await expect(call).rejects.toMatchObject({ status: status.CANCELLED });
    await waitUntil(() => signal.aborted);
    expect(signal.reason).toMatchObject({ code: 'RequestCanceled' });
  });

  it('stays unaborted once the call has answered', async () => {
    await watchedClient.echo({ message: 'done' });
    const signal = signals.at(-1);
    // One more round trip, so that grpc-js has long reported the first call's end.
    await watchedClient.echo({ message: 'again' });
    expect(signal?.aborted).toBe(false);
  });
});

describe('call logging', () => {
  it('writes one line per call with method, outcome, duration, request id and account', async () => {
    await client.echo({ message: 'logged' }, { requestId: 'req-log-1' });
    const lines = await waitUntil(() => {
      const found = fixture.logs.filter((entry) => entry.requestId === 'req-log-1');
      return found.length > 0 && found;
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      method: '/nimbus.testing.v1.EchoService/Echo',
      code: 'OK',
      accountId: '123456789012',
      service: 'echo',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
  });
});

describe('createServer typing', () => {
  it('checks each implementation against its own descriptor', () => {
    const logger = createLogger({ service: 'typing', level: 'silent' });
    const build = () =>
      createServer({
        logger,
        authenticator: devAccount('000000000000'),
        services: [
          {
            service: EchoService,
            impl: {
              ...echoService,
              // @ts-expect-error an Echo handler must answer with an EchoResponse (message is a string)
              echo: async () => ({ message: 42 }),
            },
          },
        ],
      });
    expect(typeof build).toBe('function');
  });
});
