import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../clock.js';
import { DEFAULT } from '../testing/harness.js';
import { fullReads, queryPlan, recordingDb } from '../testing/query-plan.js';
import { graphTestKit, signIn } from '../graph/graph-test-kit.js';
import { parseFilter } from '../graph/filter.js';
import { clausesToSql } from '../graph/user-model.js';
import { BulkImportError, importUsers, type BulkUser } from './bulk-import.js';
import { createPasswordHasher } from './passwords.js';
import { UserAdminRepository } from './user-admin.js';
import { UserRepository } from './users.js';

// The bulk path that fills a directory with many customers (bench/scale.ts: a million), checked
// end to end: imported users sign in on the hosted pages and Graph finds and pages them, and the
// queries behind those stay on indexes, so a lost index fails here rather than only in the bench.
const kit = graphTestKit();
const USERS = 3000;
const PASSWORD = 'Bulk!Passw0rd';
const email = (i: number) => `bulk${i}@example.com`;
const bulkUser = (i: number): BulkUser => ({
  displayName: `Bulk User ${i}`, mail: email(i),
  identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email(i) }],
});
function* bulkUsers(n: number) { for (let i = 0; i < n; i++) yield bulkUser(i); }

let imported = false;
async function importOnce() {
  if (imported) return;
  imported = true;
  const passwordHash = await createPasswordHasher('test').hash(PASSWORD);
  const result = importUsers(kit.emu.db, DEFAULT.tenantId, bulkUsers(USERS), { passwordHash, now: Date.now(), random: cryptoRandom, batchSize: 1000 });
  expect(result).toEqual({ users: USERS, identities: USERS, extensionValues: 0 });
}

/** The SQL Graph's user list runs for `filter`, and its plan on the test database. */
function listPlan(filter: string, after?: { key: string; id: string }): string[] {
  const rec = recordingDb(kit.emu.db);
  const tenant = kit.emu.directory.tenants.get(DEFAULT.tenantId)!;
  const conditions = clausesToSql(parseFilter(filter), tenant, kit.emu.directory.attributes.definitions(tenant.id));
  new UserAdminRepository(rec.db).list(tenant.id, { conditions, orderBy: 'id', after, limit: 11 });
  expect(rec.executed).toHaveLength(1);
  return queryPlan(kit.emu.db, rec.executed[0]!);
}

describe('bulk import of customer users', () => {
  it('imports 3,000 users who sign in on the hosted pages with the shared password, and not with another', async () => {
    await importOnce();
    expect((await signIn(kit, email(1234), PASSWORD)).url).toMatch(/^http:\/\/localhost:3001\/auth\/redirect\?code=/);
    const wrong = await signIn(kit, email(2999), 'Wrong!Passw0rd');
    expect(wrong.html).toContain('AADSTS50126');
    expect(wrong.url).not.toMatch(/code=/);
  });

  it('finds an imported user by the Graph identities filter, with its email identity', async () => {
    await importOnce();
    const found = await kit.graph.api('/users').select(['id', 'displayName', 'identities'])
      .filter(`identities/any(c:c/issuerAssignedId eq '${email(777)}' and c/issuer eq '${DEFAULT.domain}')`).get();
    expect(found.value).toHaveLength(1);
    expect(found.value[0].displayName).toBe('Bulk User 777');
    expect(found.value[0].identities).toContainEqual({ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email(777) });
  });

  it('pages startsWith(displayName) over the imported users with $top=50: 111 matches in pages of 50, 50 and 11', async () => {
    await importOnce();
    // 'Bulk User 12' matches 12, 120–129 and 1200–1299 (case-insensitively, as Graph compares strings)
    let page = await kit.graph.api('/users').filter("startsWith(displayName,'bulk user 12')").select(['displayName']).top(50).get();
    const sizes: number[] = [];
    const names: string[] = [];
    for (;;) {
      sizes.push(page.value.length);
      names.push(...page.value.map((u: { displayName: string }) => u.displayName));
      if (!page['@odata.nextLink']) break;
      page = await kit.graph.api(String(page['@odata.nextLink'])).get();
    }
    expect(sizes).toEqual([50, 50, 11]);
    expect(new Set(names).size).toBe(111);
    expect(names.every((n) => n.startsWith('Bulk User 12'))).toBe(true);
  });

  it('refuses an identity another user holds: the batch rolls back and the error says how many were imported', async () => {
    await importOnce();
    const fresh = { ...bulkUser(USERS + 1) };
    const taken: BulkUser = { displayName: 'Taken', identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: DEFAULT.alice.email }] };
    let error: unknown;
    try {
      importUsers(kit.emu.db, DEFAULT.tenantId, [fresh, taken], { passwordHash: null, now: Date.now(), random: cryptoRandom });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(BulkImportError);
    expect(error).toMatchObject({ index: 1, imported: 0, message: 'user #1: an identity is already taken by another user (0 users imported before it)' });
    // the first user of the failed batch is not there either
    expect(kit.emu.directory.users.findBySignInName(DEFAULT.tenantId, email(USERS + 1))).toBeUndefined();
  });

  it("refuses a local identity whose issuer is not the tenant's domain", () => {
    const bad: BulkUser = { displayName: 'Elsewhere', identities: [{ signInType: 'emailAddress', issuer: 'fabrikam.onmicrosoft.com', issuerAssignedId: 'x@example.com' }] };
    expect(() => importUsers(kit.emu.db, DEFAULT.tenantId, [bad], { passwordHash: null, now: Date.now(), random: cryptoRandom }))
      .toThrow("user #0: local account identities must have the issuer 'contoso.onmicrosoft.com' (0 users imported before it)");
  });
});

describe('the directory queries behind sign-in and Graph $filter use indexes (no read of every user)', () => {
  it.each([
    [`identities/any(c:c/issuerAssignedId eq 'bulk5@example.com' and c/issuer eq '${DEFAULT.domain}')`, 'sqlite_autoindex_users_1'],
    ["startsWith(displayName,'Bulk User 12')", 'users_display_name'],
    ["startsWith(mail,'bulk12')", 'users_mail'],
    ["displayName eq 'Bulk User 12'", 'users_display_name'],
    ["mail eq 'bulk12@example.com'", 'users_mail'],
    ["id eq 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA'", 'sqlite_autoindex_users_1'],
  ])('GET /users?$filter=%s reads users through %s', async (filter, index) => {
    await importOnce();
    const plan = listPlan(filter);
    expect(fullReads(plan, 'users', 'u'), plan.join('\n')).toEqual([]);
    expect(plan.some((line) => line.startsWith('SEARCH u USING') && line.includes(`INDEX ${index} (`)), plan.join('\n')).toBe(true);
  });

  // The next page (a nextLink's $skiptoken) must not switch to reading the tenant from that id on.
  it.each([
    ["startsWith(displayName,'Bulk User 12')", 'users_display_name'],
    ["startsWith(mail,'bulk12')", 'users_mail'],
  ])('the page after a $skiptoken of $filter=%s still reads users through %s', async (filter, index) => {
    await importOnce();
    const plan = listPlan(filter, { key: '80000000-0000-4000-8000-000000000000', id: '80000000-0000-4000-8000-000000000000' });
    expect(fullReads(plan, 'users', 'u'), plan.join('\n')).toEqual([]);
    expect(plan.some((line) => line.startsWith('SEARCH u USING') && line.includes(`INDEX ${index} (`)), plan.join('\n')).toBe(true);
  });

  it('sign-in by email finds the identity through identities_sign_in_name, not by reading every identity of the tenant', async () => {
    await importOnce();
    const rec = recordingDb(kit.emu.db);
    expect(new UserRepository(rec.db).findBySignInName(DEFAULT.tenantId, email(42))?.displayName).toBe('Bulk User 42');
    const lookup = rec.executed.find((q) => /FROM identities i JOIN users u/.test(q.sql))!;
    const plan = queryPlan(kit.emu.db, lookup);
    expect(fullReads(plan, 'identities', 'i'), plan.join('\n')).toEqual([]);
    expect(plan[0]).toMatch(/^SEARCH i USING INDEX identities_sign_in_name \(tenant_id=\? AND issuer_assigned_id=\?\)$/);
  });
});
