import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { transactionFromJson } from '../src/flows/proof-of-life';
import type { StoredEvent } from '../src/store/store';
import type { Context } from './context';
import { personOf } from './person.resolver';
import { buildConnection, entityCursor, PageArgs, pageWindow } from './pagination';
import { fromGlobalId, fromOptionalGlobalId } from './global-id';
import { Person } from './person.type';
import { RequestProofOfLifeInput } from './proof-of-life.input';
import { CPFScalar, SafeIntScalar, UUIDScalar } from './scalars';
import { TransactionConnection } from './transaction.connection';
import { TransactionEvent, TransactionEventType } from './transaction-event.type';
import { Transaction, TransactionStatus } from './transaction.type';
import { idempotent } from './idempotency';
import { CancelProofOfLifePayload, RequestProofOfLifePayload } from './mutation.payload';

interface TransactionSubscriptionArgs {
  transactionId?: string | null;
  cpf?: string | null;
  afterSeq?: number | null;
}

/** Store event → GraphQL payload; the transaction rides inside as it was at that seq. */
export function toTransactionEvent(e: StoredEvent): TransactionEvent {
  return Object.assign(new TransactionEvent(), {
    seq: e.seq,
    type: e.type as TransactionEventType,
    at: e.createdAt,
    // Events recorded before versions existed carry none in their payload: the state right after seq N has version N.
    transaction: Transaction.from({ ...transactionFromJson(e.payload), version: e.seq }),
  });
}

@Resolver(() => Transaction)
export class TransactionResolver {
  @Authorized('viewer')
  @Query(() => Transaction, { nullable: true, description: 'By global id (or, during 1.x, the raw UUID); null if unknown.' })
  async transaction(@Arg('id', () => ID, { description: 'Global id of a Transaction.' }) id: string, @Ctx() ctx: Context): Promise<Transaction | null> {
    const row = await ctx.loaders.transaction.load(fromGlobalId(id, 'Transaction'));
    return row ? Transaction.from(row) : null;
  }

  @Authorized('viewer')
  @Query(() => TransactionConnection, { description: 'Newest first.' })
  async transactions(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'Only this citizen (matched on the CPF as stored).' }) cpf: string | null,
    @Arg('status', () => [TransactionStatus], { nullable: true, description: 'Only transactions in one of these statuses.' }) status: TransactionStatus[] | null,
    @Ctx() ctx: Context,
  ): Promise<TransactionConnection> {
    const window = pageWindow(page, entityCursor);
    const filter = { cpf: cpf ?? undefined, statuses: status ?? undefined };
    const res = await ctx.services.store.pageTransactions(filter, window);
    const toNode = (r: (typeof res.rows)[number]) => {
      ctx.loaders.transaction.prime(r.id, r);
      return Transaction.from(r);
    };
    return buildConnection(TransactionConnection, window, res, entityCursor, (r) => r, toNode, () => ctx.services.store.countTransactions(filter));
  }

  @Authorized('viewer')
  @FieldResolver(() => Person, { description: 'The citizen asked.' })
  async person(@Root() t: Transaction, @Ctx() ctx: Context): Promise<Person> {
    return personOf(ctx, t.cpf);
  }

  @Authorized('operator')
  @Mutation(() => RequestProofOfLifePayload, {
    nullable: true,
    description: 'Asks the citizen for a proof of life in the gov.br app. Returns at once; follow it with transactionResponseChanged.',
  })
  async requestProofOfLife(
    @Arg('input', () => RequestProofOfLifeInput, { description: 'What to ask the citizen, and how.' }) input: RequestProofOfLifeInput,
    @Ctx() ctx: Context,
  ): Promise<RequestProofOfLifePayload> {
    const { idempotencyKey, ...fields } = input;
    const row = await idempotent(
      ctx,
      { operation: 'requestProofOfLife', input: fields, kind: 'transaction', key: idempotencyKey },
      (onIntent) =>
        ctx.services.proofOfLife.request(
          {
            cpf: input.cpf,
            reason: input.reason,
            kind: input.kind,
            expiresInMinutes: input.expiresInMinutes,
            sealReuseWindowMinutes: input.sealReuseWindowMinutes ?? undefined,
            category: input.category ?? undefined,
            failureMessage: input.failureMessage,
            successMessage: input.successMessage,
          },
          ctx.user?.sub ?? null,
          onIntent,
        ),
      (id) => ctx.loaders.transaction.load(id),
    );
    return Object.assign(new RequestProofOfLifePayload(), { transaction: Transaction.from(row) });
  }

  @Authorized('admin')
  @Mutation(() => CancelProofOfLifePayload, { nullable: true, description: 'Cancels an unanswered proof of life (API version vbeta4).' })
  async cancelProofOfLife(
    @Arg('id', () => ID, { description: 'The transaction (its global id; its UUID is accepted too during 1.x).' }) id: string,
    @Ctx() ctx: Context,
  ): Promise<CancelProofOfLifePayload> {
    const row = await ctx.services.proofOfLife.cancel(fromGlobalId(id, 'Transaction', 'id'));
    return Object.assign(new CancelProofOfLifePayload(), { transaction: Transaction.from(row) });
  }

  @Authorized('viewer')
  @Subscription(() => TransactionEvent, {
    description:
      'Every recorded change of matching transactions. No filter = every transaction (the dashboard feed). With afterSeq, first the events after it from the log, then live, without gap or duplicate.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, TransactionSubscriptionArgs, Context>) =>
      context.services.bus.subscribe(
        { topic: 'transaction', entityId: fromOptionalGlobalId(args.transactionId, 'Transaction', 'transactionId') ?? undefined, cpf: args.cpf ?? undefined },
        args.afterSeq ?? context.request.afterSeq ?? null,
      ),
  })
  transactionResponseChanged(
    @Root() event: StoredEvent,
    @Ctx() ctx: Context,
    @Arg('transactionId', () => ID, { nullable: true, description: 'Global id of a Transaction: only its events.' }) _transactionId: string | null,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'Only this citizen (matched on the CPF as stored).' }) _cpf: string | null,
    @Arg('afterSeq', () => SafeIntScalar, { nullable: true, description: 'Replay every matching event after this seq from the log first (or connectionParams.afterSeq).' }) _afterSeq: number | null,
  ): TransactionEvent {
    ctx.renewLoaders();
    return toTransactionEvent(event);
  }
}
