/**
 * `POST /hooks/<id>`: one lead source posting in its own format. A thin adapter: the
 * provider's verification over the raw body (the preset's pure check), the body parsed, the source's
 * mapping, then exactly what POST /leads does with a lead (answerLead).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../logger.ts';
import type { SourceMapping } from '../sources/compileSourceMapping.ts';
import type { HookAuthFailure } from '../sources/sourcePreset.ts';
import { header, readBody, sendJson } from './httpIo.ts';
import { MAX_BODY_BYTES } from './authenticatedJson.ts';
import { answerLead, invalid, type LeadsRouteDeps } from './leadsRoute.ts';

export interface HookRouteDeps extends Pick<LeadsRouteDeps, 'acceptLead' | 'onAnswered'> {
  mapping: SourceMapping;
  /** The provider's signing secret (for `generic`: the shared secret of POST /leads, or the source's own). */
  secret: string;
  /** LEADRELAY_PUBLIC_URL: the base of the URL a provider signs (HubSpot); else `http://` + Host. */
  publicUrl?: string | undefined;
  clock: Clock;
  logger?: Logger;
}

/** The URL the provider called: the public base URL (else http:// + Host), then the path and query as received. */
export function hookUrl(req: IncomingMessage, publicUrl: string | undefined): string {
  const base = publicUrl === undefined ? `http://${header(req, 'host') ?? ''}` : publicUrl.replace(/\/+$/, '');
  return `${base}${req.url ?? '/'}`;
}

/** A form post's fields (repeated names as lists), in an object without a prototype so that no name is special. */
function parseForm(text: string): Record<string, unknown> {
  const fields = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}

/** The body as the mapping reads it: JSON, or a form post; a message when it is not that. */
function parseBody(raw: Buffer, mediaType: string): { ok: true; payload: unknown } | { ok: false; message: string } {
  const text = raw.toString('utf8');
  if (mediaType === 'application/x-www-form-urlencoded') return { ok: true, payload: parseForm(text) };
  try {
    return { ok: true, payload: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `malformed JSON: ${(error as Error).message}` };
  }
}

export function createHookRoute(deps: HookRouteDeps) {
  const { mapping } = deps;
  const { preset } = mapping;
  const via = `hooks/${mapping.id}`;
  const unauthorized = (res: ServerResponse, reason: HookAuthFailure) => {
    // Said in the log (never the secret or the body), so whoever wires the source up can see why.
    deps.logger?.warn({ event: 'hook.unauthorized', source: mapping.id, preset: preset.name, reason }, `${via}: request refused (${reason.replace(/_/g, ' ')})`);
    sendJson(res, 401, { error: 'unauthorized' });
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headerOf = (name: string) => header(req, name);
    if (!preset.hasCredentials(headerOf)) {
      req.resume();
      return unauthorized(res, 'missing');
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body.ok) {
      if (body.reason === 'too_large') sendJson(res, 413, { error: 'payload_too_large', limit_bytes: MAX_BODY_BYTES }, { connection: 'close' });
      else res.destroy();
      return;
    }
    const auth = preset.verify({ method: req.method ?? 'POST', url: hookUrl(req, deps.publicUrl), header: headerOf, body: body.body }, deps.secret, deps.clock.now());
    if (!auth.ok) return unauthorized(res, auth.reason);

    const mediaType = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!preset.mediaTypes.includes(mediaType)) {
      return sendJson(res, 415, { error: 'unsupported_media_type', message: `send the body as ${preset.mediaTypes.join(' or ')}` });
    }
    const parsed = parseBody(body.body, mediaType);
    if (!parsed.ok) {
      invalid(res, [{ path: '', message: parsed.message }]);
      deps.onAnswered?.({ status: 'invalid', source: mapping.source });
      return;
    }
    const mapped = await mapping.toLead(parsed.payload);
    switch (mapped.kind) {
      case 'ignored':
        deps.logger?.info({ event: 'hook.ignored', source: mapping.id, reason: mapped.reason }, `${via}: not a lead (${mapped.reason})`);
        return sendJson(res, 200, { status: 'ignored', reason: mapped.reason });
      case 'invalid':
        invalid(res, mapped.issues);
        deps.onAnswered?.({ status: 'invalid', source: mapping.source });
        return;
      case 'lead':
        return answerLead(res, deps, { lead: mapped.lead, warnings: mapped.warnings, requestHash: '', via }, (issues) => mapping.describeIssues(issues));
    }
  };
}
