/**
 * Browser code of the native authentication test page (bundled by ./server.ts with esbuild): the
 * real `CustomAuthPublicClientApplication` from `@azure/msal-browser/custom-auth`, configured against
 * the emulator with its CORS mount as `authApiProxyUrl`. `window.nativeAuth` runs SDK flows step by
 * step and answers plain data, so the Playwright spec reads codes from the mailbox in between.
 */
import { CustomAuthPublicClientApplication, type ICustomAuthPublicClientApplication } from '@azure/msal-browser/custom-auth';

export interface NativePageConfig { clientId: string; otpClientId: string; authority: string; proxy: string; mfaClientId?: string }
type Kind = 'password' | 'otp' | 'redirectOnly' | 'mfa';

/** What the spec needs of any SDK result: which state it is in, and its error. */
interface AnyResult {
  state?: unknown;
  error?: { errorData?: { error?: string; errorDescription?: string }; isRedirectRequired(): boolean; isPasswordIncorrect?(): boolean; isUserNotFound?(): boolean; isInvalidCode?(): boolean };
  isCompleted?(): boolean; isCodeRequired?(): boolean; isPasswordRequired?(): boolean; isAttributesRequired?(): boolean; isFailed?(): boolean;
}
interface CodeState { submitCode(code: string): Promise<AnyResult>; resendCode(): Promise<AnyResult>; getCodeLength(): number }

const config = (window as unknown as { NATIVE_CONFIG: NativePageConfig }).NATIVE_CONFIG;
const apps = new Map<Kind, Promise<ICustomAuthPublicClientApplication>>();
const pending = new Map<string, CodeState>();

/**
 * `otp` is the email one-time passcode app; `redirectOnly` configures no challenge types, so the SDK sends
 * only `redirect`; `mfa` is an app that requires MFA, with the SDK declaring both capabilities.
 */
function app(kind: Kind): Promise<ICustomAuthPublicClientApplication> {
  let created = apps.get(kind);
  if (!created) {
    const clientId = kind === 'otp' ? config.otpClientId : kind === 'mfa' ? config.mfaClientId! : config.clientId;
    created = CustomAuthPublicClientApplication.create({
      auth: { clientId, authority: config.authority },
      customAuth: {
        authApiProxyUrl: config.proxy,
        ...(kind === 'redirectOnly' ? {} : { challengeTypes: ['password', 'oob', 'redirect'] }),
        ...(kind === 'mfa' ? { capabilities: ['mfa_required', 'registration_required'] } : {}),
      },
      cache: { cacheLocation: 'sessionStorage' },
    });
    apps.set(kind, created);
  }
  return created;
}

const summary = (r: AnyResult) => ({
  result: r.constructor.name,
  error: r.error && { name: r.error.constructor.name, error: r.error.errorData?.error, description: r.error.errorData?.errorDescription, redirect: r.error.isRedirectRequired() },
});
function expectState(r: AnyResult, check: 'isCompleted' | 'isCodeRequired' | 'isPasswordRequired'): void {
  if (!r[check]?.()) throw new Error(`expected ${check}, got ${JSON.stringify(summary(r))}`);
}

async function account(kind: Kind) {
  const data = (await app(kind)).getCurrentAccount().data;
  if (!data) return undefined;
  const claims = (data.getClaims() ?? {}) as Record<string, unknown>;
  return { username: data.getAccount().username, homeAccountId: data.getAccount().homeAccountId, name: claims.name, oid: claims.oid };
}

async function finishSignUp(r: AnyResult, kind: Kind, password: string | undefined, attributes: Record<string, string>) {
  if (r.isPasswordRequired?.() && password) r = await (r.state as { submitPassword(p: string): Promise<AnyResult> }).submitPassword(password);
  if (r.isAttributesRequired?.()) r = await (r.state as { submitAttributes(a: Record<string, string>): Promise<AnyResult> }).submitAttributes(attributes);
  expectState(r, 'isCompleted');
  const signedIn = await (r.state as { signIn(): Promise<AnyResult> }).signIn();
  expectState(signedIn, 'isCompleted');
  return account(kind);
}

const nativeAuth = {
  account,
  /** sign-up (password app, or `otp`): start, then wait for the code */
  async signUpStart(kind: 'password' | 'otp', username: string) {
    const r = await (await app(kind)).signUp({ username }) as unknown as AnyResult;
    expectState(r, 'isCodeRequired');
    pending.set(`signUp-${kind}`, r.state as CodeState);
    return { codeLength: (r.state as CodeState).getCodeLength() };
  },
  async signUpResend(kind: 'password' | 'otp') {
    const r = await pending.get(`signUp-${kind}`)!.resendCode();
    expectState(r, 'isCodeRequired');
    pending.set(`signUp-${kind}`, r.state as CodeState);
  },
  async signUpWrongCode(kind: 'password' | 'otp', code: string) {
    const r = await pending.get(`signUp-${kind}`)!.submitCode(code);
    return { invalidCode: r.error?.isInvalidCode?.() ?? false, summary: summary(r) };
  },
  async signUpFinish(kind: 'password' | 'otp', code: string, password: string | undefined, attributes: Record<string, string>) {
    return finishSignUp(await pending.get(`signUp-${kind}`)!.submitCode(code), kind, password, attributes);
  },
  async signInWithPassword(username: string, password: string) {
    const r = await (await app('password')).signIn({ username, password }) as unknown as AnyResult;
    if (!r.isCompleted?.()) {
      return { signedIn: false, passwordIncorrect: r.error?.isPasswordIncorrect?.() ?? false, userNotFound: r.error?.isUserNotFound?.() ?? false, summary: summary(r) };
    }
    return { signedIn: true, account: await account('password') };
  },
  async signInOtpStart(username: string) {
    const r = await (await app('otp')).signIn({ username }) as unknown as AnyResult;
    expectState(r, 'isCodeRequired');
    pending.set('signIn-otp', r.state as CodeState);
    return { codeLength: (r.state as CodeState).getCodeLength() };
  },
  async signInOtpFinish(code: string) {
    const r = await pending.get('signIn-otp')!.submitCode(code);
    expectState(r, 'isCompleted');
    return account('otp');
  },
  async resetStart(username: string) {
    const r = await (await app('password')).resetPassword({ username }) as unknown as AnyResult;
    expectState(r, 'isCodeRequired');
    pending.set('reset', r.state as CodeState);
  },
  async resetFinish(code: string, newPassword: string) {
    let r = await pending.get('reset')!.submitCode(code);
    expectState(r, 'isPasswordRequired');
    r = await (r.state as { submitNewPassword(p: string): Promise<AnyResult> }).submitNewPassword(newPassword);
    expectState(r, 'isCompleted');
    r = await (r.state as { signIn(): Promise<AnyResult> }).signIn();
    expectState(r, 'isCompleted');
    return account('password');
  },
  async accessToken(kind: 'password' | 'otp' | 'mfa', forceRefresh: boolean) {
    const data = (await app(kind)).getCurrentAccount().data;
    if (!data) throw new Error('no account');
    const r = await data.getAccessToken({ forceRefresh, scopes: ['openid', 'profile', 'offline_access'] });
    if (r.error || !r.data) throw new Error(`getAccessToken failed: ${r.error?.errorData?.error ?? ''} ${r.error?.errorData?.errorDescription ?? ''}`);
    return { accessToken: r.data.accessToken, fromCache: r.data.fromCache };
  },
  async signOut(kind: 'password' | 'otp' | 'mfa') {
    const data = (await app(kind)).getCurrentAccount().data;
    if (!data) return 'no account';
    const r = await data.signOut();
    if (r.error) throw new Error(`signOut failed: ${r.error.errorData.error}`);
    return (await app(kind)).getCurrentAccount().data ? 'still signed in' : 'signed out';
  },
  /** password sign-in to the MFA app: the first time registers the sign-in email (preverified), then signs in */
  async mfaSignInRegistering(username: string, password: string) {
    let r = await (await app('mfa')).signIn({ username, password }) as unknown as AnyResult & { isAuthMethodRegistrationRequired?(): boolean };
    if (!r.isAuthMethodRegistrationRequired?.()) throw new Error(`expected registration required, got ${JSON.stringify(summary(r))}`);
    const state = r.state as { getAuthMethods(): { id: string }[]; challengeAuthMethod(m: { authMethodType: unknown; verificationContact: string }): Promise<AnyResult> };
    const methods = state.getAuthMethods();
    r = await state.challengeAuthMethod({ authMethodType: methods[0]!, verificationContact: username });
    expectState(r, 'isCompleted');
    return { methods: methods.length, account: await account('mfa') };
  },
  /** password sign-in to the MFA app once a method is registered: wait for the MFA code */
  async mfaSignInStart(username: string, password: string) {
    const r = await (await app('mfa')).signIn({ username, password }) as unknown as AnyResult & { isMfaRequired?(): boolean };
    if (!r.isMfaRequired?.()) throw new Error(`expected MFA required, got ${JSON.stringify(summary(r))}`);
    const state = r.state as { requestChallenge(id: string): Promise<AnyResult>; getAuthMethods(): { id: string }[] };
    const c = await state.requestChallenge(state.getAuthMethods()[0]!.id);
    pending.set('mfa', c.state as CodeState);
    return { summary: summary(c) };
  },
  async mfaSignInFinish(code: string) {
    const r = await (pending.get('mfa') as unknown as { submitChallenge(c: string): Promise<AnyResult> }).submitChallenge(code);
    expectState(r, 'isCompleted');
    return account('mfa');
  },
  /** the SDK configured with no challenge types: every flow must fall back to the browser redirect */
  async redirectFallback(username: string) {
    return summary(await (await app('redirectOnly')).signIn({ username }) as unknown as AnyResult);
  },
};

export type NativeAuthPage = typeof nativeAuth;
(window as unknown as { nativeAuth: NativeAuthPage }).nativeAuth = nativeAuth;
document.getElementById('status')!.textContent = 'ready';
