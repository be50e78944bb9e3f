import DataLoader from 'dataloader';
import type { AuditRow, CaptureRow, MessageRow, PersonRow, StationRow, TransactionRow } from '../src/store/schema';
import type { StoredEvent, Store } from '../src/store/store';
import type { StationsService } from '../src/flows/stations.service';

export interface Loaders {
  person: DataLoader<string, PersonRow | null>;
  /** Persons by their stable id (UUID). */
  personById: DataLoader<string, PersonRow | null>;
  /** Audit entries by id (node lookups). */
  audit: DataLoader<number, AuditRow | null>;
  transaction: DataLoader<string, TransactionRow | null>;
  transactionsByCpf: DataLoader<string, TransactionRow[]>;
  message: DataLoader<string, MessageRow | null>;
  messagesByCpf: DataLoader<string, MessageRow[]>;
  capture: DataLoader<string, CaptureRow | null>;
  capturesByCpf: DataLoader<string, CaptureRow[]>;
  history: DataLoader<string, StoredEvent[]>;
  /** A station's recorded state (the store, never the station); null when not configured. */
  station: DataLoader<string, StationRow | null>;
}

const byKeys =
  <V, K = string>(fetch: (keys: readonly K[]) => Promise<Map<K, V>>, missing: V) =>
  async (keys: readonly K[]): Promise<V[]> => {
    const found = await fetch(keys);
    return keys.map((k) => found.get(k) ?? missing);
  };

/** Fresh loaders: one set per HTTP request and one per subscription event. */
export function createLoaders(store: Store, stations: StationsService): Loaders {
  return {
    station: new DataLoader(byKeys((k) => stations.current(k), null)),
    person: new DataLoader(byKeys((k) => store.personsByCpf(k), null)),
    personById: new DataLoader(byKeys((k) => store.personsById(k), null)),
    audit: new DataLoader(byKeys<AuditRow | null, number>((k) => store.auditByIds(k), null)),
    transaction: new DataLoader(byKeys((k) => store.transactionsById(k), null)),
    transactionsByCpf: new DataLoader(byKeys((k) => store.transactionsByCpfs(k), [] as TransactionRow[])),
    message: new DataLoader(byKeys((k) => store.messagesById(k), null)),
    messagesByCpf: new DataLoader(byKeys((k) => store.messagesByCpfs(k), [] as MessageRow[])),
    capture: new DataLoader(byKeys((k) => store.capturesById(k), null)),
    capturesByCpf: new DataLoader(byKeys((k) => store.capturesByCpfs(k), [] as CaptureRow[])),
    history: new DataLoader(byKeys((k) => store.eventsOfEntities(k), [] as StoredEvent[])),
  };
}
