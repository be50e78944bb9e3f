import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../../src/config';

describe('config', () => {
  test('defaults: embedded store under ./data, port 4000, simulators on outside production', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, dataDir: './data', databaseUrl: undefined, simulators: { enabled: true }, pgliteSharedBuffers: '4MB', pgliteWasmTierUp: false });
    expect(c.provaDeVida.apiVersion).toBe('vbeta4');
  });
  test('a bad value stops boot with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PDV_API_VERSION: 'vbeta3' })).toThrow(/PDV_API_VERSION/);
    expect(() => loadConfig({ POLL_INTERVAL_MS: '5' })).toThrow(/POLL_INTERVAL_MS/);
    expect(() => loadConfig({ SIMULATORS: 'maybe' })).toThrow(/SIMULATORS/);
    expect(() => loadConfig({ PGLITE_SHARED_BUFFERS: '8 MB' })).toThrow(/PGLITE_SHARED_BUFFERS: a size such as 4MB/);
    expect(() => loadConfig({ PGLITE_WASM_TIER_UP: 'sometimes' })).toThrow(/PGLITE_WASM_TIER_UP/);
    expect(() => loadConfig({ SPID_STATIONS: 'not json' })).toThrow(/SPID_STATIONS/);
    expect(() => loadConfig({ SPID_STATIONS: '[{"id":"a b","name":"x","baseUrl":"http://x"}]' })).toThrow(/SPID_STATIONS/);
  });
  // A complete production config; each refusal below removes or spoils exactly one thing,
  // so each assertion fails if that one check is removed.
  const PROD = {
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(32),
    PDV_BASE_URL: 'https://x.example',
    PDV_CLIENT_ID: 'orgao-123',
    PDV_CLIENT_SECRET: 'issued-by-govbr',
    SPID_STATIONS: JSON.stringify([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]),
    PSEUDONYM_KEY: 'p'.repeat(32),
    REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    REPORT_LINK_KEY: 'l'.repeat(32),
  };
  const without = (k: keyof typeof PROD) => Object.fromEntries(Object.entries(PROD).filter(([key]) => key !== k));

  test('production: a complete config loads, binds all interfaces, no dev tokens, no simulators', () => {
    const c = loadConfig(PROD);
    expect(c.spid.stations).toEqual([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]);
    expect(c.jwt.devTokens).toBe(false);
    expect(c.simulators.enabled).toBe(false);
    expect(c.host).toBe('0.0.0.0');
    expect(c.modeSummary).toBe('mode: production (NODE_ENV set), bound to 0.0.0.0 (network) (HOST unset)');
  });
  test('explorer: on outside production with a dev token only where dev tokens exist; production: off unless EXPLORER_ENABLED, never a dev token', () => {
    expect(loadConfig({}).graphql.explorer).toEqual({ enabled: true, devToken: true });
    expect(loadConfig({ EXPLORER_ENABLED: 'false' }).graphql.explorer).toEqual({ enabled: false, devToken: false });
    expect(loadConfig({ HOST: '0.0.0.0', JWT_SECRET: 'x'.repeat(32) }).graphql.explorer).toEqual({ enabled: true, devToken: false });
    expect(loadConfig({ JWT_JWKS_URL: 'https://idp.example/jwks' }).graphql.explorer).toEqual({ enabled: true, devToken: false });
    expect(loadConfig(PROD).graphql.explorer).toEqual({ enabled: false, devToken: false });
    expect(loadConfig({ ...PROD, EXPLORER_ENABLED: 'true', HOST: '127.0.0.1' }).graphql.explorer).toEqual({ enabled: true, devToken: false });
  });
  test('production refuses a missing JWT_SECRET, and the public dev secret', () => {
    expect(() => loadConfig(without('JWT_SECRET'))).toThrow(/^Invalid configuration:\n {2}JWT_SECRET: required in production/);
    expect(() => loadConfig({ ...PROD, JWT_SECRET: DEV_JWT_SECRET })).toThrow(/^Invalid configuration:\n {2}JWT_SECRET: required in production/);
    expect(loadConfig({ ...without('JWT_SECRET'), JWT_JWKS_URL: 'https://idp.example/jwks' }).jwt.jwksUrl).toBe('https://idp.example/jwks');
  });
  test("production refuses the Prova de Vida simulator's client id or secret", () => {
    expect(() => loadConfig(without('PDV_CLIENT_SECRET'))).toThrow(/PDV_CLIENT_ID\/PDV_CLIENT_SECRET: the simulator's credentials are refused in production/);
    expect(() => loadConfig(without('PDV_CLIENT_ID'))).toThrow(/PDV_CLIENT_ID\/PDV_CLIENT_SECRET: the simulator's credentials are refused in production/);
  });
  test('production needs real upstreams', () => {
    expect(() => loadConfig(without('PDV_BASE_URL'))).toThrow(/PDV_BASE_URL: required when SIMULATORS=false/);
    expect(() => loadConfig(without('SPID_STATIONS'))).toThrow(/SPID_STATIONS: required when SIMULATORS=false/);
  });
  test('development binds loopback by default and says why', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.jwt.devTokens).toBe(true);
    expect(c.modeSummary).toBe('mode: development (NODE_ENV unset), bound to loopback (HOST unset)');
  });
  test('a non-loopback bind refuses the dev secret; with a real secret it runs without dev tokens', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/JWT_SECRET: the public dev secret \(and dev tokens\) are refused on a non-loopback HOST \(0\.0\.0\.0\)/);
    expect(() => loadConfig({ HOST: '10.1.2.3', JWT_SECRET: DEV_JWT_SECRET })).toThrow(/refused on a non-loopback HOST \(10\.1\.2\.3\)/);
    const c = loadConfig({ HOST: '0.0.0.0', JWT_SECRET: 'y'.repeat(32) });
    expect(c.jwt.devTokens).toBe(false);
    expect(c.modeSummary).toBe('mode: development (NODE_ENV unset), bound to 0.0.0.0 (network)');
    expect(loadConfig({ HOST: '127.0.0.2' }).jwt.devTokens).toBe(true);
    expect(loadConfig({ HOST: '::1' }).jwt.devTokens).toBe(true);
  });
  test('TRUST_PROXY: hop count or subnets; `true` is refused', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would trust any client/);
  });
});

describe('config: every problem in one report', () => {
  test('schema errors and the cross-field rules are reported together', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', PORT: 'eighty', POLL_INTERVAL_MS: '5', STORE_TIMEOUT_MS: '1' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    const named = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(':')[0]);
    expect(named.sort()).toEqual(
      ['JWT_SECRET', 'PDV_BASE_URL', 'PDV_CLIENT_ID/PDV_CLIENT_SECRET', 'POLL_INTERVAL_MS', 'PORT', 'PSEUDONYM_KEY', 'REPORT_ENCRYPTION_KEY', 'REPORT_LINK_KEY', 'SPID_STATIONS', 'STORE_TIMEOUT_MS'].sort(),
    );
  });
});
