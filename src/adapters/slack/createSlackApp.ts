import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { boltLogger, type Logger } from '../logger.ts';
import { createRouteServer, toBoltCustomRoutes, type HttpRoute } from '../http/httpRoutes.ts';

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

/**
 * The Bolt app in one of SPEC 1's modes.
 * HTTP mode: Bolt's HTTPReceiver takes Slack at POST /slack/events and serves our routes as custom routes.
 * Socket Mode: Slack arrives over the WebSocket; our routes get a plain HTTP server on the same PORT
 * (Bolt's Socket Mode receiver would serve custom routes too, but cannot report a bind failure or the
 * port it bound, and does not wait for in-flight requests on stop).
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const logger = boltLogger(options.logger);
  const clientOptions = { slackApiUrl: options.slackApiUrl };

  if (options.mode === 'http') {
    if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required in HTTP mode');
    const receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: ['/slack/events'],
      customRoutes: toBoltCustomRoutes(options.routes, options.logger),
      logger,
    });
    const app = new App({ token: options.botToken, receiver, clientOptions, logger });
    let server: Server | undefined;
    return {
      app,
      async start() {
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
  const app = new App({ token: options.botToken, receiver, clientOptions, logger });
  const server = createRouteServer(options.routes, options.logger);
  return {
    app,
    async start() {
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
