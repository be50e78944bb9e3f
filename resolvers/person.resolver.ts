import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { isPseudonym } from '../src/privacy/pseudonym';
import type { Context } from './context';
import { Message } from './message.type';
import { Person } from './person.type';
import { CPFScalar } from './scalars';
import { Transaction } from './transaction.type';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A person id argument, validated before it reaches SQL (a uuid column). */
export function personIdArg(id: string): string {
  const v = id.toLowerCase();
  if (!UUID.test(v)) throw new GraphQLError('A person id is a UUID', { extensions: { code: 'BAD_USER_INPUT', fields: { id: 'A person id is a UUID' } } });
  return v;
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
    @Arg('cpf', () => CPFScalar, { nullable: true }) cpf: string | null,
    @Arg('id', () => ID, { nullable: true }) id: string | null,
  ): Promise<Person | null> {
    if ((cpf == null) === (id == null)) throw new GraphQLError('Give exactly one of cpf and id', { extensions: { code: 'BAD_USER_INPUT', fields: { cpf: 'Give exactly one of cpf and id' } } });
    if (cpf != null) return ctx.loaders.person.load(cpf);
    return (await ctx.services.store.personsById([personIdArg(id!)])).get(id!.toLowerCase()) ?? null;
  }

  @Authorized('viewer')
  @FieldResolver(() => Boolean, { description: 'True once retention or erasure replaced the CPF by a pseudonym.' })
  pseudonymized(@Root() p: Person): boolean {
    return isPseudonym(p.cpf);
  }

  @Authorized('viewer')
  @FieldResolver(() => [Transaction], { description: 'Newest first.' })
  async transactions(@Root() p: Person, @Ctx() ctx: Context): Promise<Transaction[]> {
    return (await ctx.loaders.transactionsByCpf.load(p.cpf)).map((r) => Transaction.from(r));
  }

  @Authorized('viewer')
  @FieldResolver(() => [Message], { description: 'Direct messages to this citizen, newest first.' })
  async messages(@Root() p: Person, @Ctx() ctx: Context): Promise<Message[]> {
    return (await ctx.loaders.messagesByCpf.load(p.cpf)).map((r) => Message.from(r));
  }
}
