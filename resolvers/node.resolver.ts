import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { roleSatisfies } from '../src/auth/jwt';
import { AuditEntry } from './audit.resolver';
import { Capture } from './capture.type';
import type { Context } from './context';
import { badId, parseGlobalId, toGlobalId, type NodeType } from './global-id';
import { Message } from './message.type';
import { Node } from './node.type';
import { Person } from './person.type';
import { PersonErasure } from './privacy.resolver';
import { Station } from './station.type';
import { Transaction } from './transaction.type';

/** Most ids one `nodes` call takes (one page's worth, like connections). */
export const MAX_NODES = 100;

/**
 * Entities keep their own keys inside the gateway (UUIDs, station codes,
 * audit numbers); clients see only global ids. These field resolvers are the
 * one place that encodes them, so every path (queries, connections, mutation
 * results, subscription payloads, replays) hands out the same id.
 */
@Resolver(() => Transaction)
export class TransactionIdResolver {
  @FieldResolver(() => ID, { description: 'Global id, given before gov.br is asked and never changed (subscriptions, queries and idempotent retries use it).' })
  id(@Root() t: Transaction): string {
    return toGlobalId('Transaction', t.id);
  }
}

@Resolver(() => Capture)
export class CaptureIdResolver {
  @FieldResolver(() => ID, { description: 'Global id.' })
  id(@Root() c: Capture): string {
    return toGlobalId('Capture', c.id);
  }

  @FieldResolver(() => ID, { description: "Global id of the capture's station (its configured code is `station { code }`)." })
  stationId(@Root() c: Capture): string {
    return toGlobalId('Station', c.stationId);
  }
}

@Resolver(() => Message)
export class MessageIdResolver {
  @FieldResolver(() => ID, { description: 'Global id, given before gov.br is asked and never changed.' })
  id(@Root() m: Message): string {
    return toGlobalId('Message', m.id);
  }
}

@Resolver(() => Person)
export class PersonIdResolver {
  @FieldResolver(() => ID, { description: 'Stable global id, not derived from the CPF; it survives pseudonymisation (erasePerson, exportPersonData).' })
  id(@Root() p: Person): string {
    return toGlobalId('Person', p.id);
  }
}

@Resolver(() => Station)
export class StationIdResolver {
  @FieldResolver(() => ID, { description: 'Global id (the configured id is `code`).' })
  id(@Root() s: Station): string {
    return toGlobalId('Station', s.id);
  }
}

@Resolver(() => AuditEntry)
export class AuditEntryIdResolver {
  @FieldResolver(() => ID, { description: 'Global id.' })
  id(@Root() a: AuditEntry): string {
    return toGlobalId('AuditEntry', a.id);
  }
}

@Resolver(() => PersonErasure)
export class PersonErasureIdResolver {
  @FieldResolver(() => ID, {
    description: 'Global id of the person record, now under the pseudonym (an earlier pseudonymised record of the same CPF is kept instead, and its id given here).',
  })
  personId(@Root() e: PersonErasure): string {
    return toGlobalId('Person', e.personId);
  }
}

type Lookup = { type: NodeType; key: string };

@Resolver()
export class NodeResolver {
  @Authorized('viewer')
  @Query(() => Node, {
    nullable: true,
    description:
      'Any entity by its global id, with the same authorisation and masking as its own query (an AuditEntry needs admin: FORBIDDEN otherwise). Null if no such entity; BAD_USER_INPUT if the id is not a global id of this API.',
  })
  async node(@Arg('id', () => ID, { description: 'A global id.' }) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    const found = await this.load(ctx, lookupOf(id, 'id'));
    if (found instanceof Error) throw found;
    return found;
  }

  @Authorized('viewer')
  @Query(() => [Node], {
    nullable: 'items',
    description: `Entities by global id, in the order asked (at most ${MAX_NODES}); null where none exists, or (with an error at that index) where you may not see it.`,
  })
  async nodes(@Arg('ids', () => [ID], { description: 'Global ids.' }) ids: string[], @Ctx() ctx: Context): Promise<(Node | Error | null)[]> {
    if (ids.length > MAX_NODES) throw badId('ids', `At most ${MAX_NODES} ids`);
    const lookups = ids.map((id, i) => lookupOf(id, `ids.${i}`));
    // An Error in the list becomes null plus an error at that index (graphql-js), so one forbidden id does not null the rest.
    return Promise.all(lookups.map((l) => this.load(ctx, l)));
  }

  /** Through the request's DataLoaders: the lookups of one `nodes` call are batched per type. */
  private async load(ctx: Context, { type, key }: Lookup): Promise<Node | Error | null> {
    switch (type) {
      case 'Transaction': {
        const row = await ctx.loaders.transaction.load(key);
        return row ? Transaction.from(row) : null;
      }
      case 'Capture': {
        const row = await ctx.loaders.capture.load(key);
        return row ? Capture.from(row) : null;
      }
      case 'Message': {
        const row = await ctx.loaders.message.load(key);
        return row ? Message.from(row) : null;
      }
      case 'Person': {
        const row = await ctx.loaders.personById.load(key);
        return row ? Object.assign(new Person(), row) : null;
      }
      case 'Station': {
        const s = ctx.services.captures.stationList().find((st) => st.id === key);
        return s ? Object.assign(new Station(), s) : null;
      }
      case 'AuditEntry': {
        // As `auditLog`: admin only, refused before the lookup so a viewer learns nothing of which entries exist.
        if (!ctx.user || !roleSatisfies(ctx.user.role, 'admin')) {
          return new GraphQLError('This operation needs the role admin', { extensions: { code: 'FORBIDDEN' } });
        }
        const row = await ctx.loaders.audit.load(Number(key));
        return row ? AuditEntry.from(row) : null;
      }
    }
  }
}

function lookupOf(id: string, argPath: string): Lookup {
  const parsed = parseGlobalId(id);
  if (!parsed) throw badId(argPath, 'Not a global id of this API');
  return parsed;
}
