import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../domain/clock.ts';
import { header, readBody, sendJson } from './httpIo.ts';
import { verifyWebhookAuth } from './webhookSignature.ts';

/** Bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Reads, authenticates and validates a JSON request body the way /leads and /signals share:
 * answers the error itself and returns undefined, or returns the parsed JSON and raw body.
 */
export async function readAuthenticatedJson(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { webhookSecret: string; clock: Clock },
  invalidError: string,
): Promise<{ json: unknown; raw: Buffer } | undefined> {
  const auth = {
    authorization: header(req, 'authorization'),
    timestamp: header(req, 'x-leadrelay-timestamp'),
    signature: header(req, 'x-leadrelay-signature'),
  };
  const nowSeconds = () => Math.floor(deps.clock.now() / 1000);
  if (auth.authorization === undefined && (auth.timestamp === undefined || auth.signature === undefined)) {
    sendJson(res, 401, { error: 'unauthorized' });
    return undefined;
  }
  // A bearer token can be checked before the body is read; a signature needs the body.
  if (auth.authorization !== undefined && !verifyWebhookAuth(auth, Buffer.alloc(0), deps.webhookSecret, nowSeconds()).ok) {
    sendJson(res, 401, { error: 'unauthorized' });
    return undefined;
  }
  const contentType = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    sendJson(res, 415, { error: 'unsupported_media_type', message: 'send the body as application/json' });
    req.resume();
    return undefined;
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!body.ok) {
    if (body.reason === 'too_large') sendJson(res, 413, { error: 'payload_too_large', limit_bytes: MAX_BODY_BYTES }, { connection: 'close' });
    else res.destroy();
    return undefined;
  }
  if (auth.authorization === undefined && !verifyWebhookAuth(auth, body.body, deps.webhookSecret, nowSeconds()).ok) {
    sendJson(res, 401, { error: 'unauthorized' });
    return undefined;
  }
  try {
    return { json: JSON.parse(body.body.toString('utf8')), raw: body.body };
  } catch (error) {
    sendJson(res, 400, { error: invalidError, issues: [{ path: '', message: `malformed JSON: ${(error as Error).message}` }] });
    return undefined;
  }
}

