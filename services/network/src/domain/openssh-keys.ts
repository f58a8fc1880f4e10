import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { NetworkError, NetworkErrorCode } from './network-errors.js';
import { SshReader, sshMpint, sshString, sshUint32 } from './ssh-wire.js';

/**
 * OpenSSH key formats for the two key types EC2 offers: the public key line
 * (`ssh-ed25519 AAAA… comment`) and, for ed25519, the private key file that
 * ssh reads (node:crypto writes PKCS#1/PKCS#8 PEM only).
 */
export type SshKeyType = 'rsa' | 'ed25519';

const algorithmOf = { rsa: 'ssh-rsa', ed25519: 'ssh-ed25519' } as const;

function jwkBytes(value: string | undefined): Buffer {
  return Buffer.from(value ?? '', 'base64url');
}

function keyTypeOf(key: KeyObject): SshKeyType {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ed25519') return key.asymmetricKeyType;
  throw new Error(`No OpenSSH encoding for ${key.asymmetricKeyType} keys`);
}

/** The public key blob of the SSH wire format: what the base64 of a public key line decodes to. */
export function openSshPublicKeyBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (keyTypeOf(key) === 'rsa') {
    return Buffer.concat([sshString('ssh-rsa'), sshMpint(jwkBytes(jwk.e)), sshMpint(jwkBytes(jwk.n))]);
  }
  return Buffer.concat([sshString('ssh-ed25519'), sshString(jwkBytes(jwk.x))]);
}

/** `ssh-rsa AAAA… comment`, as in an authorized_keys file. */
export function formatOpenSshPublicKey(key: KeyObject, comment = ''): string {
  const line = `${algorithmOf[keyTypeOf(key)]} ${openSshPublicKeyBlob(key).toString('base64')}`;
  return comment ? `${line} ${comment}` : line;
}

/** An unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` file for an ed25519 private key. */
export function formatOpenSshEd25519PrivateKey(privateKey: KeyObject, comment = ''): string {
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = jwkBytes(jwk.d);
  const pub = jwkBytes(jwk.x);
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    sshUint32(1),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(pub)])),
    sshString(section),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export interface ParsedPublicKey {
  keyType: SshKeyType;
  /** The SSH wire blob. */
  blob: Buffer;
  key: KeyObject;
  /** Modulus bits for RSA, 256 for ed25519. */
  bits: number;
  comment: string;
}

function malformed(): NetworkError {
  return new NetworkError(NetworkErrorCode.InvalidKeyFormat, 'Key is not in valid OpenSSH public key format');
}

/** RFC 4716 (`---- BEGIN SSH2 PUBLIC KEY ----`): headers, possibly continued with `\`, then base64. */
function rfc4716Body(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.indexOf('---- BEGIN SSH2 PUBLIC KEY ----');
  const end = lines.indexOf('---- END SSH2 PUBLIC KEY ----');
  if (begin < 0 || end < begin) return undefined;
  const body: string[] = [];
  let continued = false;
  for (const line of lines.slice(begin + 1, end)) {
    const isHeader: boolean = continued || line.includes(':');
    continued = isHeader && line.endsWith('\\');
    if (!isHeader) body.push(line);
  }
  return body.join('');
}

/**
 * Parses the public key material of ImportKeyPair: an OpenSSH public key line
 * or an RFC 4716 block. Garbage is `InvalidKey.Format`; a well-formed key of a
 * type EC2 refuses (DSA, ECDSA, an RSA size other than 1024/2048/4096) is
 * `InvalidKeyPair.Format`.
 */
export function parseOpenSshPublicKey(material: string | Uint8Array): ParsedPublicKey {
  const text = (typeof material === 'string' ? material : Buffer.from(material).toString('utf8')).trim();
  let base64: string;
  let comment = '';
  let declared: string | undefined;
  const block = rfc4716Body(text);
  if (block !== undefined) {
    base64 = block;
  } else {
    const fields = text.split(/\s+/);
    if (fields.length < 2) throw malformed();
    declared = fields[0];
    base64 = fields[1] as string;
    comment = fields.slice(2).join(' ');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) throw malformed();
  const blob = Buffer.from(base64, 'base64');
  const reader = new SshReader(blob);
  const algorithm = reader.bytes()?.toString('latin1');
  if (algorithm === undefined || (declared !== undefined && declared !== algorithm)) throw malformed();

  if (algorithm === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    if (e === undefined || n === undefined || !reader.done || n.length === 0 || e.length === 0)
      throw malformed();
    const bits = n.length * 8 - Math.clz32(n[0] as number) + 24;
    if (bits !== 1024 && bits !== 2048 && bits !== 4096) {
      throw new NetworkError(
        NetworkErrorCode.InvalidKeyPairFormat,
        `Invalid RSA key length ${bits}: supported lengths are 1024, 2048 and 4096.`,
      );
    }
    const key = createPublicKey({
      key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
      format: 'jwk',
    });
    return { keyType: 'rsa', blob, key, bits, comment };
  }
  if (algorithm === 'ssh-ed25519') {
    const pub = reader.bytes();
    if (pub === undefined || pub.length !== 32 || !reader.done) throw malformed();
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') },
      format: 'jwk',
    });
    return { keyType: 'ed25519', blob, key, bits: 256, comment };
  }
  if (/^(ssh-dss|ecdsa-sha2-|sk-|ssh-)/.test(algorithm)) {
    throw new NetworkError(
      NetworkErrorCode.InvalidKeyPairFormat,
      `Key type ${algorithm} is not supported: import an RSA (1024, 2048 or 4096 bits) or ED25519 key.`,
    );
  }
  throw malformed();
}
