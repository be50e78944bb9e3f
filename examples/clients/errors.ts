/**
 * Two kinds of failure, told apart by where the code is:
 * - top-level `errors[].extensions.code` — the request (or one field) could not run:
 *   UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED (`retryAfterSeconds`), BAD_USER_INPUT
 *   (`fields: { "<argument path>": "<message>" }`), limits, *_UNAVAILABLE, INTERNAL_SERVER_ERROR;
 * - a mutation payload's `userErrors[].code` — an expected business outcome, typed by
 *   codegen (`UserErrorCode`): STATION_BUSY, WRONG_STATE, NOT_FOUND, BAD_USER_INPUT, …
 *   Aliased mutations fail independently: check each payload.
 */
export type TopLevelError = { code: string; message: string; fields?: Record<string, string>; retryAfterSeconds?: number };

/** Apollo: `CombinedGraphQLErrors.is(error) && error.errors`; urql: `result.error?.graphQLErrors`. */
export function topLevelErrors(errors: readonly { message: string; extensions?: Readonly<Record<string, unknown>> }[] | undefined): TopLevelError[] {
  return (errors ?? []).map((e) => {
    const ext = e.extensions ?? {};
    return {
      code: typeof ext['code'] === 'string' ? ext['code'] : 'INTERNAL_SERVER_ERROR',
      message: e.message,
      ...(ext['fields'] && typeof ext['fields'] === 'object' ? { fields: ext['fields'] as Record<string, string> } : {}),
      ...(typeof ext['retryAfterSeconds'] === 'number' ? { retryAfterSeconds: ext['retryAfterSeconds'] } : {}),
    };
  });
}

/** A payload's entity, or the payload's first userError (thrown) when the business rules said no. */
export function payloadResult<P extends { userErrors: readonly { code: string; field?: readonly string[] | null; message: string }[] }, K extends keyof P>(
  payload: P | null | undefined,
  key: K,
): NonNullable<P[K]> {
  if (!payload) throw new Error('mutation did not run (see the top-level errors)');
  const [first] = payload.userErrors;
  if (first) throw Object.assign(new Error(first.message), { code: first.code, field: first.field ?? null });
  const entity = payload[key];
  if (entity === null || entity === undefined) throw new Error(`payload has no ${String(key)}`);
  return entity;
}
