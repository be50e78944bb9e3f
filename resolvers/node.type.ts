import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's Node: every entity a client may cache or refetch by id. Object
 * types list it in `implements`; `Query.node` / `Query.nodes` find any of
 * them by global id. The runtime type comes from the resolved object's class
 * (type-graphql's default `instanceof` resolution), so resolvers hand out
 * class instances.
 */
@InterfaceType('Node', { description: 'An entity with a global id: refetch it with `node(id:)`; normalised caches key it by `id`.' })
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global id (unique across every type). Raw keys are accepted by id arguments during 1.x, but only this form is canonical.' })
  id!: string;
}
