import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from './context';
import { Message } from './message.type';
import { Person } from './person.type';
import { CPFScalar } from './scalars';
import { Transaction } from './transaction.type';

@Resolver(() => Person)
export class PersonResolver {
  @Authorized('viewer')
  @Query(() => Person, { nullable: true, description: 'Null when no flow or message ever involved this CPF.' })
  async person(@Arg('cpf', () => CPFScalar) cpf: string, @Ctx() ctx: Context): Promise<Person | null> {
    return ctx.loaders.person.load(cpf);
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
