import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VIEWS_DIR } from './views.js';

/**
 * Page strings, one JSON file per language under views/strings/, keyed like Entra's customizable
 * strings (SignIn_Title, SignUp_Title, Attribute_Password, …). `ui_locales` picks the first language
 * that has a file; English fills any key a translation lacks. `{name}` placeholders are filled in.
 */
export type Strings = (key: string, vars?: Record<string, string>) => string;

export function createStrings(dir = join(VIEWS_DIR, 'strings')) {
  const tables = new Map<string, Record<string, string>>();
  const load = (locale: string): Record<string, string> | undefined => {
    if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/.test(locale)) return undefined;
    if (!tables.has(locale)) {
      const file = join(dir, `${locale}.json`);
      if (!existsSync(file)) return undefined;
      tables.set(locale, JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
    }
    return tables.get(locale);
  };
  const english = load('en')!;

  /** The strings for a `ui_locales` value (space-separated, most preferred first). */
  return function stringsFor(uiLocales: unknown): Strings & { locale: string } {
    const wanted = typeof uiLocales === 'string' ? uiLocales.toLowerCase().split(/\s+/).filter(Boolean) : [];
    const candidates = wanted.flatMap((l) => [l, l.split('-')[0]!]);
    const locale = candidates.find((l) => load(l)) ?? 'en';
    const table = load(locale) ?? english;
    const s = (key: string, vars: Record<string, string> = {}) =>
      (table[key] ?? english[key] ?? key).replace(/\{(\w+)\}/g, (_m, name: string) => vars[name] ?? `{${name}}`);
    return Object.assign(s, { locale });
  };
}

export type StringsFor = ReturnType<typeof createStrings>;
