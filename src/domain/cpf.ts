/**
 * CPF (Cadastro de Pessoas Físicas): 11 digits, the last two are check digits
 * (mod 11). Accepted as `123.456.789-09` or `12345678909`; stored and sent to
 * upstreams as 11 digits.
 */

const FORMATTED = /^\d{3}\.\d{3}\.\d{3}-\d{2}$/;
const DIGITS = /^\d{11}$/;

function checkDigit(digits: string, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Number(digits[i]) * (length + 1 - i);
  const rest = (sum * 10) % 11;
  return rest === 10 ? 0 : rest;
}

/** True when `digits` (11 digits) carries valid check digits and is not a repeated digit (000…, 111…: valid by the formula, never issued). */
export function hasValidCheckDigits(digits: string): boolean {
  if (!DIGITS.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  return checkDigit(digits, 9) === Number(digits[9]) && checkDigit(digits, 10) === Number(digits[10]);
}

export type CpfProblem = 'FORMAT' | 'CHECK_DIGITS';

/** Normalizes to 11 digits, or says what is wrong. Only the two documented spellings are accepted: no spaces, no partial punctuation. */
export function parseCpf(input: string): { ok: true; cpf: string } | { ok: false; problem: CpfProblem } {
  if (typeof input !== 'string' || !(FORMATTED.test(input) || DIGITS.test(input))) return { ok: false, problem: 'FORMAT' };
  const digits = input.replace(/[.-]/g, '');
  return hasValidCheckDigits(digits) ? { ok: true, cpf: digits } : { ok: false, problem: 'CHECK_DIGITS' };
}

/** `12345678909` → `123.456.789-09`. */
export function formatCpf(digits: string): string {
  return `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}`;
}

/** The only form a CPF may take in logs or for readers who may not see it: `***.***.789-09`. */
export function maskCpf(digits: string): string {
  const d = digits.replace(/\D/g, '');
  if (d.length !== 11) return '***.***.***-**';
  return `***.***.${d.slice(6, 9)}-${d.slice(9)}`;
}

/** Completes 9 base digits with their two check digits (simulators and tests use it to mint CPFs). */
export function withCheckDigits(base9: string): string {
  if (!/^\d{9}$/.test(base9)) throw new Error('withCheckDigits needs 9 digits');
  const d10 = base9 + String(checkDigit(base9 + '0', 9));
  return d10 + String(checkDigit(d10 + '0', 10));
}
