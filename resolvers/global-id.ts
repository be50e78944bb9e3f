import { GraphQLError } from 'graphql';

/**
 * Relay global object ids: every entity's `id` is opaque to clients and names
 * its type, so `node(id:)` can find any entity and normalised caches
 * (Apollo, urql graphcache, Relay) key every type the same way.
 *
 * The encoding is base64url of `<Type>:<key>` (the key is the gateway's own
 * UUID, or a station's configured id). Clients must not decode it: the format
 * may change in a later major version.
 */
export const NODE_TYPES = ['Transaction', 'Capture', 'Message', 'Person', 'Station', 'AuditEntry'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A configured station id (SPID_STATIONS): short, printable, no separator that could be confused with ours. */
const STATION_KEY = /^[A-Za-z0-9._-]{1,64}$/;

/** The global id of an entity of `type` with the gateway's own key (a UUID, a station's configured id, an audit entry's number). */
export function toGlobalId(type: NodeType, key: string | number): string {
  return Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');
}

/** The type and key of a global id, or null when `id` is not one of ours. */
export function parseGlobalId(id: string): { type: NodeType; key: string } | null {
  if (id.length === 0 || id.length > 200 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const type = text.slice(0, colon) as NodeType;
  const key = text.slice(colon + 1);
  if (!NODE_TYPES.includes(type) || !validKey(type, key)) return null;
  return { type, key };
}

/** An audit entry's key: its bigserial id. */
const AUDIT_KEY = /^[1-9]\d{0,14}$/;

function validKey(type: NodeType, key: string): boolean {
  if (type === 'Station') return STATION_KEY.test(key);
  if (type === 'AuditEntry') return AUDIT_KEY.test(key);
  return UUID.test(key);
}

export function badId(argPath: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', fields: { [argPath]: message } } });
}

/**
 * The key behind an id argument that must name an entity of `type`. Accepts
 * the global id; during 1.x also the raw key (a UUID, or a station's
 * configured id), so scripts written against 0.x keep working.
 *
 * @param argPath where the id sits in the arguments (`id`, `input.captureId`), for `extensions.fields`.
 */
export function fromGlobalId(id: string, type: NodeType, argPath = 'id'): string {
  const parsed = parseGlobalId(id);
  if (parsed) {
    if (parsed.type !== type) throw badId(argPath, `Expected the id of a ${type}, got the id of a ${parsed.type}`);
    return parsed.key;
  }
  if (validKey(type, id)) return type === 'Station' || type === 'AuditEntry' ? id : id.toLowerCase();
  throw badId(argPath, `Not a ${type} id`);
}

/** Like `fromGlobalId` for an optional argument. */
export function fromOptionalGlobalId(id: string | null | undefined, type: NodeType, argPath: string): string | null {
  return id == null ? null : fromGlobalId(id, type, argPath);
}

/**
 * For checks that must not throw (the station scope of mutations): the key
 * behind a global id of `type` or a raw key, null when `id` is neither (the
 * resolver itself then refuses the argument).
 */
export function keyOrNull(id: string, type: NodeType): string | null {
  const parsed = parseGlobalId(id);
  if (parsed) return parsed.type === type ? parsed.key : null;
  return validKey(type, id) ? (type === 'Station' || type === 'AuditEntry' ? id : id.toLowerCase()) : null;
}
