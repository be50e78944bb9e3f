/**
 * `npm run bench -- fanout-heap N`: the gateway's memory per idle subscriber,
 * split (RSS / V8 heap / external) and by constructor (see bench/fanout/heap.ts).
 */
import { heapMain } from './fanout/heap';

heapMain(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
