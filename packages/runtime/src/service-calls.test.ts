import { createEmbeddedEventBus } from '@nimbus/events';
import { createEmbeddedStore } from '@nimbus/store';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { createLogger } from './logger.js';
import { isRemoteError } from './remote-error.js';
import { type HostedService, hostServiceModule, type ServiceModule } from './service-module.js';
import { EchoService, echoService } from './testing/echo-service.js';

const userToken = 'user-token-of-the-test';
const userAccount = '111111111111';
const otherAccount = '222222222222';
const serviceToken = 'service-token-0123456789abcdef';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const echoModule: ServiceModule = {
  name: 'echo',
  async start() {
    return { services: [{ service: EchoService, impl: echoService }] };
  },
};

async function host(module: ServiceModule, env: Record<string, string>): Promise<HostedService> {
  const store = createEmbeddedStore();
  const bus = createEmbeddedEventBus();
  const hosted = await hostServiceModule(module, {
    store,
    bus,
    logger: createLogger({ service: module.name, level: 'silent' }),
    env: { NIMBUS_AUTH_TOKENS: `${userToken}=${userAccount}`, ...env },
  });
  stops.push(async () => {
    await hosted.stop();
    await bus.close();
    await store.close();
  });
  return hosted;
}

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    return isRemoteError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('calls between services', () => {
  it('lets a service act for the account it names, and nobody else', async () => {
    const echo = await host(echoModule, { NIMBUS_SERVICE_TOKEN: serviceToken });
    let seenByCaller: { accountId: string } | undefined;
    const caller: ServiceModule = {
      name: 'caller',
      async start(context) {
        const client = context.connect(EchoService, 'echo');
        seenByCaller = await client.echo({ message: 'hi' }, { accountId: otherAccount });
        return { services: [] };
      },
    };
    await host(caller, {
      NIMBUS_SERVICE_TOKEN: serviceToken,
      NIMBUS_ENDPOINTS: JSON.stringify({ echo: echo.address }),
    });
    expect(seenByCaller?.accountId).toBe(otherAccount);

    // A user's token cannot claim another account.
    const user = createClient(EchoService, echo.address, { token: userToken });
    stops.push(async () => user.close());
    expect((await user.echo({ message: 'me' }, { accountId: otherAccount })).accountId).toBe(userAccount);

    // The service token without an account, or a wrong one, is refused.
    const bare = createClient(EchoService, echo.address, { token: serviceToken });
    const wrong = createClient(EchoService, echo.address, { token: `${serviceToken}x` });
    stops.push(async () => {
      bare.close();
      wrong.close();
    });
    expect(await codeOf(bare.echo({ message: 'x' }))).toBe('AuthFailure');
    expect(await codeOf(wrong.echo({ message: 'x' }, { accountId: otherAccount }))).toBe('AuthFailure');
  });

  it('says which setting is missing when a service calls another without it', async () => {
    const caller = (target: string): ServiceModule => ({
      name: 'caller',
      async start(context) {
        context.connect(EchoService, target);
        return { services: [] };
      },
    });
    await expect(host(caller('echo'), { NIMBUS_ENDPOINTS: '{"echo":"127.0.0.1:1"}' })).rejects.toThrow(
      /NIMBUS_SERVICE_TOKEN is not set, and caller calls 'echo'/,
    );
    await expect(host(caller('image'), { NIMBUS_SERVICE_TOKEN: serviceToken })).rejects.toThrow(
      /NIMBUS_ENDPOINTS has no 'image'/,
    );
    await expect(host(echoModule, { NIMBUS_SERVICE_TOKEN: 'short' })).rejects.toThrow(
      /NIMBUS_SERVICE_TOKEN is shorter than 16 characters/,
    );
  });
});
