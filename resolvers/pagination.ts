import { GraphQLError } from 'graphql';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Cursor, KeysetWindow } from '../src/store/store';

/**
 * Relay connections (the cursor connections spec, as GitHub's API): every
 * list of entities is paged with `first/after` or `last/before` over the same
 * newest-first order, and exposes `edges { cursor node }`, `nodes`,
 * `totalCount` and a full `pageInfo`.
 */

/** Default page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `first` / `last`. */
export const MAX_PAGE_SIZE = 100;

export function badInput(fields: Record<string, string>): GraphQLError {
  return new GraphQLError(Object.values(fields)[0] ?? 'Invalid input', { extensions: { code: 'BAD_USER_INPUT', fields } });
}

@ObjectType({ description: 'Where a page sits in its connection (Relay PageInfo).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow the last edge (older ones: lists are newest first).' })
  hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'More items precede the first edge (newer ones).' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Cursor of the first edge; null on an empty page. Pass it as `before` to page backwards.' })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; null on an empty page. Pass it as `after` to page forwards.' })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `The first n items after \`after\` (1 to ${MAX_PAGE_SIZE}). Without first and last: first ${DEFAULT_PAGE_SIZE}.` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor (endCursor of the previous page): items after it.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `The last n items before \`before\` (1 to ${MAX_PAGE_SIZE}); not with first.` })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor (startCursor of the next page): items before it.' })
  before?: string | null;
}

/** A cursor format: cursors are opaque to clients (base64url), each connection decodes only its own. */
export interface CursorCodec<K> {
  encode(key: K): string;
  decode(s: string): K | null;
}

/** Entities ordered by (createdAt, id): base64url of "createdAt|id". */
export const entityCursor: CursorCodec<Cursor> = {
  encode: (c) => Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url'),
  decode(s) {
    const [at, id, extra] = Buffer.from(s, 'base64url').toString('utf8').split('|');
    const createdAt = new Date(at ?? '');
    if (extra !== undefined || !id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    return { createdAt, id: id.toLowerCase() };
  },
};

/** The validated window of one page request (what the store pages by). */
export function pageWindow<K>(args: PageArgs, codec: CursorCodec<K>): KeysetWindow<K> {
  const { first, last } = args;
  if (first != null && last != null) throw badInput({ first: 'Give first or last, not both', last: 'Give first or last, not both' });
  for (const [name, n] of [['first', first], ['last', last]] as const) {
    if (n != null && (n < 1 || n > MAX_PAGE_SIZE)) throw badInput({ [name]: `${name} must be between 1 and ${MAX_PAGE_SIZE}` });
  }
  const cursor = (name: 'after' | 'before'): K | null => {
    const s = args[name];
    if (s == null) return null;
    const k = s.length <= 200 ? codec.decode(s) : null;
    if (k === null) throw badInput({ [name]: 'Invalid cursor' });
    return k;
  };
  return { backward: last != null, size: last ?? first ?? DEFAULT_PAGE_SIZE, after: cursor('after'), before: cursor('before') };
}

/** One page as the store (or an in-memory list) returns it: `rows` newest first. */
export interface PageResult<R> {
  rows: R[];
  /** More rows exist beyond the page in the paging direction. */
  more: boolean;
}

/** An edge of a connection. */
export interface EdgeShape<N> {
  cursor: string;
  node: N;
}

/**
 * A page of nodes. `totalCount` and, on the side the request did not page
 * towards, `hasPreviousPage`/`hasNextPage` cost a query each: they are
 * getters, so they run only when the client selects them.
 */
export abstract class ConnectionBase<N> {
  abstract edges: EdgeShape<N>[];
  abstract pageInfo: PageInfo;
  /** Set by buildConnection. */
  count!: () => Promise<number>;

  get nodes(): N[] {
    return this.edges.map((e) => e.node);
  }

  get totalCount(): Promise<number> {
    return this.count();
  }
}

/**
 * The `<Name>Edge` and `<Name>Connection` object types of one node type.
 * The classes are decorated here once per type; `build` fills one in.
 */
export function connectionTypes<N extends object>(NodeClass: ClassType<N>, name: string, what: string, plural = `${what}s`) {
  @ObjectType(`${name}Edge`, { description: `One ${what} in a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: 'Opaque position of this node: pass it as `after` or `before`.' }) cursor!: string;
    @Field(() => NodeClass, { description: `The ${what}.` }) node!: N;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${plural}, newest first (Relay connection).` })
  class Connection extends ConnectionBase<N> {
    @Field(() => [Edge], { description: 'The page, with a cursor per node.' }) edges!: Edge[];
    @Field(() => [NodeClass], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    override get nodes(): N[] {
      return super.nodes;
    }
    @Field(() => Int, { description: 'How many items match the filters, on every page (counted only when selected).' })
    override get totalCount(): Promise<number> {
      return super.totalCount;
    }
    @Field(() => PageInfo, { description: 'Cursors and whether more pages exist either way.' }) pageInfo!: PageInfo;
  }

  return { Edge, Connection };
}

/**
 * Fills a connection from one page. `row.cursorKey` → cursor; `beyond(side)`
 * tells (when selected) whether any row exists on the other side of the
 * request's own cursor.
 */
export function buildConnection<C extends ConnectionBase<N>, N, R, K>(
  ConnectionClass: new () => C,
  window: KeysetWindow<K>,
  page: PageResult<R>,
  codec: CursorCodec<K>,
  keyOf: (r: R) => K,
  toNode: (r: R) => N,
  count: () => Promise<number>,
): C {
  const edges = page.rows.map((r) => ({ cursor: codec.encode(keyOf(r)), node: toNode(r) }));
  const conn = new ConnectionClass();
  conn.edges = edges;
  conn.count = count;
  // A cursor given on the other side came from a row there; rows are never deleted, so items exist beyond it.
  conn.pageInfo = Object.assign(new PageInfo(), {
    hasNextPage: window.backward ? window.before !== null : page.more,
    hasPreviousPage: window.backward ? page.more : window.after !== null,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  });
  return conn;
}

/**
 * Pages a list already in memory and newest first (a person's own flows,
 * loaded in one batch through the DataLoaders), exactly as the store pages.
 */
export function pageList<R, K>(rows: readonly R[], window: KeysetWindow<K>, keyOf: (r: R) => K, compare: (a: K, b: K) => number): PageResult<R> {
  // compare(a, b) > 0 when a is newer than b.
  let inRange = rows.filter((r) => {
    const k = keyOf(r);
    return (window.after === null || compare(k, window.after) < 0) && (window.before === null || compare(k, window.before) > 0);
  });
  const more = inRange.length > window.size;
  inRange = window.backward ? inRange.slice(-window.size) : inRange.slice(0, window.size);
  return { rows: inRange, more };
}

/** Newer-than order of entity cursors: createdAt, then id. */
export function compareEntityCursors(a: Cursor, b: Cursor): number {
  const d = a.createdAt.getTime() - b.createdAt.getTime();
  return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
