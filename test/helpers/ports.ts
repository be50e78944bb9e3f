import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = (srv.address() as { port: number }).port;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * `count` consecutive free loopback ports (the SPID simulator takes one port
 * per station from a base port). Free when checked: a process started right
 * after gets them unless another grabs one meanwhile (then it fails to boot,
 * loudly).
 */
export async function freeConsecutivePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await tryListen(0);
    if (base === null || base + count > 65535) continue;
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = (await tryListen(base + i)) !== null;
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** The env of `npm start` with every in-process simulator on free ports (the same on a restart). */
export async function simulatorPortsEnv(stations = 3): Promise<Record<string, string>> {
  const spidBase = await freeConsecutivePorts(stations);
  const taken = new Set(Array.from({ length: stations }, (_, i) => spidBase + i));
  const singles: number[] = [];
  while (singles.length < 4) {
    const p = await freeConsecutivePorts(1);
    if (!taken.has(p)) {
      taken.add(p);
      singles.push(p);
    }
  }
  const [pdv, pdvControl, spidControl, spidRemote] = singles as [number, number, number, number];
  return {
    SIMULATORS: 'true',
    SIMULATOR_SPID_STATIONS: String(stations),
    SIMULATOR_SPID_BASE_PORT: String(spidBase),
    SIMULATOR_PDV_PORT: String(pdv),
    SIMULATOR_PDV_CONTROL_PORT: String(pdvControl),
    SIMULATOR_SPID_CONTROL_PORT: String(spidControl),
    SIMULATOR_SPID_REMOTE_PORT: String(spidRemote),
  };
}
