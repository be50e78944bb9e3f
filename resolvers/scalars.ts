import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTime, GraphQLSafeInt, GraphQLUUID } from 'graphql-scalars';
import { formatCpf, parseCpf } from '../src/domain/cpf';

/**
 * Thrown as a plain Error carrying `extensions`: graphql-js keeps the
 * extensions of a scalar's original error when it wraps it into the variable
 * coercion error, so clients get `code` and `fields` on bad CPFs. The
 * scalar does not know which argument it is parsing: the key is `cpf`, the
 * error's message names the variable.
 */
class CpfInputError extends Error {
  readonly extensions: Record<string, unknown>;
  constructor(problem: 'FORMAT' | 'CHECK_DIGITS') {
    super(
      problem === 'FORMAT'
        ? 'CPF must be 11 digits or formatted as 000.000.000-00'
        : 'CPF check digits are invalid',
    );
    this.extensions = { code: 'BAD_USER_INPUT', fields: { cpf: this.message } };
  }
}

function parse(value: unknown): string {
  if (typeof value !== 'string') throw new CpfInputError('FORMAT');
  const r = parseCpf(value);
  if (!r.ok) throw new CpfInputError(r.problem);
  return r.cpf;
}

/** Accepts `123.456.789-09` or `12345678909` (check digits validated); internally 11 digits; output formatted. */
export const CPFScalar = new GraphQLScalarType<string, string>({
  name: 'CPF',
  description:
    'Brazilian individual taxpayer number. Input: "123.456.789-09" or "12345678909", check digits validated. Output: formatted as 000.000.000-00, or masked as ***.***.789-09 for the viewer role — or, for data past retention or erased (LGPD), the keyed pseudonym that replaced it, as is: "pseud:" followed by 26 characters of a-z and 2-7 (never a CPF; the same for every record of that person). Pseudonyms are output only, never accepted as input.',
  serialize(value) {
    if (typeof value !== 'string') throw new TypeError('CPF serialize expects a string');
    // A pseudonym goes out unchanged: it identifies nobody without the key, and keeps the person's records linkable.
    return /^\d{11}$/.test(value) ? formatCpf(value) : value;
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new CpfInputError('FORMAT');
    return parse(ast.value);
  },
});

export { GraphQLDateTime as DateTimeScalar, GraphQLUUID as UUIDScalar, GraphQLSafeInt as SafeIntScalar };
