import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codeOf } from '@nimbus/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  importPublicKey,
  maxKeyNameLength,
  parseKeyFormat,
  parseKeyType,
  validateKeyName,
} from './key-pair.js';
import { sshString } from './ssh-wire.js';

const run = promisify(execFile);
let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-key-pair-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sh(script: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', script], { cwd: dir });
  return stdout.trim();
}

/** `openssl md5 -c` / `sha1 -c` print `MD5(stdin)= aa:bb:…`; keep the digest. */
function digestOf(opensslOutput: string): string {
  return opensslOutput.split('= ').at(-1) as string;
}

async function writeKey(contents: string): Promise<string> {
  const file = join(dir, `key-${counter++}`);
  await writeFile(file, contents, { mode: 0o600 });
  return file;
}

async function sshKeygen(type: 'rsa' | 'ed25519' | 'ecdsa', bits?: number): Promise<string> {
  const file = join(dir, `gen-${counter++}`);
  await run('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(bits ? ['-b', String(bits)] : []),
    '-N',
    '',
    '-C',
    'me@host',
    '-f',
    file,
  ]);
  return file;
}

describe('created key pairs', () => {
  it('RSA: a 2048-bit PKCS#1 PEM whose fingerprint is what openssl computes for EC2 (SHA-1 of PKCS#8 DER)', async () => {
    const pair = await generateKeyPair('rsa', 'my-key');
    expect(pair.keyMaterial).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const file = await writeKey(pair.keyMaterial);

    const expected = digestOf(
      await sh(`openssl pkcs8 -in ${file} -inform PEM -outform DER -topk8 -nocrypt | openssl sha1 -c`),
    );
    expect(pair.keyFingerprint).toBe(expected);
    expect(pair.keyFingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);

    expect(await sh(`openssl rsa -in ${file} -noout -text | head -1`)).toContain('2048 bit');
    const derived = await sh(`ssh-keygen -y -f ${file}`);
    expect(pair.publicKey).toBe(`${derived} my-key`);
  });

  it('ED25519: an OpenSSH private key ssh-keygen reads, fingerprint = SHA256 of ssh-keygen with EC2 padding', async () => {
    const pair = await generateKeyPair('ed25519', 'my-ed-key');
    expect(pair.keyMaterial).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const file = await writeKey(pair.keyMaterial);

    // ssh-keygen reads the key and its comment back from the file.
    expect(await sh(`ssh-keygen -y -f ${file}`)).toBe(pair.publicKey);
    const listed = await sh(`ssh-keygen -l -E sha256 -f ${file}`);
    const sha256 = /SHA256:(\S+)/.exec(listed)?.[1];
    expect(listed).toMatch(/my-ed-key \(ED25519\)$/);
    expect(pair.keyFingerprint).toBe(`${sha256}=`);
    expect(pair.keyFingerprint).toHaveLength(44);
  });

  it('makes a different key every time', async () => {
    const [a, b] = await Promise.all([generateKeyPair('ed25519'), generateKeyPair('ed25519')]);
    expect(a.keyFingerprint).not.toBe(b.keyFingerprint);
  });
});

describe('imported public keys', () => {
  for (const bits of [1024, 2048, 4096]) {
    it(`RSA ${bits}: fingerprint is the MD5 of the DER public key, as EC2 shows and openssl computes`, async () => {
      const file = await sshKeygen('rsa', bits);
      const line = await readFile(`${file}.pub`, 'utf8');
      const imported = importPublicKey(Buffer.from(line));

      const expected = digestOf(
        await sh(`ssh-keygen -e -m PKCS8 -f ${file}.pub | openssl pkey -pubin -outform DER | openssl md5 -c`),
      );
      expect(imported.keyFingerprint).toBe(expected);
      expect(imported).toMatchObject({ keyType: 'rsa', bits, publicKey: line.trim() });
      // Not the OpenSSH MD5 fingerprint: EC2 hashes the DER key, not the SSH blob.
      const sshMd5 = /MD5:(\S+)/.exec(await sh(`ssh-keygen -l -E md5 -f ${file}.pub`))?.[1];
      expect(imported.keyFingerprint).not.toBe(sshMd5);
    });
  }

  it('ED25519: fingerprint is base64 SHA-256 as ssh-keygen prints it, with padding', async () => {
    const file = await sshKeygen('ed25519');
    const line = await readFile(`${file}.pub`, 'utf8');
    const imported = importPublicKey(line);
    const sha256 = /SHA256:(\S+)/.exec(await sh(`ssh-keygen -l -f ${file}.pub`))?.[1];
    expect(imported.keyFingerprint).toBe(`${sha256}=`);
    expect(imported).toMatchObject({ keyType: 'ed25519', bits: 256, publicKey: line.trim() });
  });

  it('accepts the RFC 4716 form of the same key with the same fingerprint', async () => {
    const file = await sshKeygen('ed25519');
    const rfc4716 = await sh(`ssh-keygen -e -f ${file}.pub`);
    expect(rfc4716).toContain('BEGIN SSH2 PUBLIC KEY');
    const fromLine = importPublicKey(await readFile(`${file}.pub`, 'utf8'));
    expect(importPublicKey(rfc4716).keyFingerprint).toBe(fromLine.keyFingerprint);
  });

  it('refuses ECDSA, DSA and unsupported RSA sizes with InvalidKeyPair.Format', async () => {
    const ecdsa = await readFile(`${await sshKeygen('ecdsa')}.pub`, 'utf8');
    expect(codeOf(() => importPublicKey(ecdsa))).toBe('InvalidKeyPair.Format');
    const dsaBlob = Buffer.concat([sshString('ssh-dss'), sshString(Buffer.alloc(20, 1))]).toString('base64');
    expect(codeOf(() => importPublicKey(`ssh-dss ${dsaBlob}`))).toBe('InvalidKeyPair.Format');
    const rsa3072 = await readFile(`${await sshKeygen('rsa', 3072)}.pub`, 'utf8');
    expect(() => importPublicKey(rsa3072)).toThrow(/3072/);
    expect(codeOf(() => importPublicKey(rsa3072))).toBe('InvalidKeyPair.Format');
  });

  it('refuses what is not a public key with InvalidKey.Format', async () => {
    const good = (await readFile(`${await sshKeygen('ed25519')}.pub`, 'utf8')).split(' ');
    const blob = Buffer.from(good[1] as string, 'base64');
    for (const bad of [
      '',
      'hello',
      'ssh-ed25519',
      'ssh-ed25519 !!!notbase64!!!',
      `ssh-rsa ${good[1]}`,
      `ssh-ed25519 ${blob.subarray(0, blob.length - 1).toString('base64')}`,
      `ssh-ed25519 ${Buffer.concat([blob, Buffer.of(0)]).toString('base64')}`,
      `bogus-type ${Buffer.concat([sshString('bogus-type'), sshString('x')]).toString('base64')}`,
    ]) {
      expect(
        codeOf(() => importPublicKey(bad)),
        bad,
      ).toBe('InvalidKey.Format');
    }
  });
});

describe('key names, types and formats', () => {
  it('allows up to 255 ASCII characters', () => {
    expect(codeOf(() => validateKeyName('my key-pair_1.2@host'))).toBeUndefined();
    expect(codeOf(() => validateKeyName('k'.repeat(maxKeyNameLength)))).toBeUndefined();
    expect(codeOf(() => validateKeyName('k'.repeat(maxKeyNameLength + 1)))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateKeyName('clé'))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateKeyName('tab\there'))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateKeyName(''))).toBe('MissingParameter');
  });

  it('defaults to rsa and pem, and refuses the rest', () => {
    expect(parseKeyType('')).toBe('rsa');
    expect(parseKeyType('ed25519')).toBe('ed25519');
    expect(codeOf(() => parseKeyType('dsa'))).toBe('InvalidParameterValue');
    expect(parseKeyFormat('')).toBe('pem');
    expect(codeOf(() => parseKeyFormat('ppk'))).toBe('InvalidParameterValue');
  });
});
