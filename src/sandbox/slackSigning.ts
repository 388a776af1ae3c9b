import { createHmac } from 'node:crypto';

/**
 * Slack's request signature (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256(signing secret, `v0:<timestamp seconds>:<raw body>`).
 * This is what Bolt's `verifySlackRequest` recomputes and compares.
 */
export function signSlackRequest(signingSecret: string, timestampSeconds: number, rawBody: string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestampSeconds}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

/** The two headers Slack adds to every request it sends to an app. */
export function slackSignatureHeaders(
  signingSecret: string,
  timestampSeconds: number,
  rawBody: string,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  return {
    'x-slack-signature': signSlackRequest(signingSecret, timestampSeconds, rawBody),
    'x-slack-request-timestamp': String(timestampSeconds),
  };
}
