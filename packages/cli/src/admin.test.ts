import { GatewayAdminService } from '@nimbus/api/gen/nimbus/gateway/v1/gateway_admin_service_pb';
import { createLogger, createServer, staticTokens } from '@nimbus/runtime';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} },
  };
}

describe('nimbus admin', () => {
  it('offers the gateway administration verbs, apart from the API commands', async () => {
    const admin = capture();
    expect(await runCli(['admin', 'help'], admin.io)).toBe(0);
    const text = admin.out.join('\n');
    for (const verb of [
      'create-account',
      'list-accounts',
      'create-access-key',
      'list-access-keys',
      'update-access-key',
      'delete-access-key',
    ]) {
      expect(text).toContain(`  ${verb}`);
    }
    expect(text).not.toContain('describe-vpcs');
    const plain = capture();
    expect(await runCli(['create-account'], plain.io)).toBe(252);
    expect(plain.err.join('\n')).toContain("unknown command 'create-account'");
  });

  it('describes a verb with its flags', async () => {
    const help = capture();
    expect(await runCli(['admin', 'create-account', '--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toContain('--account-name');
  });
});

describe('flags of admin verbs', () => {
  it('--account-id of create-access-key is the request field, not the global option', async () => {
    const seen: string[] = [];
    const fail = async () => {
      throw new Error('not in this test');
    };
    const server = createServer({
      logger: createLogger({ service: 'admin-stub', level: 'silent' }),
      authenticator: staticTokens({ 'operator-token': '999999999999' }),
      services: [
        {
          service: GatewayAdminService,
          impl: {
            createAccount: fail,
            listAccounts: fail,
            listAccessKeys: fail,
            updateAccessKey: fail,
            deleteAccessKey: fail,
            async createAccessKey(request: { accountId: string }) {
              seen.push(request.accountId);
              return { accessKey: { accessKeyId: 'AKIAEXAMPLEEXAMPLE22', accountId: request.accountId } };
            },
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    try {
      const run = capture();
      const code = await runCli(
        [
          'admin',
          'create-access-key',
          '--account-id',
          '123456789012',
          '--endpoint-url',
          `127.0.0.1:${port}`,
          '--token',
          'operator-token',
        ],
        run.io,
      );
      expect(run.err).toEqual([]);
      expect(code).toBe(0);
      expect(seen).toEqual(['123456789012']);
    } finally {
      await server.shutdown(0);
    }
  });
});
