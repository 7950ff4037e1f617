/**
 * Minimal ASN.1 DER encoder (and a tiny reader) — just enough to build and inspect X.509 certificates.
 * Single-byte tags only (tag numbers < 31), which covers everything X.509 needs.
 */

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag-length-value with a raw (single-byte) tag. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(TAG.sequence, Buffer.concat(items));

/** SET OF: DER requires the encoded elements sorted in ascending byte order. */
export const set = (...items: Buffer[]): Buffer =>
  tlv(TAG.set, Buffer.concat([...items].sort(Buffer.compare)));

export const nullValue = (): Buffer => tlv(TAG.null, Buffer.alloc(0));

export const boolean = (value: boolean): Buffer => tlv(TAG.boolean, Buffer.from([value ? 0xff : 0x00]));

/** Non-negative INTEGER from a big-endian magnitude or a safe integer, minimally encoded. */
export function integer(value: Buffer | number): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`unsupported INTEGER ${value}`);
    const hex = value.toString(16);
    bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  } else {
    bytes = value;
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let magnitude = bytes.subarray(start);
  if (magnitude.length === 0) magnitude = Buffer.from([0]);
  if (magnitude[0]! & 0x80) magnitude = Buffer.concat([Buffer.from([0]), magnitude]);
  return tlv(TAG.integer, magnitude);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new Error(`invalid OID ${dotted}`);
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n) throw new Error(`invalid OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) chunk.unshift(Number(n & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(TAG.oid, Buffer.from(out));
}

export const utf8String = (value: string): Buffer => tlv(TAG.utf8String, Buffer.from(value, 'utf8'));

export function printableString(value: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new Error(`not a PrintableString: ${value}`);
  return tlv(TAG.printableString, Buffer.from(value, 'ascii'));
}

/** X.509 Time: UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5); whole seconds, Z. */
export function time(date: Date): Buffer {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const year = date.getUTCFullYear();
  const rest =
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) return tlv(TAG.utcTime, Buffer.from(pad(year % 100) + rest, 'ascii'));
  return tlv(TAG.generalizedTime, Buffer.from(pad(year, 4) + rest, 'ascii'));
}

export const bitString = (bytes: Buffer, unusedBits = 0): Buffer =>
  tlv(TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));

/** Named-bit BIT STRING (e.g. KeyUsage): bit 0 is the MSB of the first byte; trailing zero bits dropped. */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = bytes[bit >> 3]! | (0x80 >> (bit & 7));
  return bitString(bytes, 7 - (highest & 7));
}

export const octetString = (bytes: Buffer): Buffer => tlv(TAG.octetString, bytes);

/** [n] EXPLICIT: constructed context tag wrapping a complete encoding. */
export const explicit = (tagNumber: number, inner: Buffer): Buffer => tlv(0xa0 | tagNumber, inner);

/** [n] IMPLICIT on a primitive type: context tag replacing the universal one, raw content bytes. */
export const implicit = (tagNumber: number, content: Buffer): Buffer => tlv(0x80 | tagNumber, content);

/** A decoded element: `raw` is the full encoding, `content` the value bytes. */
export interface Tlv {
  tag: number;
  raw: Buffer;
  content: Buffer;
}

export function readTlv(buffer: Buffer, offset = 0): Tlv {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('DER: truncated header');
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[offset + 2 + i] ?? Number.NaN);
    header += count;
  }
  const end = offset + header + length;
  if (!Number.isFinite(length) || end > buffer.length) throw new Error('DER: truncated value');
  return { tag, raw: buffer.subarray(offset, end), content: buffer.subarray(offset + header, end) };
}

/** The elements inside a constructed value (SEQUENCE, SET, explicit tag). */
export function children(parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < parent.content.length; ) {
    const child = readTlv(parent.content, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}
