import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { IsEmail, IsOptional, Length } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { captureFromJson } from '../src/flows/capture';
import type { CaptureRow } from '../src/store/schema';
import type { StoredEvent } from '../src/store/store';
import { Capture, CaptureEvent, CaptureEventType, CaptureMode, CaptureReport, CaptureStatus } from './capture.type';
import type { Context } from './context';
import { personOf } from './person.resolver';
import { buildConnection, compareEntityCursors, entityCursor, PageArgs, pageList, pageWindow } from './pagination';
import { CaptureConnection } from './capture.connection';
import { fromGlobalId, fromOptionalGlobalId } from './global-id';
import { Person } from './person.type';
import { CPFScalar, SafeIntScalar, UUIDScalar } from './scalars';
import { Station } from './station.type';
import type { IntentHook } from '../src/flows/record';
import { idempotent } from './idempotency';
import { stationsOf } from './station.resolver';
import {
  EnrollPayload,
  ResendPendingCapturesPayload,
  SendCapturePayload,
  StartOperatorCapturePayload,
  StartPresentialCapturePayload,
  StartRemoteEnrollPayload,
  StartRemoteVerifyPayload,
} from './mutation.payload';

const STATION_ARG = 'The station (its global id; its configured id, e.g. station-1, is accepted too during 1.x).';
const CAPTURE_ARG = 'The capture (its global id; its UUID is accepted too during 1.x).';
const station = (raw: string): string => fromGlobalId(raw, 'Station', 'stationId');

@ArgsType()
class StartPresentialArgs {
  @Field(() => ID, { description: STATION_ARG }) stationId!: string;
  @Field(() => CPFScalar, { description: 'The citizen.' }) cpf!: string;
  @Field(() => Boolean, { defaultValue: true, description: 'On PERSON_NOT_FOUND, enroll the person in the same capture.' })
  enrollIfNotFound!: boolean;
  @Field(() => Boolean, { defaultValue: true, description: 'False: stop after each step (startOperatorCapture, sendCapture).' })
  autoAdvance!: boolean;
  @Field(() => String, { nullable: true, description: 'Retry-safe key (or the Idempotency-Key header): a retry returns the first capture instead of starting another.' })
  @IsOptional()
  idempotencyKey?: string | null;
}

@ArgsType()
class EnrollArgs {
  @Field(() => ID, { description: STATION_ARG }) stationId!: string;
  @Field(() => CPFScalar, { description: 'The citizen.' }) cpf!: string;
  @Field(() => String, { nullable: true, description: 'The citizen\'s name for the SPID record (1 to 200 characters).' })
  @IsOptional()
  @Length(1, 200)
  name?: string | null;
  @Field(() => Boolean, { defaultValue: true, description: 'False: stop after each step (startOperatorCapture, sendCapture).' }) autoAdvance!: boolean;
  @Field(() => String, { nullable: true, description: 'Retry-safe key (or the Idempotency-Key header): a retry returns the first capture instead of starting another.' })
  @IsOptional()
  idempotencyKey?: string | null;
}

@ArgsType()
class RemoteArgs {
  @Field(() => ID, { description: STATION_ARG }) stationId!: string;
  @Field(() => CPFScalar, { description: 'The citizen.' }) cpf!: string;
  @Field(() => String, { nullable: true, description: 'Where the external verification service may send the link.' })
  @IsOptional()
  @IsEmail()
  email?: string | null;
  @Field(() => String, { nullable: true, description: 'Retry-safe key (or the Idempotency-Key header): a retry returns the first capture instead of starting another.' })
  @IsOptional()
  idempotencyKey?: string | null;
}

export function toCaptureEvent(e: StoredEvent): CaptureEvent {
  const capture = Capture.from({ ...captureFromJson(e.payload), version: e.seq });
  return Object.assign(new CaptureEvent(), {
    seq: e.seq,
    type: e.type as CaptureEventType,
    status: capture.status,
    detail: capture.detail,
    at: e.createdAt,
    capture,
  });
}

function stationFilter(stationKey: string | null): ((e: StoredEvent) => boolean) | undefined {
  return stationKey === null ? undefined : (e) => e.payload['stationId'] === stationKey;
}

interface CaptureSubscriptionArgs {
  captureId?: string | null;
  cpf?: string | null;
  stationId?: string | null;
  afterSeq?: number | null;
}

@Resolver(() => Capture)
export class CaptureResolver {
  @Authorized('viewer')
  @Query(() => Capture, { nullable: true, description: 'By global id (or, during 1.x, the raw UUID); null if unknown.' })
  async capture(@Arg('id', () => ID, { description: 'Global id of a Capture.' }) id: string, @Ctx() ctx: Context): Promise<Capture | null> {
    const row = await ctx.loaders.capture.load(fromGlobalId(id, 'Capture'));
    return row ? Capture.from(row) : null;
  }

  @Authorized('viewer')
  @Query(() => CaptureConnection, { description: 'Newest first.' })
  async captures(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'Only this citizen (matched on the CPF as stored).' }) cpf: string | null,
    @Arg('stationId', () => ID, { nullable: true, description: 'Global id of a Station (or its configured code).' }) stationId: string | null,
    @Arg('status', () => [CaptureStatus], { nullable: true, description: 'Only captures in one of these statuses.' }) status: CaptureStatus[] | null,
    @Arg('mode', () => CaptureMode, { nullable: true, description: 'Only presential or only remote captures.' }) mode: CaptureMode | null,
    @Ctx() ctx: Context,
  ): Promise<CaptureConnection> {
    const window = pageWindow(page, entityCursor);
    const filter = {
      cpf: cpf ?? undefined,
      stationId: fromOptionalGlobalId(stationId, 'Station', 'stationId') ?? undefined,
      statuses: status ?? undefined,
      mode: mode ?? undefined,
    };
    const res = await ctx.services.store.pageCaptures(filter, window);
    return buildConnection(CaptureConnection, window, res, entityCursor, (r) => r, (r) => Capture.from(r), () => ctx.services.store.countCaptures(filter));
  }

  @Authorized('viewer')
  @FieldResolver(() => Person, { description: 'The citizen captured.' })
  async person(@Root() c: Capture, @Ctx() ctx: Context): Promise<Person> {
    return personOf(ctx, c.cpf);
  }

  @Authorized('viewer')
  @FieldResolver(() => Station, { nullable: true, description: 'As recorded now (not as of this capture step). Null if the station is no longer configured.' })
  async station(@Root() c: Capture, @Ctx() ctx: Context): Promise<Station | null> {
    return (await stationsOf(ctx, [c.stationId]))[0] ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => CaptureReport, {
    nullable: true,
    description: 'The station report, once the gateway has stored it (see REPORT_READY); null before, when the station has none, or after retention or erasure deleted it.',
  })
  report(@Root() c: Capture, @Ctx() ctx: Context): CaptureReport | null {
    if (!c.reportFetchedAt || !c.reportSize) return null;
    return { size: c.reportSize, fetchedAt: c.reportFetchedAt, downloadUrl: ctx.request.reportUrl?.(c.id, c.stationId) ?? null };
  }

  @Authorized('viewer')
  @FieldResolver(() => [CaptureEvent], { description: 'Every recorded step, oldest first.' })
  async history(@Root() c: Capture, @Ctx() ctx: Context): Promise<CaptureEvent[]> {
    return (await ctx.loaders.history.load(c.id)).map(toCaptureEvent);
  }

  @Authorized('operator')
  @Mutation(() => StartPresentialCapturePayload, { nullable: true,
    description:
      'Starts the whole presential flow at a station and returns at once: Verify (Enroll on PERSON_NOT_FOUND), client capture, operator capture, Send, Result, Report. Every step reaches captureStatusChanged.',
  })
  async startPresentialCapture(@Args(() => StartPresentialArgs) a: StartPresentialArgs, @Ctx() ctx: Context): Promise<StartPresentialCapturePayload> {
    const input = { stationId: station(a.stationId), cpf: a.cpf, kind: 'VERIFY' as const, enrollIfNotFound: a.enrollIfNotFound, autoAdvance: a.autoAdvance };
    return Object.assign(new StartPresentialCapturePayload(), { capture: Capture.from(await this.once(ctx, 'startPresentialCapture', input, a.idempotencyKey, (onIntent) => ctx.services.captures.startPresential(input, ctx.user?.sub ?? null, onIntent))) });
  }

  @Authorized('operator')
  @Mutation(() => EnrollPayload, { nullable: true, description: 'Starts an enroll directly (e.g. after SEARCH_NOT_MATCH).' })
  async enroll(@Args(() => EnrollArgs) a: EnrollArgs, @Ctx() ctx: Context): Promise<EnrollPayload> {
    const input = { stationId: station(a.stationId), cpf: a.cpf, kind: 'ENROLL' as const, enrollIfNotFound: false, autoAdvance: a.autoAdvance, name: a.name ?? undefined };
    return Object.assign(new EnrollPayload(), { capture: Capture.from(await this.once(ctx, 'enroll', input, a.idempotencyKey, (onIntent) => ctx.services.captures.startPresential(input, ctx.user?.sub ?? null, onIntent))) });
  }

  @Authorized('operator')
  @Mutation(() => StartRemoteVerifyPayload, { nullable: true, description: 'Operator capture first, then a remote verify link for the citizen (Capture.remoteUrl).' })
  async startRemoteVerify(@Args(() => RemoteArgs) a: RemoteArgs, @Ctx() ctx: Context): Promise<StartRemoteVerifyPayload> {
    const input = { stationId: station(a.stationId), cpf: a.cpf, kind: 'VERIFY' as const, email: a.email ?? null };
    return Object.assign(new StartRemoteVerifyPayload(), { capture: Capture.from(await this.once(ctx, 'startRemoteVerify', input, a.idempotencyKey, (onIntent) => ctx.services.captures.startRemote(input, ctx.user?.sub ?? null, onIntent))) });
  }

  @Authorized('operator')
  @Mutation(() => StartRemoteEnrollPayload, { nullable: true, description: 'Operator capture first, then a remote enroll link for the citizen (Capture.remoteUrl).' })
  async startRemoteEnroll(@Args(() => RemoteArgs) a: RemoteArgs, @Ctx() ctx: Context): Promise<StartRemoteEnrollPayload> {
    const input = { stationId: station(a.stationId), cpf: a.cpf, kind: 'ENROLL' as const, email: a.email ?? null };
    return Object.assign(new StartRemoteEnrollPayload(), { capture: Capture.from(await this.once(ctx, 'startRemoteEnroll', input, a.idempotencyKey, (onIntent) => ctx.services.captures.startRemote(input, ctx.user?.sub ?? null, onIntent))) });
  }

  /** Starts at most one capture per idempotency key. */
  private once(ctx: Context, operation: string, input: unknown, key: string | null | undefined, start: (onIntent?: IntentHook) => Promise<CaptureRow>): Promise<CaptureRow> {
    return idempotent(ctx, { operation, input, kind: 'capture', key }, start, (id) => ctx.loaders.capture.load(id));
  }

  @Authorized('operator')
  @Mutation(() => StartOperatorCapturePayload, { nullable: true, description: 'Manual mode: operator capture after CLIENT_CAPTURE_DONE.' })
  async startOperatorCapture(@Arg('captureId', () => ID, { description: CAPTURE_ARG }) captureId: string, @Ctx() ctx: Context): Promise<StartOperatorCapturePayload> {
    const row = await ctx.services.captures.startOperatorCapture(fromGlobalId(captureId, 'Capture', 'captureId'));
    return Object.assign(new StartOperatorCapturePayload(), { capture: Capture.from(row) });
  }

  @Authorized('operator')
  @Mutation(() => SendCapturePayload, { nullable: true, description: 'Manual mode: send after OPERATOR_CAPTURE_DONE.' })
  async sendCapture(@Arg('captureId', () => ID, { description: CAPTURE_ARG }) captureId: string, @Ctx() ctx: Context): Promise<SendCapturePayload> {
    const row = await ctx.services.captures.sendCapture(fromGlobalId(captureId, 'Capture', 'captureId'));
    return Object.assign(new SendCapturePayload(), { capture: Capture.from(row) });
  }

  @Authorized('admin')
  @Mutation(() => ResendPendingCapturesPayload, { nullable: true, description: 'Capture Resend All on a station now (a scheduled job does it daily).' })
  async resendPendingCaptures(@Arg('stationId', () => ID, { description: STATION_ARG }) stationId: string, @Ctx() ctx: Context): Promise<ResendPendingCapturesPayload> {
    const id = station(stationId);
    const r = await ctx.services.captures.resendPending(id);
    return Object.assign(new ResendPendingCapturesPayload(), {
      station: ctx.services.captures.stationList().find((s) => s.id === id) ?? null,
      resent: r.resent.map((c) => Capture.from(c)),
      failed: r.failed,
    });
  }

  @Authorized('viewer')
  @Subscription(() => CaptureEvent, {
    description: 'Every recorded step of matching captures; no filter = every capture. With afterSeq: replay from the log, then live, no gap, no duplicate.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, CaptureSubscriptionArgs, Context>) =>
      context.services.bus.subscribe(
        { topic: 'capture', entityId: fromOptionalGlobalId(args.captureId, 'Capture', 'captureId') ?? undefined, cpf: args.cpf ?? undefined },
        args.afterSeq ?? context.request.afterSeq ?? null,
        stationFilter(fromOptionalGlobalId(args.stationId, 'Station', 'stationId')),
      ),
  })
  captureStatusChanged(
    @Root() event: StoredEvent,
    @Ctx() ctx: Context,
    @Arg('captureId', () => ID, { nullable: true, description: 'Global id of a Capture: only its steps.' }) _captureId: string | null,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'Only this citizen (matched on the CPF as stored).' }) _cpf: string | null,
    @Arg('stationId', () => ID, { nullable: true, description: 'Global id of a Station (or its configured code): only captures there.' }) _stationId: string | null,
    @Arg('afterSeq', () => SafeIntScalar, { nullable: true, description: 'Replay every matching event after this seq from the log first (or connectionParams.afterSeq).' }) _afterSeq: number | null,
  ): CaptureEvent {
    ctx.renewLoaders();
    return toCaptureEvent(event);
  }
}

@Resolver(() => Person)
export class PersonCapturesResolver {
  @Authorized('viewer')
  @FieldResolver(() => CaptureConnection, { description: "This person's captures, newest first." })
  async captures(@Root() p: Person, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: Context): Promise<CaptureConnection> {
    // One batched read of the person's whole list (a handful of rows), paged in memory like the store pages.
    const window = pageWindow(page, entityCursor);
    const all = await ctx.loaders.capturesByCpf.load(p.cpf);
    const res = pageList(all, window, (r) => r, compareEntityCursors);
    return buildConnection(CaptureConnection, window, res, entityCursor, (r) => r, (r) => Capture.from(r), async () => all.length);
  }
}
