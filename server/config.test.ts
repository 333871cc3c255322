import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to https://localhost:7443 on 127.0.0.1 with data in ./.ciam-emulator', () => {
    const c = loadConfig([], {}, '/work/x');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 7443, http: false, publicUrl: 'https://localhost:7443', data: '/work/x/.ciam-emulator', argon2: 'owasp' });
    expect(c.certsDir).toBe('/work/x/.ciam-emulator/certs');
  });

  it('takes each flag from its environment variable, and a flag wins over it', () => {
    expect(loadConfig([], { CIAM_PORT: '9000', CIAM_HTTP: '1' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig(['--port', '9100'], { CIAM_PORT: '9000' }).port).toBe(9100);
    expect(loadConfig([], { CIAM_DATA: ':memory:' }).data).toBe(':memory:');
  });

  it('uses --public-url for every URL, whatever it listens on', () => {
    expect(loadConfig(['--http', '--public-url', 'https://login.example.test/'], {}).publicUrl).toBe('https://login.example.test');
    expect(loadConfig(['--host', '0.0.0.0', '--port', '8443'], {}).publicUrl).toBe('https://localhost:8443');
  });

  it.each([
    [['--port', 'abc']], [['--port', '70000']], [['--public-url', 'not a url']], [['--public-url', 'https://x.test/path']],
    [['--argon2', 'cheap']], [['--unknown-flag']],
  ])('rejects %j with a clear message', (args) => {
    expect(() => loadConfig(args, {})).toThrow(ConfigError);
  });
});
