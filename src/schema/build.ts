import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../../resolvers/auth-checker';
import { CpfMasking } from '../../resolvers/cpf-masking';
import { ErrorMapper } from '../../resolvers/errors';
import { InputSanity } from '../../resolvers/input-sanity';
import { MutationGuard } from '../../resolvers/mutation-guard';
import { StationScope } from '../../resolvers/station-scope';
import { AuditResolver } from '../../resolvers/audit.resolver';
import { CaptureResolver, PersonCapturesResolver } from '../../resolvers/capture.resolver';
import { MessageResolver } from '../../resolvers/message.resolver';
import { PersonResolver } from '../../resolvers/person.resolver';
import { StationResolver } from '../../resolvers/station.resolver';
import { TransactionResolver } from '../../resolvers/transaction.resolver';
import { EventCursorResolver } from '../../resolvers/event-cursor.resolver';

export const RESOLVERS = [PersonResolver, PersonCapturesResolver, TransactionResolver, MessageResolver, CaptureResolver, StationResolver, AuditResolver, EventCursorResolver] as const;

/** The executable schema; `schema/schema.graphql` is emitted from exactly this. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    globalMiddlewares: [ErrorMapper, InputSanity, MutationGuard, StationScope, CpfMasking],
    validate: { forbidUnknownValues: false },
    // Our subscriptions bring their own `subscribe` (log replay + live tail, see EventBus);
    // type-graphql still insists on a PubSub being present, so it gets an unused one.
    pubSub: createPubSub(),
  });
}
