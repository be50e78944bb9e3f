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
  });
  test('production needs a real secret and a real upstream', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PDV_BASE_URL: 'https://x.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(/PDV_BASE_URL/);
    const c = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PDV_BASE_URL: 'https://x.example' });
    expect(c.jwt.devTokens).toBe(false);
    expect(c.simulators.enabled).toBe(false);
  });
});
