import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type { MiddlewareFn } from 'type-graphql';
import { maskCpf } from '../src/domain/cpf';
import { isStoreUnavailable } from '../src/store/errors';
import type { Context } from './context';

/** The entity a mutation touched, for the audit record: the result's id, else the identifying argument. */
function targetOf(args: Record<string, unknown>, result: unknown): string | null {
  if (result && typeof result === 'object') {
    const r = result as { id?: unknown; stationId?: unknown };
    if (typeof r.id === 'string') return `${result.constructor.name}:${r.id}`;
    if (typeof r.stationId === 'string') return `Station:${r.stationId}`;
  }
  for (const k of ['id', 'captureId', 'stationId']) if (typeof args[k] === 'string') return `${k}:${args[k]}`;
  const input = args['input'] as { cpf?: unknown } | undefined;
  const cpf = typeof args['cpf'] === 'string' ? args['cpf'] : typeof input?.cpf === 'string' ? input.cpf : null;
  return cpf ? `cpf:${maskCpf(cpf)}` : null;
}

function codeOf(err: unknown): string {
  if (isStoreUnavailable(err)) return 'STORE_UNAVAILABLE';
  const code = err instanceof GraphQLError ? err.extensions['code'] : (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Every mutation, on HTTP and WebSocket alike: rate-limited per user and per
 * IP, then audited (who, role, action, target, result, when) whether it
 * succeeded or not. Runs after the auth checker, so anonymous callers never
 * reach an upstream nor fill the audit log.
 */
export const MutationGuard: MiddlewareFn<Context> = async ({ context, info, args }, next) => {
  if (info.parentType.name !== 'Mutation' || info.path.prev !== undefined) return next();
  const { services, user, request } = context;
  const decision = await services.rateLimiter.consume(user ? `u:${user.sub}` : null, request.ip ? `ip:${request.ip}` : null);
  const base = { actor: user?.sub ?? null, role: user?.role ?? null, action: info.fieldName, ip: request.ip };
  if (!decision.ok) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    await services.store.audit({ ...base, target: targetOf(args, null), result: 'RATE_LIMITED' }).catch(() => undefined);
    throw new GraphQLError(`Too many requests; retry in ${seconds} s`, {
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } },
    });
  }
  try {
    const result: unknown = await next();
    await services.store.audit({ ...base, target: targetOf(args, result), result: 'OK' }).catch((err: unknown) => services.logger.error({ err }, 'audit write failed'));
    return result;
  } catch (err) {
    const entry = { ...base, target: targetOf(args, null), result: codeOf(err) };
    // The store is down: the audit write would only wait out the same timeout
    // again (the answer must come within 2 s). The log keeps the record.
    if (entry.result === 'STORE_UNAVAILABLE') services.logger.warn({ audit: entry }, 'audit not stored: store unavailable');
    else await services.store.audit(entry).catch((e: unknown) => services.logger.error({ err: e }, 'audit write failed'));
    throw err;
  }
};
