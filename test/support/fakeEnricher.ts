import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookAuth } from '../../src/adapters/http/webhookSignature.ts';

/** What the fake enricher does with one request: answer (status and raw body), or never answer. */
export type EnricherReply = { status?: number; json?: unknown; raw?: string } | 'hang';

export interface EnricherRequest {
  body: { lead: Record<string, unknown> & { ref: string; company?: Record<string, unknown> } };
  /** The X-Leadrelay signature checked with `secret` at `now()`. */
  signed: boolean;
}

/**
 * An enrichment webhook on loopback: records every request (and whether its signature is valid),
 * counts requests in progress, and answers as `reply` says; a 'hang' request is held until
 * `releaseHeld()` answers it or `close()` drops it.
 */
export async function startFakeEnricher(options: { secret: string; now: () => number; reply: (request: EnricherRequest) => EnricherReply }) {
  const requests: EnricherRequest[] = [];
  const held: (() => void)[] = [];
  let inProgress = 0;
  let maxInProgress = 0;
  const server = createServer((req, res) => {
    inProgress += 1;
    maxInProgress = Math.max(maxInProgress, inProgress);
    res.on('close', () => (inProgress -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const auth = verifyWebhookAuth(
        { timestamp: req.headers['x-leadrelay-timestamp'] as string | undefined, signature: req.headers['x-leadrelay-signature'] as string | undefined },
        raw,
        options.secret,
        Math.floor(options.now() / 1000),
      );
      const request = { body: JSON.parse(raw.toString()) as EnricherRequest['body'], signed: auth.ok };
      requests.push(request);
      const reply = options.reply(request);
      const answer = (spec: Exclude<EnricherReply, 'hang'>) => {
        res.writeHead(spec.status ?? 200, { 'content-type': 'application/json' });
        res.end(spec.raw ?? (spec.json === undefined ? '' : JSON.stringify(spec.json)));
      };
      if (reply === 'hang') held.push(() => answer({ json: {} }));
      else answer(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/enrich`,
    requests,
    inProgress: () => inProgress,
    maxInProgress: () => maxInProgress,
    /** Requests being held right now. */
    held: () => held.length,
    /** Answers the held requests with an empty answer. */
    releaseHeld: () => held.splice(0).forEach((answer) => answer()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeEnricher = Awaited<ReturnType<typeof startFakeEnricher>>;
