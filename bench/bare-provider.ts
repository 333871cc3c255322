/**
 * The yardstick: oidc-provider with nothing of the emulator, configured like the emulator's
 * client_credentials path (one confidential client, resource indicators, JWT RS256 access tokens,
 * a key made beforehand, plain http on 127.0.0.1). Spawned by bench/run.ts:
 *   node --import tsx bench/bare-provider.ts --port N --jwks <file with {"keys":[privateJwk]}>
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Provider, { type Configuration } from 'oidc-provider';
import { CLIENT_ID, CLIENT_SECRET, RESOURCE } from './lib/constants.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, jwks: { type: 'string' } }, strict: true });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || !values.jwks) {
  process.stderr.write('usage: bare-provider.ts --port N --jwks FILE\n');
  process.exit(2);
}
const jwks = JSON.parse(readFileSync(values.jwks, 'utf8')) as Configuration['jwks'];

const configuration: Configuration = {
  jwks,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  // As the emulator sets it (and without it oidc-provider prints a notice on the first token).
  ttl: { ClientCredentials: () => 3599 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        audience: RESOURCE,
        scope: `${RESOURCE}/.default`,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
const server = provider.listen(port, '127.0.0.1');
// The harness stops children with SIGTERM; exit at once instead of waiting on keep-alive sockets.
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
