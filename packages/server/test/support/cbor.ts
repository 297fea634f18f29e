/** A value the tiny CBOR encoder can write. */
export type CborValue = number | string | Uint8Array | boolean | null | CborValue[] | CborMap;

/** A CBOR map; a Map keeps integer keys (COSE keys use them). */
export type CborMap = Map<number | string, CborValue> | { [key: string]: CborValue };

/** The head of a data item: major type and argument (RFC 8949 §3). */
function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  if (n < 0x100000000) return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  throw new Error('integers above 2^32 are not needed here');
}

/**
 * Encodes a value as CBOR (RFC 8949): the subset WebAuthn needs for attestation objects
 * and COSE keys: integers, byte and text strings, arrays, maps, booleans and null.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  const write = (v: CborValue): void => {
    if (v === null) out.push(0xf6);
    else if (v === true) out.push(0xf5);
    else if (v === false) out.push(0xf4);
    else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new Error('floats are not needed here');
      out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    } else if (typeof v === 'string') {
      const bytes = new TextEncoder().encode(v);
      out.push(...head(3, bytes.length), ...bytes);
    } else if (v instanceof Uint8Array) {
      out.push(...head(2, v.length), ...v);
    } else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      for (const item of v) write(item);
    } else {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      out.push(...head(5, entries.length));
      for (const [k, item] of entries) {
        write(k);
        write(item);
      }
    }
  };
  write(value);
  return new Uint8Array(out);
}
