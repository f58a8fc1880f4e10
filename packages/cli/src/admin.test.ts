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
