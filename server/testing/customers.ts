import type { User } from '../directory/index.js';
import { DEFAULT, type TestEmulator } from './harness.js';

/**
 * A customer made the way a real one is: the web app's sign-up flow (email code, password,
 * attributes) through the flow services, so tests that need a throwaway account never touch Alice.
 */
export async function signedUpCustomer(emu: TestEmulator, email: string, password = 'Str0ng-passw0rd', displayName = 'Test Customer'): Promise<User> {
  const tenant = emu.registry.resolve(DEFAULT.tenantId)!.tenant;
  const tx = await emu.flows.signUp.sendCode(tenant, await emu.flows.signUp.start(tenant, DEFAULT.web, email, { password }));
  emu.flows.signUp.verifyCode(tenant, tx.id, emu.mailer.outbox.list({ to: email, top: 1 })[0]!.code!);
  emu.flows.signUp.setAttributes(tenant, tx.id, { displayName, country: 'Other' });
  return emu.flows.signUp.complete(tenant, tx.id);
}
