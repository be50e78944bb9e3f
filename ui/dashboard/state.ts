/**
 * What the dashboard holds: a snapshot, then every feed event applied on top. Each entity keeps its highest
 * `version` (an event replayed after a reconnect, or older than the snapshot, never overwrites newer data),
 * so a resume can deliver an overlap without creating a duplicate row or moving a row backwards.
 */
import { FEED_SIZE, type CaptureRow, type FeedEvent, type SnapshotData, type StationRow, type StatsData, type TransactionRow } from './queries';

export class DashboardState {
  stations = new Map<string, StationRow>();
  /** Captures not final yet, by id. */
  inFlight = new Map<string, CaptureRow>();
  /** The newest transactions, by id (at most FEED_SIZE after `trimFeed`). */
  feed = new Map<string, TransactionRow>();
  stats: StatsData | null = null;
  /** The highest event seq applied (starts at the snapshot's eventCursor): the resume position. */
  lastSeq = 0;
  /** Highest version seen per capture/transaction id, also for rows no longer shown (final, or off the feed). */
  private versions = new Map<string, number>();

  load(s: SnapshotData): void {
    this.stations = new Map(s.stations.map((st) => [st.id, st]));
    this.inFlight.clear();
    this.feed.clear();
    this.versions.clear();
    for (const { node } of s.captures.edges) this.applyCapture(node);
    for (const { node } of s.transactions.edges) this.applyTransaction(node);
    this.stats = s.stats;
    this.lastSeq = s.eventCursor;
  }

  /** Applies one feed event; false when it was already known (seq at or below the resume position). */
  apply(e: FeedEvent): boolean {
    if (e.seq <= this.lastSeq) return false;
    this.lastSeq = e.seq;
    if (e.__typename === 'TransactionEvent') this.applyTransaction(e.transaction);
    else if (e.__typename === 'CaptureEvent') this.applyCapture(e.capture);
    else this.applyStation(e.station);
    return true;
  }

  private newer(key: string, version: number): boolean {
    const known = this.versions.get(key);
    if (known !== undefined && known >= version) return false;
    this.versions.set(key, version);
    return true;
  }

  private applyStation(st: StationRow): void {
    const known = this.stations.get(st.id);
    if (!known || known.version <= st.version) this.stations.set(st.id, st);
  }

  private applyCapture(c: CaptureRow): void {
    if (!this.newer(`c:${c.id}`, c.version)) return;
    if (c.isFinal) this.inFlight.delete(c.id);
    else this.inFlight.set(c.id, c);
  }

  private applyTransaction(t: TransactionRow): void {
    if (!this.newer(`t:${t.id}`, t.version)) return;
    this.feed.set(t.id, t);
    if (this.feed.size > FEED_SIZE) {
      const keep = this.feedRows().slice(0, FEED_SIZE);
      this.feed = new Map(keep.map((r) => [r.id, r]));
    }
  }

  /** Newest first, as the `transactions` query orders them. */
  feedRows(): TransactionRow[] {
    return [...this.feed.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** The capture a station holds, at its newest known step (a capture event may be newer than the station's). */
  currentCaptureStatus(st: StationRow): string | null {
    const cur = st.currentCapture;
    if (!cur) return null;
    const live = this.inFlight.get(cur.id);
    return live && live.version > cur.version ? live.status : cur.status;
  }
}
