import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type { MiddlewareFn } from 'type-graphql';
import { maskCpf } from '../src/domain/cpf';
import type { Context } from './context';

/**
 * The entity a mutation touched, for the audit record: the result's id, else the identifying argument.
 * A CPF is recorded as its keyed pseudonym (`cpf:pseud:…`): never in clear, and still attributable to the person (export, erasure).
 */
function targetOf(args: Record<string, unknown>, result: unknown, pseudonym: (cpf: string) => string): string | null {
  if (result && typeof result === 'object') {
    const r = result as { id?: unknown; stationId?: unknown };
    if (typeof r.id === 'string') return `${result.constructor.name}:${r.id}`;
    if (typeof r.stationId === 'string') return `Station:${r.stationId}`;
  }
  for (const k of ['id', 'captureId', 'stationId']) if (typeof args[k] === 'string') return `${k}:${args[k]}`;
  const input = args['input'] as { cpf?: unknown } | undefined;
  const cpf = typeof args['cpf'] === 'string' ? args['cpf'] : typeof input?.cpf === 'string' ? input.cpf : null;
  if (!cpf) return null;
  return /^\d{11}$/.test(cpf) ? `cpf:${pseudonym(cpf)}` : `cpf:${maskCpf(cpf)}`;
}

function codeOf(err: unknown): string {
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
  const pseudonym = (cpf: string) => services.privacy.pseudonym(cpf);
  const decision = await services.rateLimiter.consume(user ? `u:${user.sub}` : null, request.ip ? `ip:${request.ip}` : null);
  const base = { actor: user?.sub ?? null, role: user?.role ?? null, action: info.fieldName, ip: request.ip };
  if (!decision.ok) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    await services.store.audit({ ...base, target: targetOf(args, null, pseudonym), result: 'RATE_LIMITED' }).catch(() => undefined);
    throw new GraphQLError(`Too many requests; retry in ${seconds} s`, {
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } },
    });
  }
  try {
    const result: unknown = await next();
    await services.store.audit({ ...base, target: targetOf(args, result, pseudonym), result: 'OK' }).catch((err: unknown) => services.logger.error({ err }, 'audit write failed'));
    return result;
  } catch (err) {
    await services.store
      .audit({ ...base, target: targetOf(args, null, pseudonym), result: codeOf(err) })
      .catch((e: unknown) => services.logger.error({ err: e }, 'audit write failed'));
    throw err;
  }
};
