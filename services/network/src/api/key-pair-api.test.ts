import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { useNetworkUnderTest } from '../testing/network-under-test.js';

const net = useNetworkUnderTest();

describe('key pairs over gRPC', () => {
  it('creates an RSA pair whose private key matches the fingerprint and the stored public key', async () => {
    const created = await net.client.createKeyPair({ keyName: 'rsa-one' });
    expect(created.keyPairId).toMatch(/^key-[0-9a-f]{17}$/);
    expect(created.keyMaterial).toContain('BEGIN RSA PRIVATE KEY');
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    const pem = join(dir, 'key.pem');
    execFileSync('sh', ['-c', `umask 077; cat > ${pem}`], { input: created.keyMaterial });
    // EC2's fingerprint of a created RSA pair: SHA-1 of the DER PKCS#8 private key.
    const der = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', pem, '-outform', 'DER']);
    const sha1 = execFileSync('openssl', ['sha1', '-c'], { input: der }).toString();
    expect(sha1.trim().split(/\s+/).at(-1)).toBe(created.keyFingerprint);

    const described = await net.client.describeKeyPairs({ keyNames: ['rsa-one'], includePublicKey: true });
    const publicKey = execFileSync('ssh-keygen', ['-y', '-f', pem]).toString().trim().split(' ');
    expect(described.keyPairs[0]?.publicKey.split(' ').slice(0, 2)).toEqual(publicKey.slice(0, 2));
    expect(JSON.stringify(await net.store.list('/'))).not.toContain('PRIVATE KEY');
  });

  it('imports an ed25519 key made by ssh-keygen with the fingerprint ssh-keygen shows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
    const publicKey = readFileSync(join(dir, 'id.pub'));
    const imported = await net.client.importKeyPair({ keyName: 'laptop', publicKeyMaterial: publicKey });
    const shown = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'id.pub')]).toString();
    // ssh-keygen drops base64's padding; EC2 keeps it.
    expect(imported.keyFingerprint.replace(/=+$/, '')).toBe(shown.split(' ')[1]?.replace(/^SHA256:/, ''));
  });

  it('refuses a duplicate name, and bad input, with EC2 codes', async () => {
    await net.client.createKeyPair({ keyName: 'dup', keyType: 'ed25519' });
    expect(await errorCode(net.client.createKeyPair({ keyName: 'dup' }))).toBe('InvalidKeyPair.Duplicate');
    expect(await errorCode(net.client.createKeyPair({ keyName: '' }))).toBe('MissingParameter');
    expect(await errorCode(net.client.createKeyPair({ keyName: 'x', keyType: 'dsa' }))).toBe(
      'InvalidParameterValue',
    );
    expect(
      await errorCode(
        net.client.importKeyPair({ keyName: 'bad', publicKeyMaterial: Buffer.from('ssh-rsa A') }),
      ),
    ).toBe('InvalidKey.Format');
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(dir, 'id')]);
    const ecdsa = readFileSync(join(dir, 'id.pub'));
    expect(await errorCode(net.client.importKeyPair({ keyName: 'ec', publicKeyMaterial: ecdsa }))).toBe(
      'InvalidKeyPair.Format',
    );
    expect(await errorCode(net.client.describeKeyPairs({ keyNames: ['nope'] }))).toBe(
      'InvalidKeyPair.NotFound',
    );
  });

  it('answers DryRunOperation without creating anything', async () => {
    expect(await errorCode(net.client.createKeyPair({ keyName: 'dry', dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await errorCode(net.client.describeKeyPairs({ keyNames: ['dry'] }))).toBe(
      'InvalidKeyPair.NotFound',
    );
  });

  it('keeps accounts apart, filters, paginates and deletes idempotently', async () => {
    for (const name of ['page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']) {
      await net.client.createKeyPair({ keyName: name, keyType: 'ed25519' });
    }
    expect((await net.otherAccount.describeKeyPairs({})).keyPairs).toEqual([]);
    const filtered = await net.client.describeKeyPairs({
      filters: [{ name: 'key-name', values: ['page-*'] }],
    });
    expect(filtered.keyPairs.map((k) => k.keyName)).toEqual([
      'page-1',
      'page-2',
      'page-3',
      'page-4',
      'page-5',
      'page-6',
    ]);
    const first = await net.client.describeKeyPairs({ maxResults: 5 });
    const second = await net.client.describeKeyPairs({ maxResults: 5, nextToken: first.nextToken });
    expect(first.keyPairs).toHaveLength(5);
    expect(first.nextToken).not.toBe('');
    const names = [...first.keyPairs, ...second.keyPairs].map((k) => k.keyName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('page-6');

    const target = filtered.keyPairs[0];
    expect((await net.client.deleteKeyPair({ keyPairId: target?.keyPairId ?? '' })).return).toBe(true);
    expect((await net.client.deleteKeyPair({ keyName: 'page-1' })).return).toBe(true);
    expect(await errorCode(net.client.describeKeyPairs({ keyNames: ['page-1'] }))).toBe(
      'InvalidKeyPair.NotFound',
    );
  });
});
