/**
 * The subset of OData `$filter` the emulator understands for /users, parsed into clauses that the
 * directory turns into SQL. Anything outside the subset is REJECTED with a message naming it: a
 * silently ignored clause would return the wrong users.
 *
 * Supported (joined with `and`):
 *   identities/any(c:c/issuerAssignedId eq '…' and c/issuer eq '…')   (either order, both required)
 *   <property> eq <literal>          property: mail, displayName, givenName, surname, userType, accountEnabled, id,
 *                                    userPrincipalName, country, city, creationType, or extension_…
 *   startsWith(<property>, '…')      property: displayName, givenName, surname, mail, userPrincipalName
 *   id in ('…', '…')
 */
export type Literal = string | number | boolean | null;

export type Clause =
  | { kind: 'eq'; property: string; value: Literal }
  | { kind: 'startsWith'; property: string; value: string }
  | { kind: 'in'; property: string; values: Literal[] }
  | { kind: 'identity'; issuer: string; issuerAssignedId: string };

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

export const EQ_PROPERTIES = new Set(['mail', 'displayName', 'givenName', 'surname', 'userType', 'accountEnabled', 'id',
  'userPrincipalName', 'country', 'city', 'creationType']);
export const STARTS_WITH_PROPERTIES = new Set(['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName']);
const IN_PROPERTIES = new Set(['id']);
const isExtension = (p: string) => /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/.test(p);

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'punct'; v: '(' | ')' | ',' | ':'; at: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',' || c === ':') { out.push({ t: 'punct', v: c, at: i }); i++; continue; }
    if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new FilterError(`Unterminated string literal at position ${i}.`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") { v += "'"; j += 2; continue; }
          break;
        }
        v += src[j];
        j++;
      }
      out.push({ t: 'string', v, at: i });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(?![\w.])/.exec(src.slice(i));
    if (num) { out.push({ t: 'number', v: Number(num[0]), at: i }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][\w/.]*/.exec(src.slice(i));
    if (id) { out.push({ t: 'ident', v: id[0], at: i }); i += id[0].length; continue; }
    throw new FilterError(`Syntax error: character '${c}' at position ${i} is not valid.`);
  }
  return out;
}

class Parser {
  #pos = 0;
  constructor(readonly tokens: Token[]) {}

  peek(): Token | undefined { return this.tokens[this.#pos]; }
  next(): Token {
    const t = this.tokens[this.#pos++];
    if (!t) throw new FilterError('Syntax error: the filter ends too early.');
    return t;
  }
  punct(v: string): void {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw new FilterError(`Syntax error: '${v}' expected at position ${t.at}.`);
  }
  keyword(v: string): void {
    const t = this.next();
    if (t.t !== 'ident' || t.v.toLowerCase() !== v) throw new FilterError(`Syntax error: '${v}' expected at position ${t.at}.`);
  }
  ident(): string {
    const t = this.next();
    if (t.t !== 'ident') throw new FilterError(`Syntax error: a property name expected at position ${t.at}.`);
    return t.v;
  }
  string(): string {
    const t = this.next();
    if (t.t !== 'string') throw new FilterError(`Syntax error: a string literal expected at position ${t.at}.`);
    return t.v;
  }
  literal(): Literal {
    const t = this.next();
    if (t.t === 'string' || t.t === 'number') return t.v;
    if (t.t === 'ident' && ['true', 'false', 'null'].includes(t.v)) return t.v === 'null' ? null : t.v === 'true';
    throw new FilterError(`Syntax error: a literal expected at position ${t.at}.`);
  }
  atEnd(): boolean { return this.#pos >= this.tokens.length; }
}

export function parseFilter(src: string): Clause[] {
  if (!src.trim()) throw new FilterError('The $filter expression is empty.');
  const p = new Parser(tokenize(src));
  const clauses: Clause[] = [clause(p)];
  while (!p.atEnd()) {
    const t = p.next();
    if (t.t === 'ident' && t.v === 'and') { clauses.push(clause(p)); continue; }
    if (t.t === 'ident' && t.v === 'or') throw new FilterError("The 'or' operator is not supported by ciam-emulator.");
    throw new FilterError(`Syntax error: unexpected '${String(t.v)}' at position ${t.at}.`);
  }
  return clauses;
}

function clause(p: Parser): Clause {
  const first = p.next();
  if (first.t !== 'ident') throw new FilterError(`Syntax error: unexpected '${String(first.v)}' at position ${first.at}.`);
  if (first.v === 'not') throw new FilterError("The 'not' operator is not supported by ciam-emulator.");
  if (first.v === 'identities/any') return identityClause(p);
  if (first.v.toLowerCase() === 'startswith') {
    p.punct('(');
    const property = p.ident();
    p.punct(',');
    const value = p.string();
    p.punct(')');
    if (!STARTS_WITH_PROPERTIES.has(property)) throw new FilterError(`startsWith on property '${property}' is not supported by ciam-emulator.`);
    return { kind: 'startsWith', property, value };
  }
  const next = p.peek();
  if (next?.t === 'punct' && next.v === '(') throw new FilterError(`The function '${first.v}' is not supported by ciam-emulator.`);
  const property = first.v;
  const op = p.ident();
  if (op === 'eq') {
    if (!EQ_PROPERTIES.has(property) && !isExtension(property)) throw new FilterError(`Filtering on property '${property}' is not supported by ciam-emulator.`);
    return { kind: 'eq', property, value: p.literal() };
  }
  if (op === 'in') {
    if (!IN_PROPERTIES.has(property)) throw new FilterError(`The 'in' operator on property '${property}' is not supported by ciam-emulator.`);
    p.punct('(');
    const values = [p.literal()];
    for (let t = p.next(); !(t.t === 'punct' && t.v === ')'); t = p.next()) {
      if (!(t.t === 'punct' && t.v === ',')) throw new FilterError(`Syntax error: ',' or ')' expected at position ${t.at}.`);
      values.push(p.literal());
    }
    if (values.length > 15) throw new FilterError("The 'in' operator takes at most 15 values.");
    return { kind: 'in', property, values };
  }
  throw new FilterError(`The operator '${op}' is not supported by ciam-emulator.`);
}

/** identities/any(c:c/issuerAssignedId eq '…' and c/issuer eq '…'), the conditions in either order. */
function identityClause(p: Parser): Clause {
  p.punct('(');
  const v = p.ident();
  p.punct(':');
  const found: Record<string, string> = {};
  for (let i = 0; i < 2; i++) {
    if (i === 1) p.keyword('and');
    const prop = p.ident();
    const [lambda, field] = prop.split('/');
    if (lambda !== v || !field || prop.split('/').length !== 2) throw new FilterError(`Syntax error: '${v}/<property>' expected, got '${prop}'.`);
    if (field !== 'issuer' && field !== 'issuerAssignedId') throw new FilterError(`Filtering identities on '${field}' is not supported by ciam-emulator.`);
    p.keyword('eq');
    if (field in found) throw new FilterError(`'${field}' appears twice in the identities filter.`);
    found[field] = p.string();
  }
  const t = p.next();
  if (!(t.t === 'punct' && t.v === ')')) {
    throw new FilterError("An identities filter takes exactly two conditions: issuerAssignedId eq '…' and issuer eq '…'.");
  }
  if (found.issuer === undefined || found.issuerAssignedId === undefined) {
    throw new FilterError('An identities filter needs both issuerAssignedId and issuer.');
  }
  return { kind: 'identity', issuer: found.issuer, issuerAssignedId: found.issuerAssignedId };
}
