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
      PSEUDONYM_KEY: 'p'.repeat(32),
      REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(c.spid.stations).toEqual([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]);
    expect(c.jwt.devTokens).toBe(false);
    expect(c.simulators.enabled).toBe(false);
  });
});
