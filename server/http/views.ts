import { Eta } from 'eta';
import { fromRoot } from '../paths.js';

export const VIEWS_DIR = `${fromRoot('views')}/`;

/**
 * Server-rendered pages (eta, auto-escaped: `<%= %>` escapes, nothing builds HTML by string
 * concatenation). One instance serves fastify routes and oidc-provider's error and logout pages.
 */
export interface Views {
  render(name: string, data: Record<string, unknown>): string;
}

export function createViews(): Views {
  const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, useWith: false });
  return {
    render: (name, data) => eta.render(name, data),
  };
}
