// A real OpenID provider for the single sign-on tests (tests/accounts/test_oidc*.py), the npm
// package oidc-provider: `node tests/oidc_provider.mjs <port>` with, in the environment,
// OIDC_TEST_CLIENT: {"client_id", "client_secret", "redirect_uri"},
// OIDC_TEST_JWKS: {"keys": [a private signing JWK]},
// OIDC_TEST_ACCOUNTS: a JSON file, read at each sign-in: {"<login>": {"email", "email_verified",
// "groups"}} (the tests rewrite it between sign-ins).
// Its pages are oidc-provider's own development login (any password) and consent pages; PKCE is
// required of the client.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const client = JSON.parse(process.env.OIDC_TEST_CLIENT);
const jwks = JSON.parse(process.env.OIDC_TEST_JWKS);
const accountsFile = process.env.OIDC_TEST_ACCOUNTS;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: [client.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks,
  cookies: { keys: ['oidc-provider-test-cookie-key'] },
  pkce: { required: () => true },
  // The claims in the ID token itself, as Okta, Entra ID and Keycloak can be set to send them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'groups'],
  },
  async findAccount(ctx, id) {
    const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: id, ...account };
      },
    };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${port}`);
});
