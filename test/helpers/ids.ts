import { parseGlobalId } from '../../resolvers/global-id';

/**
 * The raw key inside a global id (a UUID, a station code): what 0.x clients
 * sent, still accepted by id arguments during 1.x; also what the store's rows
 * hold, for tests that compare with the database.
 */
export function rawKey(globalId: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`not a global id: ${globalId}`);
  return parsed.key;
}
