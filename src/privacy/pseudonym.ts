import { createHmac } from 'node:crypto';
import { formatCpf } from '../domain/cpf';

/**
 * Keyed pseudonyms for CPFs (LGPD art. 13 §4): `pseud:` + the first 16 bytes
 * of HMAC-SHA256(PSEUDONYM_KEY, cpf digits) in lowercase base32 (26 chars).
 * The same CPF always gives the same pseudonym, so the records of one person
 * stay linkable after retention or erasure; without the key nobody can go
 * back to the CPF (an unkeyed hash of a CPF would be reversible: there are
 * only 10⁹ of them). The prefix and the letters make it impossible to take
 * for a CPF — in a column, in a log, or in the GraphQL `CPF` scalar.
 */

export const PSEUDONYM_PREFIX = 'pseud:';
const PSEUDONYM = /^pseud:[a-z2-7]{26}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function isPseudonym(value: string): boolean {
  return PSEUDONYM.test(value);
}

export class Pseudonymizer {
  constructor(private readonly key: string) {
    if (key.length < 32) throw new Error('PSEUDONYM_KEY must be at least 32 characters');
  }

  /** The pseudonym of an 11-digit CPF; a value that already is a pseudonym is returned unchanged. */
  of(cpf: string): string {
    if (isPseudonym(cpf)) return cpf;
    if (!/^\d{11}$/.test(cpf)) throw new Error('pseudonym: expects an 11-digit CPF');
    return PSEUDONYM_PREFIX + base32(createHmac('sha256', this.key).update(cpf).digest().subarray(0, 16));
  }
}

/** Both spellings a CPF may have inside free text or JSON (what erasure must replace). */
export function cpfSpellings(cpf: string): [string, string] {
  return [cpf, formatCpf(cpf)];
}
