/** Reading a gateway's `GET /metrics` (Prometheus text format) in tests. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines (comments skipped). Label values here never contain `"` or `,`. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum over the series of `name` whose labels include `labels`; null when there is none. */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | null {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length ? hits.reduce((a, s) => a + s.value, 0) : null;
}

/** GETs `/metrics` next to a gateway's `/graphql` URL. */
export async function scrape(graphqlUrl: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'));
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
}
