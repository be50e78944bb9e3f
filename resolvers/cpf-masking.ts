import { getNamedType } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { maskCpf } from '../src/domain/cpf';
import { isPseudonym } from '../src/privacy/pseudonym';
import type { Context } from './context';

/**
 * LGPD data minimisation: a viewer (dashboards, read-only consoles) sees
 * CPFs masked as `***.***.789-09` — wherever a CPF field appears, in queries
 * and in subscription payloads alike, because it runs on every field.
 */
export const CpfMasking: MiddlewareFn<Context> = async ({ context, info }, next) => {
  const value: unknown = await next();
  if (context.user?.role !== 'viewer' || getNamedType(info.returnType).name !== 'CPF') return value;
  // A pseudonym is already not a CPF: shown as is, so viewers can still tell records of one person apart.
  return typeof value === 'string' && !isPseudonym(value) ? maskCpf(value) : value;
};
