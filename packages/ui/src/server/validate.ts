import type { z } from 'zod';
import { HttpError } from './httpError.ts';

/**
 * Parses a request body with its api schema; the first problem becomes a 400 naming the field
 * (and `limit` when a list or number is over its maximum).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = unknownKey === undefined ? issue.path.map(String) : [...issue.path.map(String), unknownKey];
  const field = path.length > 0 ? path.join('.') : undefined;
  const message = unknownKey === undefined ? issue.message : 'unknown field';
  const limit = issue.code === 'too_big' ? Number(issue.maximum) : undefined;
  throw new HttpError(400, field ? `${field}: ${message}` : `request body: ${message}`, { ...(field && { field }), ...(limit !== undefined && Number.isFinite(limit) && { limit }) });
}
