/**
 * API errors name the request field at fault (`target "Tim Lily" is 2 tokens…`), but the
 * person typed into a box with another name: the lens sends the answer box as `target`, and
 * every request sends whichever prompt it runs as `prompt`. These rewrite such a message to
 * name the box instead. Pure, tested in Node.
 */
import { ApiError } from './api.ts';

/** API field (its first path segment) → the box it was filled from. */
export type FieldBoxes = Readonly<Record<string, string>>;

/** The boxes behind a request run on the clean or the corrupted prompt. */
export function promptBoxes(which: 'clean' | 'corrupted', extra: FieldBoxes = {}): FieldBoxes {
  return { prompt: `${which} prompt`, clean: 'clean prompt', corrupted: 'corrupted prompt', ...extra };
}

/** `message` (about request field `field`) reworded to name the box the field came from. */
export function inBoxTerms(message: string, field: string | undefined, boxes: FieldBoxes): string {
  if (!field) return message;
  const [root, ...rest] = field.split('.');
  const box = boxes[root];
  if (box === undefined) return message;
  // 'prompt.3' is the prompt's fourth token id.
  const where = rest.length === 0 ? box : /^\d+$/.test(rest.join('.')) ? `${box}, token ${rest[0]}` : `${box}.${rest.join('.')}`;
  return message.startsWith(field) ? `${where}${message.slice(field.length)}` : `${where}: ${message}`;
}

/** The same error, its message in box terms when it is an API error about a field; anything else as it was. */
export function renameFieldError(error: unknown, boxes: FieldBoxes): unknown {
  if (!(error instanceof ApiError) || !error.field) return error;
  const message = inBoxTerms(error.message, error.field, boxes);
  return message === error.message ? error : new ApiError(message, error.status, error.field);
}

/** `promise`, with a field error reworded by renameFieldError. */
export function namingBoxes<T>(promise: Promise<T>, boxes: FieldBoxes): Promise<T> {
  return promise.catch((error: unknown) => {
    throw renameFieldError(error, boxes);
  });
}
