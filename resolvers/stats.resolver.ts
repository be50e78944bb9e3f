import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { CAPTURE_STATUSES, type CaptureStatus } from '../src/flows/capture';
import { countStats, startOfUtcDay, type StatusCount } from '../src/flows/stats';
import type { Context } from './context';
import { fromOptionalGlobalId } from './global-id';
import { DateTimeScalar } from './scalars';
import { Stats } from './stats.type';
import { TransactionStatus } from './transaction.type';

const TRANSACTION_STATUSES = new Set<string>(Object.values(TransactionStatus));
const CAPTURE_STATUS_SET = new Set<string>(CAPTURE_STATUSES);

/** Only the enum's values can be serialized; the store writes no other status, this keeps one odd row from failing the whole query. */
function known<S extends string>(list: StatusCount[], statuses: Set<string>): { status: S; count: number }[] {
  return list.filter((c) => statuses.has(c.status)) as { status: S; count: number }[];
}

@Resolver()
export class StatsResolver {
  @Authorized('viewer')
  @Query(() => Stats, {
    description:
      'Counts by status of the transactions and captures created in [since, until), each under its current status. since defaults to the start of the current UTC day, until to now. stationId narrows to that station\'s captures; transactions have no station, so none match it (as in the `events` feed).',
  })
  async stats(
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Inclusive. Default: 00:00 UTC today.' }) since: Date | null,
    @Arg('until', () => DateTimeScalar, { nullable: true, description: 'Exclusive. Default: now.' }) until: Date | null,
    @Arg('stationId', () => ID, { nullable: true, description: "A station's id (global, or during 1.x its configured id such as station-1)." }) stationId: string | null,
    @Ctx() ctx: Context,
  ): Promise<Stats> {
    const now = new Date();
    const to = until ?? now;
    const from = since ?? startOfUtcDay(to);
    if (from > to) {
      const message = 'since must not be after until';
      throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', fields: { since: message } } });
    }
    const s = await countStats(ctx.services.store, { since: from, until: to, stationId: fromOptionalGlobalId(stationId, 'Station', 'stationId') });
    return Object.assign(new Stats(), {
      since: s.since,
      until: s.until,
      transactions: { total: s.transactions.total, byStatus: known<TransactionStatus>(s.transactions.byStatus, TRANSACTION_STATUSES) },
      captures: {
        total: s.captures.total,
        byStatus: known<CaptureStatus>(s.captures.byStatus, CAPTURE_STATUS_SET),
        byStation: s.captures.byStation.map((st) => ({ stationId: st.stationId, total: st.total, byStatus: known<CaptureStatus>(st.byStatus, CAPTURE_STATUS_SET) })),
      },
    });
  }
}
