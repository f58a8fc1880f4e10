import { status } from '@grpc/grpc-js';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import type { Client } from './client-types.js';
import { DomainError, statusForCode } from './domain-error.js';
import { RemoteError } from './remote-error.js';
import { EchoService } from './testing/echo-service.js';
import { type EchoServerFixture, startEchoServer } from './testing/start-echo.js';

let fixture: EchoServerFixture;
let client: Client<typeof EchoService>;

beforeAll(async () => {
  fixture = await startEchoServer();
  client = createClient(EchoService, fixture.address);
});

afterAll(async () => {
  client.close();
  await fixture.stop();
});

async function failure(code: string, message = 'it went wrong'): Promise<RemoteError> {
  const error = await client.fail({ code, message }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RemoteError)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

describe('domain errors across the wire', () => {
  it.each([
    ['InvalidInstanceID.NotFound', status.NOT_FOUND],
    ['InvalidParameterValue', status.INVALID_ARGUMENT],
    ['InvalidGroup.Duplicate', status.ALREADY_EXISTS],
    ['IncorrectInstanceState', status.FAILED_PRECONDITION],
    ['VolumeLimitExceeded', status.RESOURCE_EXHAUSTED],
  ])('a handler throwing %s reaches the client with its code and status', async (code, expected) => {
    const error = await failure(code, `about ${code}`);
    expect(error.code).toBe(code);
    expect(error.status).toBe(expected);
    expect(error.message).toBe(`about ${code}`);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unexpected throw with INTERNAL / InternalError, leaking no stack', async () => {
    const error = await failure('Bug', 'secret detail');
    expect(error.status).toBe(status.INTERNAL);
    expect(error.code).toBe('InternalError');
    expect(error.message).toBe(`internal error, request id ${error.requestId}`);
    expect(error.message).not.toContain('secret detail');
    const line = await waitUntil(() => fixture.logs.find((entry) => entry.requestId === error.requestId));
    expect(line.level).toBe(50);
    expect(JSON.stringify(line.err)).toContain('secret detail');
    expect(String((line.err as { stack?: string }).stack)).toContain('echo-service.ts');
  });

  it('logs a caller mistake at warn', async () => {
    const error = await failure('MissingParameter');
    const line = await waitUntil(() => fixture.logs.find((entry) => entry.requestId === error.requestId));
    expect(line).toMatchObject({ level: 40, code: 'INVALID_ARGUMENT', errorCode: 'MissingParameter' });
  });

  it('reports an unreachable server as ServiceUnavailable', async () => {
    const nowhere = createClient(EchoService, '127.0.0.1:1', { deadlineMs: 2_000 });
    const error = await nowhere.echo({ message: 'x' }).catch((e: unknown) => e);
    nowhere.close();
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(status.UNAVAILABLE);
    expect((error as RemoteError).code).toBe('ServiceUnavailable');
  });
});

describe('statusForCode', () => {
  it.each([
    ['InvalidParameterCombination', status.INVALID_ARGUMENT],
    ['MissingParameter', status.INVALID_ARGUMENT],
    ['InvalidAMIID.Malformed', status.INVALID_ARGUMENT],
    ['InvalidVpcID.NotFound', status.NOT_FOUND],
    ['InvalidKeyPair.Duplicate', status.ALREADY_EXISTS],
    ['DependencyViolation', status.FAILED_PRECONDITION],
    ['IncorrectState', status.FAILED_PRECONDITION],
    ['AuthFailure', status.UNAUTHENTICATED],
    ['UnauthorizedOperation', status.PERMISSION_DENIED],
    ['AddressLimitExceeded', status.RESOURCE_EXHAUSTED],
    ['RequestLimitExceeded', status.RESOURCE_EXHAUSTED],
    ['ServiceUnavailable', status.UNAVAILABLE],
    ['InternalError', status.INTERNAL],
  ])('maps %s', (code, expected) => {
    expect(statusForCode(code)).toBe(expected);
  });

  it('lets a DomainError name its own status', () => {
    expect(new DomainError('InvalidParameterValue', 'x', status.OUT_OF_RANGE).status).toBe(
      status.OUT_OF_RANGE,
    );
  });
});
