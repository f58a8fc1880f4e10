/**
 * How the gateway keeps secret access keys. SigV4 needs the secret itself (the
 * signing key is derived from it per day, region and service), so it cannot be
 * hashed like a password; it is sealed with AES-256-GCM under the gateway's
 * master key, with the access key id as additional data so that a sealed
 * secret copied onto another key's record does not open. The store (etcd)
 * therefore holds no usable secret; whoever has the master key file does.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SealedSecret {
  /** base64 of the 12-byte nonce, the ciphertext and the 16-byte tag. */
  iv: string;
  data: string;
  tag: string;
}

export interface SecretBox {
  seal(accessKeyId: string, secret: string): SealedSecret;
  open(accessKeyId: string, sealed: SealedSecret): string;
}

export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new TypeError('the master key must be 32 bytes');
  return {
    seal(accessKeyId, secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(Buffer.from(accessKeyId));
      const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return {
        iv: iv.toString('base64'),
        data: data.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
      };
    },
    open(accessKeyId, sealed) {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(accessKeyId));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
