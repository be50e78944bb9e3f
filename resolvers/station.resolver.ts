import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Capture } from './capture.type';
import type { Context } from './context';
import { fromGlobalId } from './global-id';
import { CPFScalar } from './scalars';
import { OperatorLoginResult, OperatorLoginStatus, Station } from './station.type';

@Resolver(() => Station)
export class StationResolver {
  @Authorized('viewer')
  @Query(() => [Station], { description: 'Configured SPID stations. Live fields (online, login) ask the station when selected.' })
  stations(@Ctx() ctx: Context): Station[] {
    return ctx.services.captures.stationList();
  }

  @Authorized('viewer')
  @Query(() => Station, { nullable: true, description: 'By global id (or its configured code, e.g. station-1); null if not configured.' })
  async station(@Arg('id', () => ID, { description: 'Global id of a Station, or its code.' }) id: string, @Ctx() ctx: Context): Promise<Station | null> {
    const code = fromGlobalId(id, 'Station');
    return ctx.services.captures.stationList().find((s) => s.id === code) ?? null;
  }

  @FieldResolver(() => String, { description: 'The configured id of the station (SPID_STATIONS), e.g. station-1: what operators and tokens name it by.' })
  code(@Root() s: Station): string {
    return s.id;
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
  @Mutation(() => OperatorLoginResult, {
    description: 'Login (a settled answer), confirmed with Login Status when it succeeded; every documented status comes back typed, anything else as UNKNOWN.',
  })
  async loginOperator(
    @Arg('stationId', () => String) stationId: string,
    @Arg('operatorCpf', () => CPFScalar) operatorCpf: string,
    @Ctx() ctx: Context,
  ): Promise<OperatorLoginResult> {
    const r = await ctx.services.captures.login(stationId, operatorCpf);
    return {
      stationId,
      status: r.status,
      statusCode: r.statusCode,
      operatorCpf: r.operatorCpf,
      loggedIn: r.status === 'OPERATOR_OK' || r.status === 'OPERATOR_OFFLINE_OK',
    };
  }
}
