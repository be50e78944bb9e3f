/**
 * CPFs that force an outcome. All carry valid check digits (the API rejects
 * anything else with 400) and share the base 10000000N so they are easy to spot
 * in fixtures: N is the row number in the README table.
 */
export const PDV_MAGIC_CPFS = {
  authorizes: '10000000108',
  refuses: '10000000280',
  facialCheckFails: '10000000361',
  biographicCheckFails: '10000000442',
  bothChecksFail: '10000000523',
  neverAnswers: '10000000604',
  freshSeal: '10000000795',
  noBiometry: '10000000876',
  upstreamFails: '10000000957',
} as const satisfies Record<string, string>;

export type DenialReason = 1 | 2 | 3 | 4;

/** What the citizen will do when the auto-answer timer fires; null = never answers. */
export type PlannedAnswer = { authorized: true } | { authorized: false; denialReason: DenialReason } | null;

export function plannedAnswer(cpf: string): PlannedAnswer {
  switch (cpf) {
    case PDV_MAGIC_CPFS.refuses:
      return { authorized: false, denialReason: 1 };
    case PDV_MAGIC_CPFS.facialCheckFails:
      return { authorized: false, denialReason: 2 };
    case PDV_MAGIC_CPFS.biographicCheckFails:
      return { authorized: false, denialReason: 3 };
    case PDV_MAGIC_CPFS.bothChecksFail:
      return { authorized: false, denialReason: 4 };
    case PDV_MAGIC_CPFS.noBiometry:
      // Only reached for vbeta1/vbeta2 transactions (vbeta4 cancels with SEMBIOM at creation).
      // Without a reference photo the facial check cannot pass, hence reason 2.
      return { authorized: false, denialReason: 2 };
    case PDV_MAGIC_CPFS.neverAnswers:
      return null;
    default:
      return { authorized: true };
  }
}

/** Last facial validation (ms since epoch) relative to `nowMs`; undefined = the citizen has no seal. */
export function lastFacialValidation(cpf: string, nowMs: number): number | undefined {
  return cpf === PDV_MAGIC_CPFS.freshSeal ? nowMs - 60_000 : undefined;
}
