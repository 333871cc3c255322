/* The quickstart SPA: sign in, show the ID token claims, call an API, renew silently, sign out.
   Only `authority` and `knownAuthorities` (from /config.js) differ from a real External ID tenant. */
(function () {
  'use strict';
  const cfg = window.SAMPLE_CONFIG;
  const pca = new msal.PublicClientApplication({
    auth: {
      clientId: cfg.clientId,
      authority: cfg.authority,
      knownAuthorities: cfg.knownAuthorities,
      redirectUri: window.location.origin + '/redirect',
      postLogoutRedirectUri: window.location.origin,
    },
    cache: { cacheLocation: 'localStorage' },
  });
  const loginRequest = { scopes: ['openid', 'profile', 'offline_access', cfg.apiScope] };
  const $ = (id) => document.getElementById(id);

  function show(account) {
    const signedIn = Boolean(account);
    $('sign-in-redirect').hidden = signedIn;
    $('sign-in-popup').hidden = signedIn;
    for (const id of ['call-api', 'renew', 'renew-iframe', 'sign-out']) $(id).hidden = !signedIn;
    $('account').hidden = !signedIn;
    $('status').textContent = signedIn ? 'Signed in as ' + account.username : 'Not signed in.';
    if (!signedIn) return;
    $('user-name').textContent = account.name || account.username;
    const body = $('claims').querySelector('tbody');
    body.replaceChildren();
    for (const [k, v] of Object.entries(account.idTokenClaims || {})) {
      const row = document.createElement('tr');
      const key = document.createElement('th');
      const value = document.createElement('td');
      key.textContent = k;
      value.textContent = typeof v === 'object' ? JSON.stringify(v) : String(v);
      value.dataset.claim = k;
      row.append(key, value);
      body.append(row);
    }
  }

  function fail(e) {
    const text = (e && (e.errorCode ? e.errorCode + ': ' + e.errorMessage : e.message)) || String(e);
    $('error').textContent = text;
    $('error').hidden = false;
  }

  function clearError() {
    $('error').hidden = true;
    $('error').textContent = '';
  }

  async function token(options) {
    const account = pca.getActiveAccount();
    return pca.acquireTokenSilent({ ...loginRequest, account, ...options });
  }

  async function callApi() {
    clearError();
    try {
      const result = await token({});
      const res = await fetch(cfg.apiUrl + '/api/todolist', { headers: { authorization: 'Bearer ' + result.accessToken } });
      $('api-result').textContent = JSON.stringify(await res.json(), null, 2);
      $('api').hidden = false;
      $('status').textContent = 'API answered ' + res.status;
    } catch (e) {
      fail(e);
    }
  }

  async function renew(options, label) {
    clearError();
    try {
      const result = await token(options);
      window.lastToken = result;
      $('status').textContent = label + ': new access token ' + (result.fromCache ? 'from the cache' : 'from the emulator')
        + ', expires ' + result.expiresOn.toISOString();
    } catch (e) {
      // Entra says login_required (AADSTS50058) when no session exists: fall back to interaction.
      if (e instanceof msal.InteractionRequiredAuthError) {
        fail(e);
        $('status').textContent = 'Silent renewal needs interaction: ' + e.errorCode;
        return;
      }
      fail(e);
    }
  }

  $('sign-in-redirect').addEventListener('click', () => pca.loginRedirect(loginRequest).catch(fail));
  $('sign-in-popup').addEventListener('click', async () => {
    clearError();
    try {
      const result = await pca.loginPopup(loginRequest);
      pca.setActiveAccount(result.account);
      show(result.account);
    } catch (e) {
      fail(e);
    }
  });
  $('call-api').addEventListener('click', callApi);
  $('renew').addEventListener('click', () => renew({ forceRefresh: true }, 'Refresh token'));
  // Skip the cache and the refresh token: msal-browser goes to the hidden iframe (prompt=none).
  $('renew-iframe').addEventListener('click', () => renew({ cacheLookupPolicy: msal.CacheLookupPolicy.Skip }, 'Hidden iframe'));
  $('sign-out').addEventListener('click', () => pca.logoutRedirect({ account: pca.getActiveAccount() }).catch(fail));

  pca.initialize()
    .then(() => pca.handleRedirectPromise())
    .then((result) => {
      if (result && result.account) pca.setActiveAccount(result.account);
      const account = pca.getActiveAccount() || pca.getAllAccounts()[0] || null;
      if (account) pca.setActiveAccount(account);
      show(account);
      document.body.dataset.ready = 'true';
    })
    .catch((e) => {
      fail(e);
      document.body.dataset.ready = 'true';
    });
})();
