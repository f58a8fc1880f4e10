import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devAccount, staticTokens } from './authenticator.js';
import { createClient } from './client.js';
import { RemoteError } from './remote-error.js';
import { EchoService } from './testing/echo-service.js';
import { type EchoServerFixture, startEchoServer } from './testing/start-echo.js';

describe('bearer tokens', () => {
  let fixture: EchoServerFixture;

  beforeAll(async () => {
    fixture = await startEchoServer({ authenticator: staticTokens({ 'good-token': '111122223333' }) });
  });

  afterAll(() => fixture.stop());

  it('refuses an unknown token with UNAUTHENTICATED / AuthFailure', async () => {
    const client = createClient(EchoService, fixture.address, { token: 'bad-token' });
    const error = await client.echo({ message: 'x' }).catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).status).toBe(status.UNAUTHENTICATED);
    expect((error as RemoteError).code).toBe('AuthFailure');
  });

  it('refuses a call without credentials', async () => {
    const client = createClient(EchoService, fixture.address);
    const error = await client.echo({ message: 'x' }).catch((e: unknown) => e);
    client.close();
    expect((error as RemoteError).code).toBe('AuthFailure');
  });

  it('gives the handler the account of a known token', async () => {
    const client = createClient(EchoService, fixture.address, { token: 'good-token' });
    const response = await client.echo({ message: 'x' });
    client.close();
    expect(response.accountId).toBe('111122223333');
  });
});

describe('devAccount', () => {
  const authenticate = devAccount('000000000001');

  it('trusts x-nimbus-account and falls back to the default', async () => {
    const claimed = new Metadata();
    claimed.set('x-nimbus-account', '999988887777');
    expect(await authenticate(claimed)).toEqual({ accountId: '999988887777' });
    expect(await authenticate(new Metadata())).toEqual({ accountId: '000000000001' });
  });

  it('refuses an account id that is not twelve digits', async () => {
    const claimed = new Metadata();
    claimed.set('x-nimbus-account', 'root');
    expect(await authenticate(claimed)).toBeUndefined();
  });
});
