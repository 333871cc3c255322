import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder (views/, migrations/, fixtures/, package.json), found from this file
 * whether it runs from source (server/paths.ts under tsx) or from the built bundle (dist/).
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ciam-emulator') return dir;
    if (dirname(dir) === dir) throw new Error(`ciam-emulator: no package.json named ciam-emulator above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const fromRoot = (...parts: string[]) => join(ROOT, ...parts);
