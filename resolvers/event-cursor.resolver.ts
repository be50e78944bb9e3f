import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from './context';
import { SafeIntScalar } from './scalars';

@Resolver()
export class EventCursorResolver {
  @Authorized('viewer')
  @Query(() => SafeIntScalar, {
    description:
      'The head of the event log, read before any other field of this request (so the snapshot you read with it already includes every event up to it). Subscribe with `afterSeq: eventCursor` to follow the snapshot without a gap; events that overlap the snapshot carry a `version` ≤ what you have — keep the higher one.',
  })
  async eventCursor(@Ctx() ctx: Context): Promise<number> {
    return ctx.eventCursor ?? ctx.services.store.latestSeq();
  }
}
