/* The quickstart SPA: sign in, show the ID token claims, call an API, renew silently, sign out.
   Only `authority` and `knownAuthorities` (from /config.js) differ from a real External ID tenant. */
(function () {
  'use strict';
  const cfg = window.SAMPLE_CONFIG;
  // Which app registration signs in: `?app=otp` picks the one linked to the email one-time passcode
  // user flow, `?app=default` the email + password one. The choice is kept in sessionStorage, so it
  // survives the round trips through the emulator (the redirect back lands on /redirect, sign-out on /).
  const APP_KEY = 'contoso-spa.app';
  const asked = new URLSearchParams(window.location.search).get('app');
  if (asked === 'otp' || asked === 'default') sessionStorage.setItem(APP_KEY, asked);
  const app = sessionStorage.getItem(APP_KEY) === 'otp' && cfg.otpClientId
    ? { key: 'otp', clientId: cfg.otpClientId, name: 'email one-time passcode' }
    : { key: 'default', clientId: cfg.clientId, name: 'email and password' };
  const pca = new msal.PublicClientApplication({
    auth: {
      clientId: app.clientId,
      authority: cfg.authority,
      knownAuthorities: cfg.knownAuthorities,
      redirectUri: window.location.origin + '/redirect',
      postLogoutRedirectUri: window.location.origin,
    },
    cache: { cacheLocation: 'localStorage' },
  });
  const loginRequest = { scopes: ['openid', 'profile', 'offline_access', cfg.apiScope] };
  const $ = (id) => document.getElementById(id);

  function showApp() {
    $('active-app').dataset.app = app.key;
    $('active-app-name').textContent = app.name;
    $('active-app-client').textContent = app.clientId;
    const other = app.key === 'otp' ? 'default' : 'otp';
    $('switch-app').href = '/?app=' + other;
    $('switch-app').textContent = other === 'otp' ? 'Use the email one-time passcode app' : 'Use the email and password app';
    $('switch-app').hidden = !cfg.otpClientId;
  }

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

  showApp();
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
