import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import { roleSatisfies, type Role } from '../src/auth/jwt';
import type { Context } from './context';

/**
 * One checker for HTTP and WebSocket (both build the same Context). The
 * lowest role listed in `@Authorized(...)` is the requirement; roles nest
 * (admin ⊃ operator ⊃ viewer).
 */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  const user = context.user;
  // Thrown as GraphQLErrors: type-graphql runs the checker outside the global middlewares.
  if (!user) throw unauthenticated('Authentication required: send a bearer token');
  // Same 30 s clock tolerance as verification.
  if (user.exp !== null && user.exp * 1000 + 30_000 < Date.now()) throw unauthenticated('Token expired');
  if (roles.length === 0) return true;
  if (roles.some((r) => roleSatisfies(user.role, r))) return true;
  throw new GraphQLError(`This operation needs the role ${roles.join(' or ')}`, { extensions: { code: 'FORBIDDEN' } });
};

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}
