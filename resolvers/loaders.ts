import DataLoader from 'dataloader';
import type { MessageRow, TransactionRow } from '../src/store/schema';
import type { Store } from '../src/store/store';

export interface Loaders {
  person: DataLoader<string, { cpf: string; firstSeenAt: Date } | null>;
  transaction: DataLoader<string, TransactionRow | null>;
  transactionsByCpf: DataLoader<string, TransactionRow[]>;
  message: DataLoader<string, MessageRow | null>;
  messagesByCpf: DataLoader<string, MessageRow[]>;
}

const byKeys =
  <V>(fetch: (keys: readonly string[]) => Promise<Map<string, V>>, missing: V) =>
  async (keys: readonly string[]): Promise<V[]> => {
    const found = await fetch(keys);
    return keys.map((k) => found.get(k) ?? missing);
  };

/** Fresh loaders: one set per HTTP request and one per subscription event. */
export function createLoaders(store: Store): Loaders {
  return {
    person: new DataLoader(byKeys((k) => store.personsByCpf(k), null)),
    transaction: new DataLoader(byKeys((k) => store.transactionsById(k), null)),
    transactionsByCpf: new DataLoader(byKeys((k) => store.transactionsByCpfs(k), [] as TransactionRow[])),
    message: new DataLoader(byKeys((k) => store.messagesById(k), null)),
    messagesByCpf: new DataLoader(byKeys((k) => store.messagesByCpfs(k), [] as MessageRow[])),
  };
}
