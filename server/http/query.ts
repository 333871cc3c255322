/**
 * Integer query parameters (`top`) as the control plane reads them. The route schema declares them
 * `Type.Integer({ minimum, maximum })`, but ajv's type coercion (ajv 8.20) turns `'1e309'` into
 * `Infinity` and then skips minimum/maximum for non-finite numbers, so a huge exponent reached the
 * handler (and SQLite's LIMIT) as Infinity. The handler asks this function instead of the raw value.
 */
export class QueryParameterError extends Error {
  readonly statusCode = 400;
}

export function integerParameter(value: number | undefined, name: string, { fallback, minimum, maximum }: { fallback: number; minimum: number; maximum: number }): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new QueryParameterError(`querystring/${name} must be an integer from ${minimum} to ${maximum}`);
  }
  return value;
}
