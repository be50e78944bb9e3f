import { ConfigError, loadConfig } from '../../src/config';

describe('config', () => {
  test('defaults: embedded store under ./data, port 4000, simulators on outside production', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, dataDir: './data', databaseUrl: undefined, simulators: { enabled: true } });
    expect(c.provaDeVida.apiVersion).toBe('vbeta4');
  });
  test('a bad value stops boot with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PDV_API_VERSION: 'vbeta3' })).toThrow(/PDV_API_VERSION/);
    expect(() => loadConfig({ POLL_INTERVAL_MS: '5' })).toThrow(/POLL_INTERVAL_MS/);
    expect(() => loadConfig({ SIMULATORS: 'maybe' })).toThrow(/SIMULATORS/);
    expect(() => loadConfig({ SPID_STATIONS: 'not json' })).toThrow(/SPID_STATIONS/);
    expect(() => loadConfig({ SPID_STATIONS: '[{"id":"a b","name":"x","baseUrl":"http://x"}]' })).toThrow(/SPID_STATIONS/);
  });
  test('production needs a real secret and a real upstream', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PDV_BASE_URL: 'https://x.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(/PDV_BASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PDV_BASE_URL: 'https://x.example' })).toThrow(/SPID_STATIONS/);
    const c = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      PDV_BASE_URL: 'https://x.example',
      SPID_STATIONS: JSON.stringify([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]),
    });
    expect(c.spid.stations).toEqual([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]);
    expect(c.jwt.devTokens).toBe(false);
    expect(c.simulators.enabled).toBe(false);
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
    expect(named.sort()).toEqual(['JWT_SECRET', 'PDV_BASE_URL', 'POLL_INTERVAL_MS', 'PORT', 'SPID_STATIONS', 'STORE_TIMEOUT_MS']);
  });
});
