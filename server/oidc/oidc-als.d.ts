/**
 * oidc-provider's AsyncLocalStorage holding the request's Koa context (the package has no `exports`
 * map, so the path is importable). ./client-assertions.ts reads the request being authenticated.
 */
declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks';
  const als: AsyncLocalStorage<unknown>;
  export default als;
}
