import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, ID, Resolver, Root, Subscription, createUnionType, registerEnumType } from 'type-graphql';
import type { ClassType, SubscribeResolverData } from 'type-graphql';
import type { StoredEvent, Topic } from '../src/store/store';
import { toCaptureEvent } from './capture.resolver';
import { CaptureEvent } from './capture.type';
import type { Context } from './context';
import { fromOptionalGlobalId } from './global-id';
import { CPFScalar, SafeIntScalar } from './scalars';
import { toStationEvent } from './station.resolver';
import { StationEvent } from './station.type';
import { toTransactionEvent } from './transaction.resolver';
import { TransactionEvent } from './transaction-event.type';

export enum EventKind {
  TRANSACTION = 'TRANSACTION',
  CAPTURE = 'CAPTURE',
  STATION = 'STATION',
}
registerEnumType(EventKind, {
  name: 'EventKind',
  description: 'The kinds of change the `events` feed carries.',
  valuesConfig: {
    TRANSACTION: { description: 'Proof-of-life transactions (TransactionEvent).' },
    CAPTURE: { description: 'SPID captures (CaptureEvent).' },
    STATION: { description: 'Station state: online/offline, operator login/logout, busy/free (StationEvent).' },
  },
});

/** One kind of event in the feed: where it lives in the log, its GraphQL type, and which filters it can match. */
interface FeedMember {
  kind: EventKind;
  topic: Topic;
  type: ClassType;
  toEvent(e: StoredEvent, ctx: Context): object;
  /** The event's station, or null for kinds that have none (a `stationId` filter then excludes the kind). */
  stationOf: ((e: StoredEvent) => unknown) | null;
  /** Whether the kind carries a CPF (a `cpf` filter excludes the kinds that do not). */
  hasCpf: boolean;
}

/**
 * The feed's kinds. Adding one (station events) is one entry here: its type
 * joins the `FeedEvent` union, its topic the replay and live filter.
 */
const MEMBERS: readonly FeedMember[] = [
  { kind: EventKind.TRANSACTION, topic: 'transaction', type: TransactionEvent, toEvent: toTransactionEvent, stationOf: null, hasCpf: true },
  { kind: EventKind.CAPTURE, topic: 'capture', type: CaptureEvent, toEvent: toCaptureEvent, stationOf: (e) => e.payload['stationId'], hasCpf: true },
  // A station event's entity is the station; its operator's CPF is not a citizen's, so a `cpf` filter excludes it.
  { kind: EventKind.STATION, topic: 'station', type: StationEvent, toEvent: toStationEvent, stationOf: (e) => e.entityId, hasCpf: false },
];

export const FeedEvent = createUnionType({
  name: 'FeedEvent',
  description: 'One change in the combined `events` feed; `seq` orders all of them.',
  types: () => MEMBERS.map((m) => m.type) as readonly ClassType[],
  // Every payload is built by its member's `toEvent`, an instance of its class.
  resolveType: (value) => MEMBERS.find((m) => value instanceof m.type)?.type,
});

interface FeedArgs {
  afterSeq?: number | null;
  kinds?: EventKind[] | null;
  stationId?: string | null;
  cpf?: string | null;
}

/**
 * What a feed subscription listens to. Filters are exact and combine with
 * AND: an event is delivered only if its kind was asked for and it matches
 * every filter given — so a kind without a station (transactions) never
 * matches a `stationId` filter, and a kind without a CPF never matches `cpf`.
 */
export function feedSpec(args: FeedArgs): { topics: Topic[]; stationId: string | null; extra: ((e: StoredEvent) => boolean) | undefined } {
  if (args.kinds && args.kinds.length === 0) {
    const message = 'Give at least one kind, or leave kinds out for every kind';
    throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', fields: { kinds: message } } });
  }
  const kinds = new Set(args.kinds ?? Object.values(EventKind));
  const stationId = fromOptionalGlobalId(args.stationId, 'Station', 'stationId');
  const members = MEMBERS.filter((m) => kinds.has(m.kind) && (!stationId || m.stationOf) && (!args.cpf || m.hasCpf));
  const stationOf = new Map(members.map((m) => [m.topic, m.stationOf]));
  const extra = stationId ? (e: StoredEvent) => stationOf.get(e.topic)?.(e) === stationId : undefined;
  return { topics: members.map((m) => m.topic), stationId, extra };
}

@Resolver()
export class FeedResolver {
  @Authorized('viewer')
  @Subscription(() => FeedEvent, {
    description:
      'Every recorded change of the chosen kinds (default: all), in log order: one resume position for a whole dashboard. With afterSeq (or connectionParams.afterSeq), first the events after it from the log, then live, without gap or duplicate. Filters are exact and combine: stationId matches captures (and station events), cpf matches transactions and captures; a kind that lacks the field is not delivered while that filter is set.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, FeedArgs, Context>) => {
      const spec = feedSpec(args);
      return context.services.bus.subscribe({ topic: spec.topics, cpf: args.cpf ?? undefined }, args.afterSeq ?? context.request.afterSeq ?? null, spec.extra);
    },
  })
  events(
    @Root() event: StoredEvent,
    @Ctx() ctx: Context,
    @Arg('afterSeq', () => SafeIntScalar, { nullable: true, description: 'Replay every matching event after this seq from the log first (or connectionParams.afterSeq).' }) _afterSeq: number | null,
    @Arg('kinds', () => [EventKind], { nullable: true, description: 'The kinds to deliver; default all. An empty list is refused.' }) _kinds: EventKind[] | null,
    @Arg('stationId', () => ID, { nullable: true, description: "A station's id (global, or during 1.x its configured id such as station-1)." }) _stationId: string | null,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'Only this citizen (matched on the CPF as stored).' }) _cpf: string | null,
  ): object {
    ctx.renewLoaders();
    const member = MEMBERS.find((m) => m.topic === event.topic);
    // The spec's topics come from MEMBERS, so another topic cannot reach here.
    if (!member) throw new Error(`no feed member for topic ${event.topic}`);
    return member.toEvent(event, ctx);
  }
}
