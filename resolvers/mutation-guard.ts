import { GraphQLError, Kind, getOperationAST, isObjectType, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { maskCpf } from '../src/domain/cpf';
import type { AuthUser } from '../src/auth/jwt';
import type { Context, Services } from './context';
import { isStoreUnavailable } from '../src/store/errors';
import { toGraphQLError } from './errors';
import { payloadEntity } from './mutation.payload';
import { userErrorsOf } from './user-error.type';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F]/g;

/** Audit targets are built from raw arguments, before any input check: keep them storable and short. */
function clean(s: string): string {
  return s.replace(CONTROL, '\uFFFD').slice(0, 120);
}

/**
 * The entity a mutation touched, for the audit record: the result's id, else the identifying argument.
 * A CPF is recorded as its keyed pseudonym (`cpf:pseud:…`): never in clear, and still attributable to the person (export, erasure).
 */
export function targetOf(args: Record<string, unknown>, result: unknown, pseudonym: (cpf: string) => string): string | null {
  const entity = payloadEntity(result);
  if (entity) return clean(`${entity.type}:${entity.id}`);
  for (const k of ['id', 'captureId', 'stationId']) if (typeof args[k] === 'string') return clean(`${k}:${args[k]}`);
  const input = args['input'] as { cpf?: unknown } | undefined;
  const cpf = typeof args['cpf'] === 'string' ? args['cpf'] : typeof input?.cpf === 'string' ? input.cpf : null;
  if (!cpf) return null;
  return /^\d{11}$/.test(cpf) ? `cpf:${pseudonym(cpf)}` : `cpf:${maskCpf(cpf)}`;
}

function codeOf(err: unknown): string {
  if (isStoreUnavailable(err)) return 'STORE_UNAVAILABLE';
  const code = err instanceof GraphQLError ? err.extensions['code'] : (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** What a client gets when its mutation could not be audited: nothing happened, retry later. */
export function auditUnavailable(): GraphQLError {
  return new GraphQLError('The audit log cannot be written; nothing was done. Retry later.', {
    extensions: { code: 'AUDIT_UNAVAILABLE', http: { status: 503 } },
  });
}

/** Contexts in which at least one mutation field went through the guard (so a request-level refusal is not audited twice). */
const guarded = new WeakSet<object>();

/**
 * Wraps every root Mutation field, outside type-graphql's own chain (whose
 * auth checker runs before any global middleware). For each attempt, in order:
 *
 * 1. rate limit (per user and per IP) — before any input work, so refusals of
 *    every kind cost the caller budget;
 * 2. an audit row is appended, PENDING — if that fails the caller gets
 *    AUDIT_UNAVAILABLE and nothing else runs (fail closed: no auth check, no
 *    upstream call, no state change);
 * 3. the field runs: auth checker, input check, station scope, validation,
 *    resolver;
 * 4. the row gets its result (OK or the error code) in one guarded transition;
 * 5. an expected business outcome (see UserErrorCode) is answered in the
 *    payload's `userErrors` instead of thrown, so aliased mutations fail
 *    independently; everything else is thrown as before.
 *
 * One row per attempt. Why not "the audit row in the same DB transaction as
 * the state change": the side effects here are upstream calls (a push to a
 * citizen, a capture at a desk) made before any state is stored, so only a row
 * written first can guarantee "no audit, no effect".
 */
export function guardMutations(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation || !isObjectType(mutation)) return schema;
  for (const field of Object.values(mutation.getFields())) {
    const inner = field.resolve as GraphQLFieldResolver<unknown, Context> | undefined;
    if (!inner) continue;
    field.resolve = async (source, args: Record<string, unknown>, context: Context, info) => {
      guarded.add(context);
      const { services, user, request } = context;
      const base = { actor: user?.sub ?? null, role: user?.role ?? null, action: info.fieldName, ip: request.ip };
      const pseudonym = (cpf: string) => services.privacy.pseudonym(cpf);
      const decision = await services.rateLimiter.consume(user ? `u:${user.sub}` : null, request.ip ? `ip:${request.ip}` : null);
      if (!decision.ok) {
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        try {
          await services.store.audit({ ...base, target: targetOf(args, null, pseudonym), result: 'RATE_LIMITED' });
        } catch (err) {
          services.logger.error({ err, action: info.fieldName }, 'audit write failed');
          throw auditUnavailable();
        }
        throw new GraphQLError(`Too many requests; retry in ${seconds} s`, {
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } },
        });
      }
      let auditId: number;
      try {
        auditId = await services.store.auditAttempt({ ...base, target: targetOf(args, null, pseudonym) });
      } catch (err) {
        services.logger.error({ err, action: info.fieldName }, 'audit write failed; mutation refused');
        // The store itself is down (not just the audit table): say so, as every other request during the outage does.
        if (isStoreUnavailable(err)) throw err;
        throw auditUnavailable();
      }
      const finish = async (result: string, target: string | null) => {
        // The attempt row already proves the call; a lost result leaves it PENDING (visible as such), never absent.
        await services.store.auditFinish(auditId, result, target).catch((err: unknown) => services.logger.error({ err, auditId }, 'audit result write failed'));
      };
      try {
        const result: unknown = await inner(source, args, context, info);
        // A create whose upstream outcome is unknown answers with the entity in UNCONFIRMED: audited as such.
        const unconfirmed = payloadEntity(result)?.status === 'UNCONFIRMED';
        await finish(unconfirmed ? 'UNCONFIRMED' : 'OK', targetOf(args, result, pseudonym));
        return result;
      } catch (err) {
        const mapped = toGraphQLError(err);
        const userErrors = userErrorsOf(mapped, args);
        // Audited with the code the caller sees, exactly as a thrown error is.
        await finish(userErrors?.[0]?.code ?? codeOf(mapped), targetOf(args, null, pseudonym));
        if (userErrors) return { userErrors };
        throw mapped;
      }
    };
  }
  return schema;
}

/** Root mutation fields of the operation a request selected, if it is a mutation. */
function mutationFields(document: DocumentNode, operationName: string | null | undefined): string[] {
  const op = getOperationAST(document, operationName ?? undefined);
  if (op?.operation !== 'mutation') return [];
  return op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '(fragment)'));
}

/**
 * A mutation refused before any field ran (invalid token, a variable that
 * does not coerce — e.g. a malformed CPF —, a query over the depth/cost/alias
 * limits): one finished record for the operation, its action the distinct
 * root fields (`a,b`), so an alias bomb is one row, not hundreds. Nothing ran,
 * so a failed write is only logged; the client already gets the refusal.
 */
export async function auditRefusedOperation(
  services: Services,
  who: { user: AuthUser | null; ip: string | null; context?: object | undefined },
  document: DocumentNode,
  operationName: string | null | undefined,
  result: string,
): Promise<void> {
  if (who.context && guarded.has(who.context)) return;
  const fields = [...new Set(mutationFields(document, operationName))];
  if (fields.length === 0) return;
  const action = clean(fields.join(','));
  await services.store
    .audit({ actor: who.user?.sub ?? null, role: who.user?.role ?? null, action, target: null, ip: who.ip, result })
    .catch((err: unknown) => services.logger.error({ err, action }, 'audit write failed'));
}
