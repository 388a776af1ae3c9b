import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ErrorCode as BoltErrorCode, HTTPReceiver, SocketModeReceiver, type Authorize } from '@slack/bolt';
import { ErrorCode, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { boltLogger, type Logger } from '../logger.ts';
import { answerUnrouted, createRouteDispatcher, createRouteServer, toBoltCustomRoutes, type HttpRoute } from '../http/httpRoutes.ts';
import { countingFetch } from './countingFetch.ts';

export interface SlackAppOptions {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret?: string | undefined;
  appToken?: string | undefined;
  /** Base URL of the Web API; every call goes there, Socket Mode's apps.connections.open included. */
  slackApiUrl: string;
  port: number;
  /** Served on `port` next to Slack's endpoint: /leads, /healthz, … */
  routes: HttpRoute[];
  logger: Logger;
  /** Told about each Web API call Bolt's own clients make (method, `ok` or error code), for metrics. */
  onSlackCall?: (method: string, code: string) => void;
}

export interface SlackApp {
  app: App;
  /** Starts listening; resolves with the bound HTTP port once requests can be served. */
  start(): Promise<number>;
  /** Stops taking new requests and waits for in-flight ones to finish. */
  stop(): Promise<void>;
}

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });

/** Raised at start when Slack refuses the bot token: no retry can fix that. */
export class SlackTokenError extends Error {
  override readonly name = 'SlackTokenError';
}

const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

/**
 * The bot's identity (auth.test), cached once Slack answers. Bolt's own token verification caches
 * the first auth.test promise even when it fails, so a Slack outage at start-up would leave the bot
 * deaf to Slack until restarted (and crash it with an unhandled rejection); this one retries on the
 * next request instead.
 */
function botAuthorization(client: WebClient, botToken: string) {
  let identity: Promise<{ botId?: string; botUserId?: string }> | undefined;
  const get = () => {
    if (!identity) {
      const pending = client.auth.test().then((result) => ({ botId: result.bot_id, botUserId: result.user_id }));
      identity = pending;
      pending.catch(() => {
        if (identity === pending) identity = undefined;
      });
    }
    return identity;
  };
  const authorize: Authorize<boolean> = async () => ({ botToken, ...(await get()) });
  return { authorize, get };
}

const isTokenRefusal = (error: unknown) =>
  (error as { code?: string }).code === ErrorCode.PlatformError && TOKEN_ERRORS.has((error as WebAPIPlatformError).data.error);

/**
 * The Bolt app in one of the run modes.
 * HTTP mode: Bolt's HTTPReceiver takes Slack at POST /slack/events; our routes are served first, by exact path
 * (they stay its custom routes too, so that an unknown path or method gets the same answer as in Socket Mode).
 * Socket Mode: Slack arrives over the WebSocket; our routes get a plain HTTP server on the same PORT
 * (Bolt's Socket Mode receiver would serve custom routes too, but cannot report a bind failure or the
 * port it bound, and does not wait for in-flight requests on stop).
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const logger = boltLogger(options.logger);
  // retryConfig is set explicitly: Socket Mode's client otherwise writes its own 100-retry policy
  // into this shared object. Effects that must not be lost go through the outbox, which retries itself.
  const fetch = options.onSlackCall ? { fetch: countingFetch(options.onSlackCall) } : {};
  const clientOptions = { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 }, ...fetch };
  const auth = botAuthorization(
    new WebClient(options.botToken, { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 0 }, logger, ...fetch }),
    options.botToken,
  );
  /** Fails start-up on a refused token; an unreachable Slack only warns (intake keeps working). */
  const verifyToken = async () => {
    try {
      await auth.get();
    } catch (error) {
      if (isTokenRefusal(error)) {
        throw new SlackTokenError(`Slack refused SLACK_BOT_TOKEN (${(error as WebAPIPlatformError).data.error}): copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions`);
      }
      options.logger.warn({ err: error }, 'Slack is not reachable at start-up; leadrelay keeps taking leads and retries on the next Slack request');
    }
  };

  if (options.mode === 'http') {
    if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required in HTTP mode');
    const receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: ['/slack/events'],
      customRoutes: toBoltCustomRoutes(options.routes, options.logger),
      // A request no route takes gets the same answer as in Socket Mode (404 with a JSON error, 405
      // for a known path), instead of Bolt's empty 404.
      dispatchErrorHandler: ({ error, request, response }) => {
        if ((error as { code?: string }).code === BoltErrorCode.HTTPReceiverDeferredRequestError) return answerUnrouted(request, response, options.routes);
        options.logger.error({ err: error, method: request.method, path: request.url }, 'request failed');
        if (!response.headersSent) response.writeHead(500).end();
      },
      logger,
    });
    // Our routes by exact path first (createRouteDispatcher); Slack's requests, and anything else, to Bolt.
    const dispatch = createRouteDispatcher(options.routes, options.logger);
    const boltListener = receiver.requestListener;
    receiver.requestListener = (req, res) => {
      if (!dispatch(req, res)) boltListener(req, res);
    };
    const app = new App({ authorize: auth.authorize, receiver, clientOptions, logger });
    let server: Server | undefined;
    return {
      app,
      async start() {
        await verifyToken();
        server = (await app.start(options.port)) as Server;
        return (server.address() as AddressInfo).port;
      },
      async stop() {
        if (server) await closeServer(server);
      },
    };
  }

  if (!options.appToken) throw new Error('SLACK_APP_TOKEN is required in Socket Mode');
  const receiver = new SocketModeReceiver({ appToken: options.appToken, logger, installerOptions: { clientOptions } });
  const app = new App({ authorize: auth.authorize, receiver, clientOptions, logger });
  const server = createRouteServer(options.routes, options.logger);
  return {
    app,
    async start() {
      await verifyToken();
      await listen(server, options.port);
      await app.start();
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      await app.stop();
      await closeServer(server);
    },
  };
}
