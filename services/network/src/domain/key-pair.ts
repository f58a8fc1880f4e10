import { createHash, generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from './network-errors.js';
import {
  formatOpenSshEd25519PrivateKey,
  formatOpenSshPublicKey,
  openSshPublicKeyBlob,
  parseOpenSshPublicKey,
  type SshKeyType,
} from './openssh-keys.js';

/**
 * Key pairs as EC2 makes them: generation (the private key leaves once, in the
 * CreateKeyPair answer), import of OpenSSH public keys, and fingerprints that
 * match what EC2 shows, which differ by key type and by origin:
 *
 * | | RSA | ED25519 |
 * |---|---|---|
 * | created | SHA-1 of the DER PKCS#8 private key, colon hex | base64 SHA-256 of the SSH public key blob |
 * | imported | MD5 of the DER SubjectPublicKeyInfo, colon hex | base64 SHA-256 of the SSH public key blob |
 *
 * The imported-RSA fingerprint is what EC2 really shows (`openssl pkey -pubout
 * -outform DER | openssl md5 -c`), not `ssh-keygen -E md5`; EC2 keeps base64's
 * `=` padding on the ED25519 fingerprint, which ssh-keygen drops.
 */
export type KeyType = SshKeyType;
export type KeyFormat = 'pem';

/** The errors of key pair calls (the duplicate and not-found checks live in the service). */
export const KeyPairErrorCode = {
  Duplicate: NetworkErrorCode.InvalidKeyPairDuplicate,
  NotFound: NetworkErrorCode.InvalidKeyPairNotFound,
  Format: NetworkErrorCode.InvalidKeyPairFormat,
  KeyFormat: NetworkErrorCode.InvalidKeyFormat,
} as const;

export const maxKeyNameLength = 255;

/** EC2: up to 255 ASCII characters. Nimbus also refuses control characters. */
export function validateKeyName(name: string): void {
  if (name.length === 0) {
    throw new NetworkError(
      NetworkErrorCode.MissingParameter,
      'The request must contain the parameter KeyName',
    );
  }
  if (name.length > maxKeyNameLength) {
    throw invalidParameterValue(
      `Value for parameter KeyName is invalid. Length exceeds maximum of ${maxKeyNameLength} characters.`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(name)) {
    throw invalidParameterValue(
      `Value (${name}) for parameter KeyName is invalid. Only ASCII characters are allowed.`,
    );
  }
}

/** `rsa` when empty, as EC2. */
export function parseKeyType(value: string): KeyType {
  if (value === '' || value === 'rsa') return 'rsa';
  if (value === 'ed25519') return 'ed25519';
  throw invalidParameterValue(
    `Value (${value}) for parameter KeyType is invalid. Valid values: rsa, ed25519.`,
  );
}

/** `pem` when empty. Nimbus offers no PuTTY (`ppk`) files. */
export function parseKeyFormat(value: string): KeyFormat {
  if (value === '' || value === 'pem') return 'pem';
  if (value === 'ppk') throw invalidParameterValue('Key format ppk is not supported; use pem.');
  throw invalidParameterValue(`Value (${value}) for parameter KeyFormat is invalid. Valid values: pem.`);
}

export function colonHex(digest: Buffer): string {
  return (digest.toString('hex').match(/../g) ?? []).join(':');
}

/** The fingerprint of an RSA key pair EC2 created: SHA-1 of the DER PKCS#8 private key. */
export function createdRsaFingerprint(privateKey: KeyObject): string {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return colonHex(createHash('sha1').update(der).digest());
}

/** The fingerprint of an imported RSA public key: MD5 of the DER SubjectPublicKeyInfo. */
export function importedRsaFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return colonHex(createHash('md5').update(der).digest());
}

/** The fingerprint of an ED25519 key, created or imported: base64 SHA-256 of the SSH blob, with padding. */
export function ed25519Fingerprint(sshBlob: Buffer): string {
  return createHash('sha256').update(sshBlob).digest('base64');
}

export interface GeneratedKeyPair {
  keyType: KeyType;
  /**
   * The private key, returned once: PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`) for
   * RSA as EC2 gives, an OpenSSH private key file for ED25519.
   */
  keyMaterial: string;
  /** The OpenSSH public key line, kept for DescribeKeyPairs and instance metadata. */
  publicKey: string;
  keyFingerprint: string;
}

const generate = promisify(generateNodeKeyPair);

/** A new key pair; the comment (the key name) ends the public key line, as EC2's does. */
export async function generateKeyPair(keyType: KeyType, comment = ''): Promise<GeneratedKeyPair> {
  if (keyType === 'rsa') {
    const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    return {
      keyType,
      keyMaterial: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
      publicKey: formatOpenSshPublicKey(publicKey, comment),
      keyFingerprint: createdRsaFingerprint(privateKey),
    };
  }
  const { privateKey, publicKey } = await generate('ed25519');
  return {
    keyType,
    keyMaterial: formatOpenSshEd25519PrivateKey(privateKey, comment),
    publicKey: formatOpenSshPublicKey(publicKey, comment),
    keyFingerprint: ed25519Fingerprint(openSshPublicKeyBlob(publicKey)),
  };
}

export interface ImportedKeyPair {
  keyType: KeyType;
  /** The OpenSSH public key line as stored (type, base64, and the comment given, if any). */
  publicKey: string;
  keyFingerprint: string;
  bits: number;
}

/** ImportKeyPair's material: an OpenSSH (or RFC 4716) RSA or ED25519 public key. */
export function importPublicKey(material: string | Uint8Array): ImportedKeyPair {
  const parsed = parseOpenSshPublicKey(material);
  return {
    keyType: parsed.keyType,
    publicKey: formatOpenSshPublicKey(parsed.key, parsed.comment),
    keyFingerprint:
      parsed.keyType === 'rsa' ? importedRsaFingerprint(parsed.key) : ed25519Fingerprint(parsed.blob),
    bits: parsed.bits,
  };
}
