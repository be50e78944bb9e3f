/**
 * Mutations answer with `<Name>Payload { <entity>, userErrors }`. Tests that
 * expect success read the entity straight: `unwrap` fails the test with the
 * userErrors when there are any, and replaces each single-entity payload by
 * its entity (payloads with several fields, e.g. loginOperator's, stay as they are).
 */
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;
type Entity<P> = Exclude<keyof P, 'userErrors' | '__typename'> extends infer K extends keyof P
  ? true extends IsUnion<K>
    ? P
    : NonNullable<P[K]>
  : P;
export type Unwrapped<R> = { [K in keyof R]: NonNullable<R[K]> extends { userErrors: unknown } ? Entity<NonNullable<R[K]>> : R[K] };

export interface UserErrorShape {
  code: string;
  field?: readonly string[] | null;
  message: string;
}

/** Throws when any root field of `data` carries userErrors. */
export function assertNoUserErrors(data: unknown): void {
  if (!data || typeof data !== 'object') return;
  for (const [key, value] of Object.entries(data)) {
    const errs = (value as { userErrors?: UserErrorShape[] } | null)?.userErrors;
    if (errs?.length) throw new Error(`${key}: userErrors ${JSON.stringify(errs)}`);
  }
}

export function unwrap<R>(data: R): Unwrapped<R> {
  assertNoUserErrors(data);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (value && typeof value === 'object' && 'userErrors' in value) {
      const keys = Object.keys(value).filter((k) => k !== 'userErrors' && k !== '__typename');
      if (keys.length === 1) {
        const entity = (value as Record<string, unknown>)[keys[0]!];
        if (entity == null) throw new Error(`${key}: no ${keys[0]} and no userErrors`);
        out[key] = entity;
        continue;
      }
    }
    out[key] = value;
  }
  return out as Unwrapped<R>;
}

/**
 * The userErrors of the mutation at root field `key`: fails the test when the
 * response has top-level errors, or when the payload also carries an entity.
 */
export function userErrorsAt(r: { data?: unknown; errors?: unknown[] }, key: string): UserErrorShape[] {
  if (r.errors?.length) throw new Error(`expected userErrors, got top-level errors ${JSON.stringify(r.errors)}`);
  const payload = (r.data as Record<string, Record<string, unknown> | null> | null | undefined)?.[key];
  if (!payload) throw new Error(`no payload at ${key}: ${JSON.stringify(r.data)}`);
  const errs = payload['userErrors'] as UserErrorShape[];
  if (!errs?.length) throw new Error(`${key}: no userErrors in ${JSON.stringify(payload)}`);
  for (const [k, v] of Object.entries(payload)) if (k !== 'userErrors' && k !== '__typename' && v != null) throw new Error(`${key}.${k} set despite userErrors`);
  return errs;
}

/** The first userError at root field `key` (see userErrorsAt). */
export const userErrorAt = (r: { data?: unknown; errors?: unknown[] }, key: string): UserErrorShape => userErrorsAt(r, key)[0]!;
