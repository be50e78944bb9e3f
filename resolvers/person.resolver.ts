import { GraphQLError } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { isPseudonym } from '../src/privacy/pseudonym';
import type { Context } from './context';
import { fromGlobalId } from './global-id';
import { MessageConnection } from './message.connection';
import { Message } from './message.type';
import { buildConnection, compareEntityCursors, entityCursor, PageArgs, pageList, pageWindow } from './pagination';
import { Person } from './person.type';
import { CPFScalar } from './scalars';
import { TransactionConnection } from './transaction.connection';
import { Transaction } from './transaction.type';

/** A person id argument (global id, or during 1.x the raw UUID), validated before it reaches SQL (a uuid column). */
export function personIdArg(id: string, argPath = 'id'): string {
  return fromGlobalId(id, 'Person', argPath);
}

/** The person record of a row's CPF (or pseudonym): every such value has one, written with the row. */
export async function personOf(ctx: Context, cpf: string): Promise<Person> {
  const p = await ctx.loaders.person.load(cpf);
  if (!p) throw new Error('person record missing for a stored row');
  return p;
}

@Resolver(() => Person)
export class PersonResolver {
  @Authorized('viewer')
  @Query(() => Person, {
    nullable: true,
    description: 'By CPF or by id (exactly one). Null when no flow or message ever involved this CPF, or its data was pseudonymised (then only the id finds it).',
  })
  async person(
    @Ctx() ctx: Context,
    @Arg('cpf', () => CPFScalar, { nullable: true, description: 'The CPF (not a pseudonym).' }) cpf: string | null,
    @Arg('id', () => ID, { nullable: true, description: 'Global id of a Person (or, during 1.x, the raw UUID).' }) id: string | null,
  ): Promise<Person | null> {
    if ((cpf == null) === (id == null)) {
      const message = 'Give exactly one of cpf and id';
      throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', fields: { cpf: message, id: message } } });
    }
    if (cpf != null) return ctx.loaders.person.load(cpf);
    return ctx.loaders.personById.load(personIdArg(id!));
  }

  @Authorized('viewer')
  @FieldResolver(() => Boolean, { description: 'True once retention or erasure replaced the CPF by a pseudonym.' })
  pseudonymized(@Root() p: Person): boolean {
    return isPseudonym(p.cpf);
  }

  // A person's lists are read whole in one batched, row-cached read (a handful of rows each) and paged in memory, exactly as the store pages.

  @Authorized('viewer')
  @FieldResolver(() => TransactionConnection, { description: "This person's proof-of-life transactions, newest first." })
  async transactions(@Root() p: Person, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: Context): Promise<TransactionConnection> {
    const window = pageWindow(page, entityCursor);
    const all = await ctx.loaders.transactionsByCpf.load(p.cpf);
    const res = pageList(all, window, (r) => r, compareEntityCursors);
    return buildConnection(TransactionConnection, window, res, entityCursor, (r) => r, (r) => Transaction.from(r), async () => all.length);
  }

  @Authorized('viewer')
  @FieldResolver(() => MessageConnection, { description: 'Direct messages to this citizen, newest first.' })
  async messages(@Root() p: Person, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: Context): Promise<MessageConnection> {
    const window = pageWindow(page, entityCursor);
    const all = await ctx.loaders.messagesByCpf.load(p.cpf);
    const res = pageList(all, window, (r) => r, compareEntityCursors);
    return buildConnection(MessageConnection, window, res, entityCursor, (r) => r, (r) => Message.from(r), async () => all.length);
  }
}
