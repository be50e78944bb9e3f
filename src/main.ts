import { performance } from 'node:perf_hooks';
import { signToken } from './auth/jwt';
import { ConfigError, loadConfig } from './config';
import { startGateway } from './app';
import { createLogger, safeErrorText } from './logger';

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
  // Which mode and why, first thing: "development (NODE_ENV unset)" on a server is the classic open door.
  logger.info({ mode: config.nodeEnv, host: config.host, devTokens: config.jwt.devTokens, simulators: config.simulators.enabled }, config.modeSummary);
  logger.info({ store: config.databaseUrl ? 'postgres' : 'pglite', redis: Boolean(config.redisUrl) }, 'starting');
  // Before `gw` exists (lock lost during boot) there is nothing to drain: exit at once.
  let booted = false;
  const gw = await startGateway(config, logger, { onFatal: (reason) => (booted ? shutdown(reason, 1) : process.exit(1)) });
  booted = true;
  const bootMs = Math.round(performance.now() - t0);
  logger.info({ bootMs, port: gw.server.port, store: gw.store.adapter, resumed: gw.resumed }, 'gateway ready');

  // SIGTERM/SIGINT: the ordered close of startGateway, bounded by SHUTDOWN_TIMEOUT_MS. Past the bound,
  // say what was still pending (the step, requests, sockets, polls) and exit 1 so the operator knows.
  let shuttingDown = false;
  function shutdown(reason: string, code = 0): void {
    if (shuttingDown) return;
    shuttingDown = true;
    const t = performance.now();
    logger.info({ reason, timeoutMs: config!.shutdownTimeoutMs }, 'draining');
    // Not unref'd: if the close hung on a promise with nothing else left in the loop, the process must
    // still exit 1 at the bound, not 0 because the loop went empty.
    setTimeout(() => {
      logger.error({ reason, pending: gw.pending(), timeoutMs: config!.shutdownTimeoutMs }, 'shutdown bound exceeded; exiting with work still pending');
      process.exit(1);
    }, config!.shutdownTimeoutMs);
    gw.close().then(
      () => {
        logger.info({ reason, shutdownMs: Math.round(performance.now() - t) }, 'stopped');
        process.exit(code);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const banner = [
    '',
    `  Identity-flows gateway ready in ${bootMs} ms (store: ${gw.store.adapter}; resumed ${gw.resumed.transactions} open transactions, ${gw.resumed.captures} captures)`,
    `  GraphQL (HTTP + WebSocket):  ${gw.server.url}`,
    `  ${config.modeSummary}`,
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
  }
  // The examples use the simulators' magic CPFs: loaded only when the simulators run (no simulator code otherwise).
  if (config.jwt.devTokens && gw.simulators.provaDeVida && gw.simulators.spid) {
    const { PDV_MAGIC_CPFS } = require('./simulators/provaDeVida') as typeof import('./simulators/provaDeVida');
    const { SPID_MAGIC_CPFS } = require('./simulators/spid') as typeof import('./simulators/spid');
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
  process.stderr.write(`gateway failed to start: ${safeErrorText(message.split('\n')[0] ?? '')}\n`);
  process.exit(1);
});
