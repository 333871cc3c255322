import type { Argon2Profile } from '../config.js';

/**
 * Passwords are hashed with argon2id. The OWASP profile (m=19 MiB, t=2, p=1) is the default; the
 * test profile is ~10x cheaper so test suites can sign in hundreds of times a second
 * (performance-baseline.md: 24 ms vs 2.4 ms per verify on these machines).
 */
const PROFILES: Record<Argon2Profile, { memoryCost: number; timeCost: number; parallelism: number }> = {
  owasp: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
  test: { memoryCost: 4096, timeCost: 1, parallelism: 1 },
};

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** argon2 is loaded on first use: a restart with unchanged fixtures hashes nothing before it listens. */
let argon2: Promise<typeof import('argon2')> | undefined;
const load = () => (argon2 ??= import('argon2').then((m) => (m.default ?? m) as typeof import('argon2')));

export function createPasswordHasher(profile: Argon2Profile): PasswordHasher {
  return {
    hash: async (password) => {
      const a = await load();
      return a.hash(password, { type: a.argon2id, ...PROFILES[profile] });
    },
    async verify(hash, password) {
      try {
        return await (await load()).verify(hash, password);
      } catch {
        return false; // a malformed stored hash never signs anyone in
      }
    },
  };
}
