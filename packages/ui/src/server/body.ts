/**
 * The JSON body parser, whose every failure is the client's: a body that is not JSON, too
 * large (after decompression too), in an unknown encoding, or compressed but undecodable (a
 * garbage gzip, deflate or brotli stream) is a 4xx naming the problem, never a 500 with a stack.
 */
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from './httpError.ts';

export const BODY_LIMIT_BYTES = 2 ** 20;

export function jsonBody(): RequestHandler {
  const parse = express.json({ limit: BODY_LIMIT_BYTES });
  return (req: Request, res: Response, next: NextFunction) => parse(req, res, (error?: unknown) => next(error === undefined ? undefined : bodyError(error, req)));
}

function bodyError(error: unknown, req: Request): unknown {
  const { type, status, message } = error as { type?: unknown; status?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return error;
  const encoding = req.headers['content-encoding'];
  switch (type) {
    case 'entity.too.large':
      return new HttpError(413, `request body is larger than the 1 MB limit${encoding ? ' (once decompressed)' : ''}`, { limit: BODY_LIMIT_BYTES });
    case 'encoding.unsupported':
      return new HttpError(415, `Content-Encoding '${encoding}' is not supported; send gzip, deflate, br or an uncompressed body`);
    case 'charset.unsupported':
      return new HttpError(415, `request body: ${String(message)}; send UTF-8`);
    case 'entity.parse.failed':
      return new HttpError(400, `request body is not valid JSON: ${String(message)}`);
    default:
      // zlib's errors (a stream that is not gzip, deflate or brotli) come without a type.
      if (encoding !== undefined && type === undefined) return new HttpError(400, `request body: cannot decode its Content-Encoding '${encoding}': ${String(message)}`);
      return new HttpError(status, `request body: ${String(message)}`);
  }
}
