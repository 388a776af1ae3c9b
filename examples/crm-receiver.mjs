// A receiver for leadrelay's CRM write-back webhooks (README: "Wire a CRM"): checks the signature,
// then hands the event to your CRM. Run: WEBHOOK_SECRET=… PORT=4000 node examples/crm-receiver.mjs
// WEBHOOK_SECRET is the `secret:` of the webhooks: entry (or LEADRELAY_WEBHOOK_SECRET when it has none).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks); // the raw bytes: sign exactly what was sent
    const timestamp = String(req.headers['x-leadrelay-timestamp'] ?? '');
    const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
    const given = Buffer.from(String(req.headers['x-leadrelay-signature'] ?? ''));
    const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
    if (!fresh || given.length !== expected.length || !timingSafeEqual(given, expected)) return res.writeHead(401).end();
    const event = JSON.parse(body.toString('utf8'));
    // Update your CRM here, e.g. set the owner of event.lead.external_id to event.owner.email.
    console.log(`${event.event} ${event.lead.ref} ${event.lead.external_id ?? '-'} owner=${event.owner?.email ?? event.owner?.slack_id ?? '-'}`);
    res.writeHead(200).end();
  });
});
server.listen(Number(process.env.PORT ?? 4000), () => console.log(`listening on ${server.address().port}`));
