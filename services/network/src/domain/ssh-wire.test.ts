import { describe, expect, it } from 'vitest';
import { SshReader, sshMpint, sshString, sshUint32 } from './ssh-wire.js';

describe('SSH wire encoding', () => {
  it('encodes strings and mpints as RFC 4251 says', () => {
    expect(sshString('ssh-rsa').toString('hex')).toBe('000000077373682d727361');
    // RFC 4251 examples: 0x80 needs a leading zero, leading zeros are dropped, zero is empty.
    expect(sshMpint(Buffer.from('80', 'hex')).toString('hex')).toBe('000000020080');
    expect(sshMpint(Buffer.from('0009a378f9b2e332a7', 'hex')).toString('hex')).toBe(
      '0000000809a378f9b2e332a7',
    );
    expect(sshMpint(Buffer.alloc(0)).toString('hex')).toBe('00000000');
    expect(sshUint32(0x01020304).toString('hex')).toBe('01020304');
  });

  it('reads back what it wrote and reports truncation', () => {
    const data = Buffer.concat([sshString('ssh-ed25519'), sshMpint(Buffer.from('ff01', 'hex'))]);
    const reader = new SshReader(data);
    expect(reader.bytes()?.toString()).toBe('ssh-ed25519');
    expect(reader.mpint()?.toString('hex')).toBe('ff01');
    expect(reader.done).toBe(true);
    expect(reader.bytes()).toBeUndefined();
    expect(new SshReader(Buffer.from('0000000a6162', 'hex')).bytes()).toBeUndefined();
    expect(new SshReader(sshString(Buffer.from('80', 'hex'))).mpint()).toBeUndefined();
  });
});
