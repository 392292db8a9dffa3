// A real OpenID provider (panva/oidc-provider, OpenID Certified) for the OAuth end-to-end
// test: started by tests/test_oauth_e2e.py on loopback, never in production.
//
//   node tests/oidc/provider.mjs <port> <resource URL>
//
// Dynamic client registration, PKCE, RFC 8707 resource indicators issuing RFC 9068 JWT
// access tokens for <resource> with the serials:* scopes, and the provider's own
// development sign-in and consent pages (any login name, any password), which the test
// fills in over plain HTTP. Prints one line, "ready <issuer>", once it listens.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const [port, resource] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const SCOPES = 'serials:read serials:write serials:delete';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  jwks: { keys: [signing] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // Anyone who signs in is "<login>", with the e-mail address "<login>@example.com".
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: `${id}@example.com` }; } };
  },
  claims: { openid: ['sub'], email: ['email'] },
  // The scopes a client may register and ask for, as an administrator would define them.
  scopes: ['openid', 'email', 'offline_access', ...SCOPES.split(' ')],
  pkce: { required: () => true },
  // The access token names the person the way most company providers do: an email claim.
  async extraTokenClaims(ctx, token) {
    if (token.kind === 'AccessToken' && token.accountId) {
      return { email: `${token.accountId}@example.com` };
    }
    return undefined;
  },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf ?? resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope: SCOPES,
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
