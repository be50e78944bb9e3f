import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AuthError, roleSatisfies } from '../src/auth/jwt';
import type { Context } from './context';
import { fromGlobalId } from './global-id';
import { SendMessageInput } from './message.input';
import { Message } from './message.type';
import { Person } from './person.type';
import { UUIDScalar } from './scalars';
import { idempotent } from './idempotency';
import { DeleteMessagePayload, SendMessagePayload } from './mutation.payload';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized('viewer')
  @Query(() => Message, { nullable: true, description: 'By global id (or, during 1.x, the raw UUID); null if unknown.' })
  async message(@Arg('id', () => ID, { description: 'Global id of a Message.' }) id: string, @Ctx() ctx: Context): Promise<Message | null> {
    const row = await ctx.loaders.message.load(fromGlobalId(id, 'Message'));
    return row ? Message.from(row) : null;
  }

  @Authorized('viewer')
  @FieldResolver(() => Person, { nullable: true, description: 'The recipient; null for a broadcast.' })
  async person(@Root() m: Message, @Ctx() ctx: Context): Promise<Person | null> {
    return m.cpf ? await ctx.loaders.person.load(m.cpf) : null;
  }

  @Authorized('operator')
  @Mutation(() => SendMessagePayload, { nullable: true, description: "Pushes a message to one citizen's gov.br app, or to everyone when cpf is omitted (admin)." })
  async sendMessage(@Arg('input', () => SendMessageInput, { description: 'The message, and to whom.' }) input: SendMessageInput, @Ctx() ctx: Context): Promise<SendMessagePayload> {
    // A broadcast reaches every citizen of the country: only admins.
    if (!input.cpf && !(ctx.user && roleSatisfies(ctx.user.role, 'admin'))) {
      throw new AuthError('FORBIDDEN', 'Broadcast messages need the role admin');
    }
    const fields = { cpf: input.cpf ?? undefined, title: input.title, content: input.content };
    const row = await idempotent(
      ctx,
      { operation: 'sendMessage', input: fields, kind: 'message', key: input.idempotencyKey },
      (onIntent) => ctx.services.messages.send(fields, ctx.user?.sub ?? null, onIntent),
      (id) => ctx.loaders.message.load(id),
    );
    return Object.assign(new SendMessagePayload(), { message: Message.from(row) });
  }

  @Authorized('operator')
  @Mutation(() => DeleteMessagePayload, { nullable: true, description: "Deletes a SENT message from the citizen's app." })
  async deleteMessage(
    @Arg('id', () => ID, { description: 'The message (its global id; its UUID is accepted too during 1.x).' }) id: string,
    @Ctx() ctx: Context,
  ): Promise<DeleteMessagePayload> {
    const row = await ctx.services.messages.delete(fromGlobalId(id, 'Message', 'id'));
    return Object.assign(new DeleteMessagePayload(), { message: Message.from(row) });
  }
}
