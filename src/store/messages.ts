import { desc, eq, inArray } from 'drizzle-orm';
import { messages, type MessageRow } from './schema';
import type { Db } from './store';
import { setFromExcluded } from './upsert';

/** Message rows: the current state of each message sent through the upstream (the row is written before the send). */

export async function messagesById(db: Db, ids: readonly string[]): Promise<Map<string, MessageRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(messages).where(inArray(messages.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function messageForUpdate(tx: Db, id: string): Promise<MessageRow | null> {
  const [row] = await tx.select().from(messages).where(eq(messages.id, id)).for('update');
  return row ?? null;
}

export async function saveMessage(tx: Db, row: MessageRow): Promise<void> {
  await tx.insert(messages).values(row).onConflictDoUpdate({ target: messages.id, set: setFromExcluded(messages) });
}

/** Messages in the given statuses (the intents still waiting for the upstream's answer). */
export async function messageIdsInStatus(db: Db, statuses: readonly string[]): Promise<string[]> {
  const rows = await db.select({ id: messages.id }).from(messages).where(inArray(messages.status, [...statuses]));
  return rows.map((r) => r.id);
}

export async function messagesByCpfs(db: Db, cpfs: readonly string[]): Promise<Map<string, MessageRow[]>> {
  const out = new Map<string, MessageRow[]>(cpfs.map((c) => [c, []]));
  if (cpfs.length === 0) return out;
  const rows = await db
    .select()
    .from(messages)
    .where(inArray(messages.cpf, [...cpfs]))
    .orderBy(desc(messages.createdAt), desc(messages.id));
  for (const r of rows) if (r.cpf) out.get(r.cpf)?.push(r);
  return out;
}
