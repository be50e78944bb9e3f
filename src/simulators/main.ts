import { loadConfig, ConfigError } from '../config';
import { startProvaDeVidaSimulator } from './provaDeVida';
import { startSpidSimulator } from './spid';

/**
 * `npm run simulators`: the upstream simulators as their own process, so a
 * restarted gateway — or several gateway instances — talk to the same
 * upstream state, as they would to the real services. Point the gateway at
 * it with `SIMULATORS=false PDV_BASE_URL=<printed URL> npm start`.
 * State in memory, unless `SIMULATOR_STATE_DIR` names a directory (then a
 * restart resumes every open flow, as with `npm start`).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const stateDir = config.simulators.stateDir;
  const pdv = await startProvaDeVidaSimulator({
    host: '127.0.0.1',
    port: config.simulators.pdvPort,
    controlPort: config.simulators.pdvControlPort,
    clientId: config.provaDeVida.clientId,
    clientSecret: config.provaDeVida.clientSecret,
    answerAfterMs: config.simulators.answerAfterMs,
    ...(stateDir ? { stateDir } : {}),
  });
  const spid = await startSpidSimulator({
    host: '127.0.0.1',
    stations: config.simulators.spidStations,
    basePort: config.simulators.spidBasePort,
    controlPort: config.simulators.spidControlPort,
    remotePort: config.simulators.spidRemotePort,
    ...(stateDir ? { stateDir } : {}),
  });
  const stations = JSON.stringify(spid.stations);
  process.stdout.write(
    [
      'Simulators running (Ctrl-C to stop):',
      `  Prova de Vida   ${pdv.url}   control API ${pdv.controlUrl}`,
      ...spid.stations.map((s) => `  SPID ${s.id.padEnd(10)} ${s.baseUrl}`),
      `  SPID control API ${spid.controlUrl}   remote-capture service ${spid.remoteServiceUrl}`,
      `  State: ${stateDir ? `kept in ${stateDir}` : 'memory only (set SIMULATOR_STATE_DIR to keep it across restarts)'}`,
      '',
      '  Gateway against them:',
      `  SIMULATORS=false PDV_BASE_URL=${pdv.url} SPID_STATIONS='${stations}' npm start`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    void Promise.all([pdv.close(), spid.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
});
