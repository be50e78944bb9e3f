import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capture } from './capture.type';
import type { Context } from './context';
import { CPFScalar } from './scalars';
import { fromGlobalId } from './global-id';
import { LoginOperatorPayload } from './mutation.payload';
import { OperatorLoginStatus, Station } from './station.type';

@Resolver(() => Station)
export class StationResolver {
  @Authorized('viewer')
  @Query(() => [Station], { description: 'Configured SPID stations. Live fields (online, login) ask the station when selected.' })
  stations(@Ctx() ctx: Context): Station[] {
    return ctx.services.captures.stationList();
  }

  @Authorized('viewer')
  @Query(() => Station, { nullable: true })
  async station(@Arg('id', () => String) id: string, @Ctx() ctx: Context): Promise<Station | null> {
    return ctx.services.captures.stationList().find((s) => s.id === id) ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => Boolean, { description: 'The station answered Login Status just now.' })
  async online(@Root() s: Station, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.stationState.load(s.id)).online;
  }

  @Authorized('viewer')
  @FieldResolver(() => OperatorLoginStatus, { nullable: true })
  async loginStatus(@Root() s: Station, @Ctx() ctx: Context): Promise<OperatorLoginStatus | null> {
    return ((await ctx.loaders.stationState.load(s.id)).login?.status as OperatorLoginStatus | undefined) ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => String, { nullable: true, description: 'Login Status exactly as the station sent it (see loginStatus UNKNOWN).' })
  async loginStatusCode(@Root() s: Station, @Ctx() ctx: Context): Promise<string | null> {
    return (await ctx.loaders.stationState.load(s.id)).login?.statusCode ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => CPFScalar, { nullable: true, description: 'The logged-in operator.' })
  async operatorCpf(@Root() s: Station, @Ctx() ctx: Context): Promise<string | null> {
    return (await ctx.loaders.stationState.load(s.id)).login?.operatorCpf ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => Capture, { nullable: true, description: 'The capture holding the reader, if any.' })
  async currentCapture(@Root() s: Station, @Ctx() ctx: Context): Promise<Capture | null> {
    const row = await ctx.loaders.stationCapture.load(s.id);
    return row ? Capture.from(row) : null;
  }

  @Authorized('operator')
  @Mutation(() => LoginOperatorPayload, {
    nullable: true,
    description:
      'Login (a settled answer), confirmed with Login Status when it succeeded; every documented status comes back typed, anything else as UNKNOWN. Returns the Station, so a cached one can be refreshed.',
  })
  async loginOperator(
    @Arg('stationId', () => ID, { description: 'The station (its global id; its configured id, e.g. station-1, is accepted too during 1.x).' }) stationId: string,
    @Arg('operatorCpf', () => CPFScalar, { description: 'The operator logging in.' }) operatorCpf: string,
    @Ctx() ctx: Context,
  ): Promise<LoginOperatorPayload> {
    const id = fromGlobalId(stationId, 'Station', 'stationId');
    const r = await ctx.services.captures.login(id, operatorCpf);
    // The station's live fields (online, loginStatus, operatorCpf) were loaded before the login, maybe: ask again.
    ctx.loaders.stationState.clear(id);
    return Object.assign(new LoginOperatorPayload(), {
      station: ctx.services.captures.stationList().find((s) => s.id === id) ?? null,
      status: r.status,
      statusCode: r.statusCode,
      operatorCpf: r.operatorCpf,
      loggedIn: r.status === 'OPERATOR_OK' || r.status === 'OPERATOR_OFFLINE_OK',
    });
  }
}
