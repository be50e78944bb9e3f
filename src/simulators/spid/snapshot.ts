import type { Capture, LoginStatus, ResultRecord, SpidWorld } from './world';

/**
 * What of the SPID world survives a restart: each station's operator,
 * current capture and scheduled steps (absolute due times, or what remained
 * when paused), the central server's results (pending sends, remote links),
 * enrolled persons. Counters, faults and timings are test controls: memory only.
 */
export interface SpidSnapshot {
  version: 1;
  stations: {
    id: string;
    operator: { cpf: string; status: LoginStatus } | null;
    capture: Capture;
    paused: boolean;
    steps: { key: string; dueMs: number; remainingMs: number }[];
  }[];
  results: (Omit<ResultRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string })[];
  enrolled: string[];
  fixAllNext: boolean;
}

export function snapshotWorld(world: SpidWorld): SpidSnapshot {
  return {
    version: 1,
    stations: [...world.stations.values()].map((st) => ({
      id: st.id,
      operator: st.operator,
      capture: st.capture,
      paused: st.paused,
      steps: [...st.steps].map(([key, step]) => ({ key, dueMs: step.due, remainingMs: step.remaining })),
    })),
    results: [...world.results.values()].map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() })),
    enrolled: [...world.enrolled],
    fixAllNext: world.fixAllNext,
  };
}

/** Loads a snapshot into a fresh world; steps due while the simulator was down run at once. Unknown stations are skipped. */
export function restoreWorld(world: SpidWorld, snap: SpidSnapshot): void {
  for (const r of snap.results) world.results.set(r.tguid, { ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) });
  for (const cpf of snap.enrolled) world.enrolled.add(cpf);
  world.fixAllNext = snap.fixAllNext;
  for (const saved of snap.stations) {
    const st = world.stations.get(saved.id);
    if (!st) continue;
    st.operator = saved.operator;
    st.capture = saved.capture;
    if (saved.paused) st.pause();
    for (const step of saved.steps) {
      world.schedule(st, step.key, saved.paused ? step.remainingMs : Math.max(0, step.dueMs - Date.now()));
    }
  }
}
