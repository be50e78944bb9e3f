import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Context } from '../../resolvers/context';

/** Does the root selection ask for `eventCursor` (directly or through fragments)? */
function selectsEventCursor(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): boolean {
  return set.selections.some((s) => {
    if (s.kind === Kind.FIELD) return s.name.value === 'eventCursor';
    if (s.kind === Kind.INLINE_FRAGMENT) return selectsEventCursor(s.selectionSet, fragments, seen);
    const name = s.name.value;
    const f = fragments[name];
    if (!f || seen.has(name)) return false;
    seen.add(name);
    return selectsEventCursor(f.selectionSet, fragments, seen);
  });
}

/**
 * `Query.eventCursor` is read once the operation is known and before any
 * resolver runs: root query fields execute concurrently (on PostgreSQL, on
 * different pool connections), so reading the head inside its own resolver
 * could land after a data read and skip the events in between. Read first,
 * the snapshot is at least as new as the cursor: following it with
 * `afterSeq: eventCursor` can repeat a change (same or lower `version`),
 * never miss one. The head is `max(seq)`, and commit order is seq order (the
 * event-log lock), so every event up to it is committed.
 */
export function eventCursorPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const op = rc.operation;
          if (op?.operation !== 'query') return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of rc.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          if (!selectsEventCursor(op.selectionSet, fragments)) return;
          rc.contextValue.eventCursor = await rc.contextValue.services.store.latestSeq();
        },
      };
    },
  };
}
