import { describe, expect, it } from 'vitest';
import { FilterError, parseFilter } from './filter.js';

describe('the $filter parser', () => {
  it('reads the identity filter in either order', () => {
    expect(parseFilter("identities/any(c:c/issuerAssignedId eq 'j.o''neil@x.com' and c/issuer eq 'contoso.onmicrosoft.com')"))
      .toEqual([{ kind: 'identity', issuerAssignedId: "j.o'neil@x.com", issuer: 'contoso.onmicrosoft.com' }]);
    expect(parseFilter("identities/any(x:x/issuer eq 'i' and x/issuerAssignedId eq 'a')")).toEqual([{ kind: 'identity', issuer: 'i', issuerAssignedId: 'a' }]);
  });

  it('reads eq, startsWith, in and and', () => {
    expect(parseFilter("mail eq 'a@b.c' and accountEnabled eq false and startsWith(displayName,'Al') and id in ('1','2')")).toEqual([
      { kind: 'eq', property: 'mail', value: 'a@b.c' },
      { kind: 'eq', property: 'accountEnabled', value: false },
      { kind: 'startsWith', property: 'displayName', value: 'Al' },
      { kind: 'in', property: 'id', values: ['1', '2'] },
    ]);
    expect(parseFilter('extension_66666666666646668666666666666666_loyaltyNumber eq \'42\'')).toEqual([
      { kind: 'eq', property: 'extension_66666666666646668666666666666666_loyaltyNumber', value: '42' }]);
    expect(parseFilter('mail eq null')).toEqual([{ kind: 'eq', property: 'mail', value: null }]);
  });

  it.each([
    ["mail eq 'a' or mail eq 'b'", /'or'/],
    ["not(mail eq 'a')", /'not'/],
    ["mail ne 'a'", /operator 'ne'/],
    ["endsWith(mail,'x')", /function 'endsWith'/],
    ["jobTitle2 eq 'x'", /property 'jobTitle2'/],
    ["identities/any(c:c/issuerAssignedId eq 'a')", /'and' expected|both/],
    ["identities/any(c:c/signInType eq 'emailAddress' and c/issuer eq 'x')", /signInType/],
    ["identities/any(c:c/issuer eq 'x' and c/issuer eq 'y')", /twice/],
    ["mail eq 'unterminated", /Unterminated/],
    ["mail eq", /ends too early/],
    ["mail eq 'a' mail", /unexpected/],
    ["startsWith(city,'x')", /startsWith on property 'city'/],
    ['', /empty/],
    ["mail eq 'a' & 1", /character '&'/],
  ])('rejects %s', (src, message) => {
    expect(() => parseFilter(src)).toThrow(FilterError);
    expect(() => parseFilter(src)).toThrow(message);
  });
});
