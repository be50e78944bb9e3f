import { PSEUDONYMIZED_EVENT } from '../events/bus';
import { isPseudonym, Pseudonymizer } from '../privacy/pseudonym';
import { pseudonymizeOperatorCpfs } from '../store/stations';
import { auditAbout, finishedEntities, openFlows, pseudonymizeAuditTargets, pseudonymizeEntities, pseudonymizePersonIfUnused, type FinishedRules, type PersonEntities, type PseudonymizeCounts } from '../store/privacy';
import { resealReports } from '../store/reports';
import type { AuditRow, CaptureRow, MessageRow, PersonRow, TransactionRow } from '../store/schema';
import { TERMINAL_STATUSES } from './capture';
import { FlowError, NotFoundError } from './errors';
import { OPEN_TRANSACTION_STATUSES } from './proof-of-life';
import type { FlowDeps } from './deps';

export interface PrivacyOptions {
  /** Finished flows keep their CPF and report this many days. */
  retentionDays: number;
  /** HMAC key of pseudonyms. */
  pseudonymKey: string;
  /** Reports re-sealed per job run. @default 500 */
  resealBatch?: number;
}

export interface ErasureResult extends PseudonymizeCounts {
  /** The person's id after erasure (the same, unless merged into an earlier pseudonymised record of the same CPF). */
  personId: string;
  pseudonym: string;
  auditEntries: number;
}

export interface RetentionResult extends PseudonymizeCounts {
  persons: number;
  auditEntries: number;
}

export interface PersonDataExport {
  person: PersonRow;
  transactions: TransactionRow[];
  messages: MessageRow[];
  captures: CaptureRow[];
  audit: AuditRow[];
}

const RULES: FinishedRules = { openTransactionStatuses: OPEN_TRANSACTION_STATUSES, terminalCaptureStatuses: TERMINAL_STATUSES };
const DAY_MS = 86_400_000;
/** Entities of each kind read per retention page, and pages per run (a backlog of millions takes several nights). */
const RETENTION_PAGE = 500;
const MAX_RETENTION_PAGES = 200;
const zero = (): PseudonymizeCounts => ({ transactions: 0, messages: 0, captures: 0, reportsDeleted: 0, events: 0 });

/**
 * LGPD retention, erasure and export. Both retention and erasure do the same
 * thing to a set of finished flows of one CPF, in one database transaction
 * under the event-log lock: the CPF becomes its keyed pseudonym everywhere
 * (entity rows, event snapshots, idempotency records, audit targets, and the
 * person row once nothing else carries the CPF), report PDFs are deleted, and
 * a `privacy` marker event is appended so every instance's event bus drops
 * the CPF from what its subscriptions still hold.
 */
export class PrivacyService {
  private readonly pseudonymizer: Pseudonymizer;
  private readonly now: () => Date;

  constructor(
    private readonly deps: FlowDeps,
    private readonly opts: PrivacyOptions,
  ) {
    this.pseudonymizer = new Pseudonymizer(opts.pseudonymKey);
    this.now = deps.now ?? (() => new Date());
  }

  pseudonym(cpf: string): string {
    return this.pseudonymizer.of(cpf);
  }

  /** The scheduled job: retention, then sealing legacy or old-key reports under the current key. */
  async runJob(): Promise<void> {
    const retention = await this.runRetention();
    const reseal = await resealReports(this.deps.store.db, this.deps.store.reportCipher, this.opts.resealBatch ?? 500);
    this.deps.logger.info({ retention, reports: reseal }, 'privacy job done');
  }

  /** Pseudonymises every flow that finished more than `retentionDays` before `now`. */
  async runRetention(now = this.now()): Promise<RetentionResult> {
    const before = new Date(now.getTime() - this.opts.retentionDays * DAY_MS);
    const total: RetentionResult = { ...zero(), persons: 0, auditEntries: 0 };
    // Page by page: what a page pseudonymised no longer matches, so the next page is the rest. Bounded, in case a row resists.
    for (let page = 0; page < MAX_RETENTION_PAGES; page++) {
      const byCpf = await finishedEntities(this.deps.store.db, RULES, { before, limit: RETENTION_PAGE });
      if (!byCpf.size) break;
      for (const [cpf, entities] of byCpf) {
        const r = await this.pseudonymize(cpf, async () => entities);
        for (const k of Object.keys(zero()) as (keyof PseudonymizeCounts)[]) total[k] += r[k];
        total.auditEntries += r.auditEntries;
        if (r.personPseudonymized) total.persons++;
      }
    }
    total.events += await this.retainStationEvents(before);
    return total;
  }

  /** Operators' CPFs in station event snapshots older than `before` become pseudonyms (one transaction, one marker). */
  private async retainStationEvents(before: Date): Promise<number> {
    const out = await this.deps.store.recordChange('privacy', 'station-operators', async (tx) => {
      const r = await pseudonymizeOperatorCpfs(tx, before, (cpf) => this.pseudonym(cpf));
      if (!r.events) return null;
      // The marker makes every instance swap the events its subscribers still hold (see EventBus.forgetErased).
      return { type: PSEUDONYMIZED_EVENT, cpf: null, payload: { entityIds: r.stationIds, events: r.events }, result: r.events };
    });
    if (!out) return 0;
    await this.deps.bus.published(out.event);
    await this.deps.bus.tail();
    return out.result;
  }

  /**
   * Erasure on request (LGPD art. 18 IV/VI): every finished flow of the
   * person at once. Refused with PERSON_HAS_OPEN_FLOWS while a flow is open —
   * its CPF is still needed to finish it with the upstream; erase after it ends.
   */
  async erasePerson(personId: string): Promise<ErasureResult> {
    const person = (await this.deps.store.personsById([personId])).get(personId);
    if (!person) throw new NotFoundError('Person not found');
    if (isPseudonym(person.cpf)) return { ...zero(), personId, pseudonym: person.cpf, auditEntries: 0 };
    const cpf = person.cpf;
    const r = await this.pseudonymize(cpf, async (tx) => {
      const open = await openFlows(tx, RULES, cpf);
      if (open.transactions || open.captures) {
        throw new FlowError('PERSON_HAS_OPEN_FLOWS', 'This person has flows still open; erase them once they end', { ...open });
      }
      return (await finishedEntities(tx, RULES, { cpf })).get(cpf) ?? { transactions: [], messages: [], captures: [] };
    });
    this.deps.logger.info({ personId: r.personId ?? personId, events: r.events, reportsDeleted: r.reportsDeleted }, 'person erased');
    return { ...r, personId: r.personId ?? personId };
  }

  private async pseudonymize(
    cpf: string,
    select: (tx: FlowDeps['store']['db']) => Promise<PersonEntities>,
  ): Promise<PseudonymizeCounts & { pseudonym: string; auditEntries: number; personId: string | null; personPseudonymized: boolean }> {
    const pseudonym = this.pseudonym(cpf);
    const out = await this.deps.store.recordChange('privacy', pseudonym, async (tx) => {
      const entities = await select(tx);
      const counts = await pseudonymizeEntities(tx, cpf, pseudonym, entities);
      const auditEntries = await pseudonymizeAuditTargets(tx, cpf, pseudonym);
      const personId = await pseudonymizePersonIfUnused(tx, cpf, pseudonym);
      const entityIds = [...entities.transactions, ...entities.messages, ...entities.captures];
      return {
        type: PSEUDONYMIZED_EVENT,
        cpf: null,
        payload: { entityIds, ...counts },
        result: { ...counts, pseudonym, auditEntries, personId, personPseudonymized: personId !== null },
      };
    });
    if (!out) throw new Error('pseudonymize recorded nothing');
    await this.deps.bus.published(out.event);
    // This instance forgets the CPF before the caller hears "done"; the others on their next read of the log.
    await this.deps.bus.tail();
    return out.result;
  }

  /** Everything held about a person (LGPD art. 18 II), including records made under their pseudonym. */
  async exportPersonData(personId: string): Promise<PersonDataExport | null> {
    const { store } = this.deps;
    const person = (await store.personsById([personId])).get(personId);
    if (!person) return null;
    const keys = isPseudonym(person.cpf) ? [person.cpf] : [person.cpf, this.pseudonym(person.cpf)];
    const flat = <T>(m: Map<string, T[]>) => keys.flatMap((k) => m.get(k) ?? []);
    const transactions = flat(await store.transactionsByCpfs(keys));
    const messages = flat(await store.messagesByCpfs(keys));
    const captures = flat(await store.capturesByCpfs(keys));
    const ids = [...transactions, ...messages, ...captures].map((r) => r.id);
    const audit = await auditAbout(store.db, [person.id, ...keys.filter(isPseudonym), ...ids]);
    return { person, transactions, messages, captures, audit };
  }
}
