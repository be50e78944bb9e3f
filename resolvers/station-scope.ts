import { GraphQLError } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import type { Context } from './context';

/**
 * An operator whose token carries a `stations` claim may act only on those
 * SPID stations (a desk operator should not start captures at another desk).
 * Checked for every mutation that names a station or a capture, in one place.
 */
export const StationScope: MiddlewareFn<Context> = async ({ context, info, args }, next) => {
  const user = context.user;
  if (info.parentType.name !== 'Mutation' || !user?.stations || user.role === 'admin') return next();
  let stationId: string | null = typeof args['stationId'] === 'string' ? args['stationId'] : null;
  if (!stationId && typeof args['captureId'] === 'string') {
    stationId = (await context.loaders.capture.load(args['captureId'].toLowerCase()))?.stationId ?? null;
  }
  if (stationId && !user.stations.includes(stationId)) {
    throw new GraphQLError(`Your token does not allow station "${stationId}"`, { extensions: { code: 'FORBIDDEN', stationId } });
  }
  return next();
};
