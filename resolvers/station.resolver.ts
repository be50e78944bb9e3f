import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { STATION_HOLDING_STATUSES } from '../src/flows/capture';
import { Capture } from './capture.type';
import type { Context } from './context';
import { CPFScalar } from './scalars';
import { OperatorLoginResult, Station, type OperatorLoginStatus } from './station.type';

@Resolver(() => Station)
export class StationResolver {
  @Authorized('viewer')
  @Query(() => [Station], { description: 'Configured SPID stations, each asked for its Login Status now.' })
  async stations(@Ctx() ctx: Context): Promise<Station[]> {
    const list = ctx.services.captures.stationList();
    return Promise.all(list.map((s) => this.load(s.id, ctx)));
  }

  @Authorized('viewer')
  @Query(() => Station, { nullable: true })
  async station(@Arg('id', () => String) id: string, @Ctx() ctx: Context): Promise<Station | null> {
    if (!ctx.services.captures.stationList().some((s) => s.id === id)) return null;
    return this.load(id, ctx);
  }

  @Authorized('operator')
  @Mutation(() => OperatorLoginResult, { description: 'Login, then Login Status until it settles; every documented status comes back typed.' })
  async loginOperator(
    @Arg('stationId', () => String) stationId: string,
    @Arg('operatorCpf', () => CPFScalar) operatorCpf: string,
    @Ctx() ctx: Context,
  ): Promise<OperatorLoginResult> {
    const r = await ctx.services.captures.login(stationId, operatorCpf);
    return { stationId, status: r.status, operatorCpf: r.operatorCpf, loggedIn: r.status === 'OPERATOR_OK' || r.status === 'OPERATOR_OFFLINE_OK' };
  }

  private async load(id: string, ctx: Context): Promise<Station> {
    const svc = ctx.services.captures;
    const { name } = svc.station(id);
    const [state, holding] = await Promise.all([svc.stationState(id), ctx.services.store.capturesHoldingStations([id], STATION_HOLDING_STATUSES)]);
    const current = holding.get(id);
    return {
      id,
      name,
      online: state.online,
      loginStatus: (state.login?.status as OperatorLoginStatus | undefined) ?? null,
      operatorCpf: state.login?.operatorCpf ?? null,
      currentCapture: current ? Capture.from(current) : null,
    };
  }
}
