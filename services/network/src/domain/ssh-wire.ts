/**
 * The SSH wire encoding (RFC 4251 §5) that OpenSSH public keys and private
 * key files are made of: uint32 lengths, strings and mpints.
 */

export function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/** A non-negative big-endian integer as an mpint: no leading zeros, one 0x00 added when the top bit is set. */
export function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  const needsPad = trimmed.length > 0 && ((trimmed[0] as number) & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
}

/** Reads SSH wire fields in order; `undefined` when the data runs out (the caller reports the format error). */
export class SshReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  get done(): boolean {
    return this.offset === this.data.length;
  }

  uint32(): number | undefined {
    if (this.offset + 4 > this.data.length) return undefined;
    const n = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return n;
  }

  bytes(): Buffer | undefined {
    const length = this.uint32();
    if (length === undefined || this.offset + length > this.data.length) return undefined;
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** An mpint as unsigned big-endian bytes (leading zeros removed); undefined for a negative one. */
  mpint(): Buffer | undefined {
    const raw = this.bytes();
    if (raw === undefined || (raw.length > 0 && ((raw[0] as number) & 0x80) !== 0)) return undefined;
    let start = 0;
    while (start < raw.length && raw[start] === 0) start++;
    return raw.subarray(start);
  }
}
