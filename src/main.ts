import { performance } from 'node:perf_hooks';
import { signToken } from './auth/jwt';
import { ConfigError, loadConfig } from './config';
import { startGateway } from './app';
import { createLogger } from './logger';
import { PDV_MAGIC_CPFS } from './simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from './simulators/spid';

/** `npm start`: the gateway on the embedded default, with the simulators in-process. */
async function main(): Promise<void> {
  const t0 = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  // Last resort. Every dependency error has its own handler; one reaching here
  // is a bug, and the fault tests assert this message never appears. A stray
  // rejection is logged and the gateway keeps serving; after an uncaught
  // exception the process state is unknown, so it exits (a supervisor restarts it).
  process.on('unhandledRejection', (reason) => logger.error({ err: reason, kind: 'unhandledRejection' }, 'unhandled error'));
  process.on('uncaughtException', (err, origin) => {
    logger.error({ err, kind: origin }, 'unhandled error');
    process.exit(1);
  });
  logger.info({ store: config.databaseUrl ? 'postgres' : 'pglite', redis: Boolean(config.redisUrl) }, 'starting');
  const gw = await startGateway(config, logger);
  const bootMs = Math.round(performance.now() - t0);
  logger.info({ bootMs, port: gw.server.port, store: gw.store.adapter, resumed: gw.resumed }, 'gateway ready');

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    gw.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const banner = [
    '',
    `  Identity-flows gateway ready in ${bootMs} ms (store: ${gw.store.adapter}; resumed ${gw.resumed.transactions} open transactions, ${gw.resumed.captures} captures)`,
    `  GraphQL (HTTP + WebSocket):  ${gw.server.url}`,
  ];
  if (gw.simulators.provaDeVida) {
    banner.push(`  Prova de Vida simulator:     ${gw.simulators.provaDeVida.url}   (control API: ${gw.simulators.provaDeVida.controlUrl})`);
  }
  if (gw.simulators.spid) {
    const s = gw.simulators.spid;
    banner.push(`  SPID stations (simulated):   ${s.stations.map((x) => `${x.id} ${x.baseUrl}`).join('\n                               ')}`);
    banner.push(`  SPID simulator control API:  ${s.controlUrl}`);
  }
  if (config.jwt.devTokens) {
    banner.push('', '  Dev tokens (valid 12 h; `npm run -s token -- <role>` makes more):');
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      banner.push(`    ${role.padEnd(8)} ${await signToken(config.jwt, { sub: `dev-${role}`, role })}`);
    }
    const operator = await signToken(config.jwt, { sub: 'dev-operator', role: 'operator' });
    const cpf = PDV_MAGIC_CPFS.authorizes;
    banner.push(
      '',
      '  Try it — ask a citizen for a proof of life:',
      `    curl -s ${gw.server.url} -H 'content-type: application/json' -H 'authorization: Bearer ${operator}' \\`,
      `      -d '{"query":"mutation { requestProofOfLife(input: {cpf: \\"${cpf}\\", reason: \\"Benefício previdenciário\\"}) { id status } }"}'`,
      '',
      '  …and watch every change arrive (another terminal):',
      `    npm run -s watch -- ${operator}`,
      '',
      '  A presential capture at a simulated station (operator login first):',
      `    curl -s ${gw.server.url} -H 'content-type: application/json' -H 'authorization: Bearer ${operator}' \\`,
      `      -d '{"query":"mutation { loginOperator(stationId: \\"station-1\\", operatorCpf: \\"${SPID_MAGIC_CPFS.operatorOk}\\") { status } startPresentialCapture(stationId: \\"station-1\\", cpf: \\"${SPID_MAGIC_CPFS.matches}\\") { id status } }"}'`,
      '',
    );
  }
  process.stdout.write(banner.join('\n') + '\n');
}

main().catch((err: unknown) => {
  // One line, no stack: an unreachable dependency names its variable (src/boot-checks.ts).
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`gateway failed to start: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
