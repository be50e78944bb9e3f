/**
 * `npm run bench -- fanout N [--burst] [--cpu-prof]`: the gateway vs a bare graphql-ws
 * server with the same client harness (see bench/fanout/).
 */
import { main } from './fanout/index';

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
