import { GraphQLError } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { roleSatisfies, type AuthUser } from '../src/auth/jwt';
import type { Capture } from './capture.type';
import type { Context } from './context';
import { keyOrNull } from './global-id';

/** Admins, and operators whose token allows the station (no `stations` claim = every station). */
export function mayActOnStation(user: AuthUser | null, stationId: string): boolean {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return roleSatisfies(user.role, 'operator') && (!user.stations || user.stations.includes(stationId));
}

/**
 * `Capture.remoteUrl` is a capability: whoever holds it can submit that
 * citizen's capture. Only those who may act on the capture's station see it;
 * everyone else reads null (on queries, subscriptions and replays alike).
 */
export const CapabilityLink: MiddlewareFn<Context> = async ({ context, root }, next) => {
  const capture = root as Capture;
  if (!mayActOnStation(context.user, capture.stationId)) return null;
  return next();
};

/**
 * An operator whose token carries a `stations` claim may act only on those
 * SPID stations (a desk operator should not start captures at another desk).
 * Checked for every mutation that names a station or a capture, in one place.
 */
export const StationScope: MiddlewareFn<Context> = async ({ context, info, args }, next) => {
  const user = context.user;
  if (info.parentType.name !== 'Mutation' || !user?.stations || user.role === 'admin') return next();
  // Id arguments may be global ids or raw keys (1.x): compare configured station ids.
  let stationId: string | null = typeof args['stationId'] === 'string' ? keyOrNull(args['stationId'], 'Station') ?? args['stationId'] : null;
  const captureKey = !stationId && typeof args['captureId'] === 'string' ? keyOrNull(args['captureId'], 'Capture') : null;
  if (captureKey) stationId = (await context.loaders.capture.load(captureKey))?.stationId ?? null;
  if (stationId && !user.stations.includes(stationId)) {
    throw new GraphQLError(`Your token does not allow station "${stationId}"`, { extensions: { code: 'FORBIDDEN', stationId } });
  }
  return next();
};
