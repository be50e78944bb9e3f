import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { stationFromJson } from '../src/flows/station';
import type { StoredEvent } from '../src/store/store';
import { Capture } from './capture.type';
import type { Context } from './context';
import { fromGlobalId, fromOptionalGlobalId } from './global-id';
import { CPFScalar, SafeIntScalar } from './scalars';
import { LoginOperatorPayload } from './mutation.payload';
import { Station, StationEvent, type StationEventType } from './station.type';

/** The recorded state of configured stations, in configuration order (one store read for all). */
export async function stationsOf(ctx: Context, ids: readonly string[]): Promise<(Station | null)[]> {
  const configured = new Map(ctx.services.captures.stationList().map((s) => [s.id, s]));
  const rows = await ctx.loaders.station.loadMany(ids);
  return ids.map((id, i) => {
    const config = configured.get(id);
    const row = rows[i];
    if (!config || !row || row instanceof Error) return null;
    return Station.from(config, row);
  });
}

export function toStationEvent(e: StoredEvent, ctx: Context): StationEvent {
  const row = stationFromJson(e.payload);
  const name = ctx.services.captures.stationList().find((s) => s.id === row.id)?.name ?? row.id;
  return Object.assign(new StationEvent(), {
    seq: e.seq,
    at: e.createdAt,
    type: e.type as StationEventType,
    station: Station.from({ id: row.id, name }, { ...row, version: e.seq }),
  });
}

interface StationSubscriptionArgs {
  stationId?: string | null;
  afterSeq?: number | null;
}

@Resolver(() => Station)
export class StationResolver {
  @Authorized('viewer')
  @Query(() => [Station], { description: 'Configured SPID stations, as recorded (never calls a station).' })
  async stations(@Ctx() ctx: Context): Promise<Station[]> {
    const list = await stationsOf(ctx, ctx.services.captures.stationList().map((s) => s.id));
    return list.filter((s): s is Station => s !== null);
  }

  @Authorized('viewer')
  @Query(() => Station, { nullable: true, description: 'By global id (or its configured code, e.g. station-1); null if not configured.' })
  async station(@Arg('id', () => ID, { description: 'Global id of a Station, or its code.' }) id: string, @Ctx() ctx: Context): Promise<Station | null> {
    return (await stationsOf(ctx, [fromGlobalId(id, 'Station')]))[0] ?? null;
  }

  @FieldResolver(() => String, { description: 'The configured id of the station (SPID_STATIONS), e.g. station-1: what operators and tokens name it by.' })
  code(@Root() s: Station): string {
    return s.id;
  }

  @Authorized('viewer')
  @FieldResolver(() => Capture, { nullable: true, description: 'The capture holding the reader, if any.' })
  async currentCapture(@Root() s: Station, @Ctx() ctx: Context): Promise<Capture | null> {
    if (!s.currentCaptureId) return null;
    const row = await ctx.loaders.capture.load(s.currentCaptureId);
    return row ? Capture.from(row) : null;
  }

  @Authorized('operator')
  @Mutation(() => LoginOperatorPayload, {
    nullable: true,
    description:
      'Login (a settled answer), confirmed with Login Status when it succeeded; every documented status comes back typed, anything else as UNKNOWN. The new login state is recorded as a station event at once, and the Station is returned so a cached one is refreshed.',
  })
  async loginOperator(
    @Arg('stationId', () => ID, { description: 'The station (its global id; its configured id, e.g. station-1, is accepted too during 1.x).' }) stationId: string,
    @Arg('operatorCpf', () => CPFScalar, { description: 'The operator logging in.' }) operatorCpf: string,
    @Ctx() ctx: Context,
  ): Promise<LoginOperatorPayload> {
    const id = fromGlobalId(stationId, 'Station', 'stationId');
    const r = await ctx.services.captures.login(id, operatorCpf);
    // The login recorded the station's new state; this request may have loaded the old one before.
    ctx.loaders.station.clear(id);
    return Object.assign(new LoginOperatorPayload(), {
      station: (await stationsOf(ctx, [id]))[0] ?? null,
      status: r.status,
      statusCode: r.statusCode,
      operatorCpf: r.operatorCpf,
      loggedIn: r.status === 'OPERATOR_OK' || r.status === 'OPERATOR_OFFLINE_OK',
    });
  }

  @Authorized('viewer')
  @Subscription(() => StationEvent, {
    description:
      'Every recorded change of the stations (or of one): online/offline, operator login/logout, busy/free. With afterSeq: replay from the log, then live, no gap, no duplicate.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, StationSubscriptionArgs, Context>) =>
      context.services.bus.subscribe({ topic: 'station', entityId: fromOptionalGlobalId(args.stationId, 'Station', 'stationId') ?? undefined }, args.afterSeq ?? context.request.afterSeq ?? null),
  })
  stationStatusChanged(
    @Root() event: StoredEvent,
    @Ctx() ctx: Context,
    @Arg('stationId', () => ID, { nullable: true, description: "A station's global id (or, during 1.x, its code such as station-1); omit for every station." }) _stationId: string | null,
    @Arg('afterSeq', () => SafeIntScalar, { nullable: true, description: 'Replay every event after this seq from the log first.' }) _afterSeq: number | null,
  ): StationEvent {
    ctx.renewLoaders();
    return toStationEvent(event, ctx);
  }
}
