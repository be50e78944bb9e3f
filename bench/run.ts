/**
 * `npm run bench -- <name> [args]`: runs one benchmark by name.
 *   fanout N [--cpu-prof]   gateway vs a bare graphql-ws server, N subscribers (bench/fanout)
 */
import * as fanout from './fanout/index';

const BENCHES: Record<string, { main(args: string[]): Promise<void> }> = { fanout };

const [name, ...args] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]\n`);
  process.exit(2);
}
bench
  .main(args)
  .then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
