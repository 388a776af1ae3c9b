/**
 * The "floor" pipeline: the least a lead router must do, measured beside leadrelay under the
 * same load so that its figures say what leadrelay's own work costs. A raw node:http server; per lead:
 * the bearer token checked, the JSON body parsed, ONE better-sqlite3 insert (WAL, synchronous=FULL,
 * like the bot: durable before the answer), the 202, then ONE chat.postMessage of a small card to the
 * Slack stand-in through a small bounded queue (1,024 leads, 8 calls in flight; when it is full,
 * intake waits for room before storing, so memory stays bounded). Reps are taken in turn over
 * FLOOR_REPS users. No routing, no history, no outbox, no pacing, no retries, no logs.
 *
 *   PORT=0 FLOOR_DB=/tmp/floor.db SLACK_API_URL=http://127.0.0.1:1234/api/ node --import tsx bench/floor.ts
 *
 * Prints `{"port":…}` on stdout once listening.
 */
import { timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { repId } from './benchConfig.ts';

const env = (name: string, fallback?: string) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const apiUrl = new URL(env('SLACK_API_URL'));
const botToken = env('SLACK_BOT_TOKEN', 'xoxb-bench');
const expected = Buffer.from(`Bearer ${env('LEADRELAY_WEBHOOK_SECRET', 'bench-webhook-secret-0123456789')}`);
const reps = Number(env('FLOOR_REPS', '400'));

const db = new Database(env('FLOOR_DB'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS leads (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, received_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO leads (payload, received_at) VALUES (?, ?)');

// ---- the bounded queue of cards to post -------------------------------------------------------------
const CAPACITY = 1024;
const IN_FLIGHT = 8;
const queue: { id: number; lead: Record<string, unknown> }[] = [];
const waitingForRoom: (() => void)[] = [];
let inFlight = 0;
let nextRep = 0;
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

const card = (id: number, lead: Record<string, unknown>) => {
  const ref = `L-${id}`;
  const company = (lead.company as { name?: string } | undefined)?.name ?? '';
  const text = `New lead ${ref}: ${String(lead.name ?? lead.email ?? '')}${company ? `, ${company}` : ''}`;
  return JSON.stringify({
    channel: repId(nextRep++ % reps),
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'claim_lead', style: 'primary', text: { type: 'plain_text', text: 'Claim' }, value: ref },
          { type: 'button', action_id: 'pass_lead', text: { type: 'plain_text', text: 'Pass' }, value: ref },
        ],
      },
    ],
    unfurl_links: false,
    metadata: { event_type: 'leadrelay_offer', event_payload: { lead: ref } },
  });
};

const postCard = (body: string) =>
  new Promise<void>((resolve) => {
    const req = request(
      new URL('chat.postMessage', apiUrl),
      { method: 'POST', agent, headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${botToken}`, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', () => resolve());
    req.end(body);
  });

const pump = () => {
  while (inFlight < IN_FLIGHT && queue.length > 0) {
    const next = queue.shift() as { id: number; lead: Record<string, unknown> };
    waitingForRoom.shift()?.();
    inFlight += 1;
    void postCard(card(next.id, next.lead)).then(() => {
      inFlight -= 1;
      pump();
    });
  }
};
const room = () => (queue.length < CAPACITY ? Promise.resolve() : new Promise<void>((resolve) => waitingForRoom.push(resolve)));

// ---- intake ------------------------------------------------------------------------------------------
const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer | null>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 256 * 1024) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > 256 * 1024 ? null : Buffer.concat(chunks, size)));
    req.on('error', () => resolve(null));
  });

const authorized = (req: IncomingMessage) => {
  const given = Buffer.from(req.headers.authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return json(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/leads') return json(res, 404, { error: 'not_found' });
  if (!authorized(req)) {
    req.resume();
    return json(res, 401, { error: 'unauthorized' });
  }
  void (async () => {
    const raw = await readBody(req);
    if (raw === null) return json(res, 413, { error: 'payload_too_large' });
    let lead: Record<string, unknown>;
    try {
      lead = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return json(res, 400, { error: 'invalid_lead' });
    }
    if (typeof lead !== 'object' || lead === null || (typeof lead.email !== 'string' && typeof lead.linkedin_url !== 'string')) return json(res, 400, { error: 'invalid_lead' });
    await room();
    const id = Number(insert.run(raw.toString('utf8'), Date.now()).lastInsertRowid);
    json(res, 202, { lead: `L-${id}`, status: 'accepted' });
    queue.push({ id, lead });
    pump();
  })();
});

server.listen(Number(env('PORT', '0')), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => server.close(() => {
  db.close();
  process.exit(0);
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
