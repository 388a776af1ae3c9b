/**
 * Socket Mode on the stand-in's HTTP server (https://docs.slack.dev/apis/events-api/using-socket-mode):
 * `apps.connections.open` mints a one-time `ws://…/socket?ticket=…` URL; on connect the stand-in sends
 * `hello`; it delivers envelopes `{ envelope_id, type, payload, accepts_response_payload, … }` and waits
 * for the app's ack `{ envelope_id, payload? }`; `disconnect` asks the app to reconnect.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { StandInClock } from './slackWorkspace.ts';

export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** The ack an app sends for an envelope; `payload` is the response (e.g. a slash command's reply). */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SocketLogEntry {
  direction: 'to_app' | 'from_app';
  message: Record<string, unknown>;
  /** Clock time (ms). */
  at: number;
}

export interface SocketModeHubOptions {
  server: Server;
  /** `ws://127.0.0.1:<port>` once the server listens. */
  wsBase: () => string;
  appId: string;
  clock: StandInClock;
  /** Safety timeout for acks and disconnects; only turns a hang into an error. */
  timeoutMs: number;
  onChange: () => void;
}

interface PendingAck {
  socket: WebSocket;
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class SocketModeHub {
  /** Every frame exchanged, both ways. */
  readonly log: SocketLogEntry[] = [];
  /** Connections opened since start (reconnects count). */
  opened = 0;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly open: WebSocket[] = [];
  private readonly pending = new Map<string, PendingAck>();
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.upgrade(req, socket, head);

  constructor(private readonly options: SocketModeHubOptions) {
    options.server.on('upgrade', this.onUpgrade);
  }

  /** Connections currently open. */
  get openCount(): number {
    return this.open.length;
  }

  /** A one-time WebSocket URL, as apps.connections.open returns. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.options.wsBase()}/socket?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  /** Sends an envelope on the newest connection and resolves with the app's ack. */
  deliver(
    type: SocketEnvelopeType,
    payload: Record<string, unknown>,
    extra: { acceptsResponsePayload: boolean; retryAttempt?: number; retryReason?: string },
  ): Promise<SocketAck> {
    const socket = this.open[this.open.length - 1];
    if (socket === undefined) return Promise.reject(new Error('Slack stand-in: no Socket Mode connection is open'));
    const envelopeId = randomUUID();
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: extra.acceptsResponsePayload,
      ...(type === 'events_api' ? { retry_attempt: extra.retryAttempt ?? 0, retry_reason: extra.retryReason ?? '' } : {}),
    };
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`Slack stand-in: the app did not ack ${type} envelope ${envelopeId} within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(envelopeId, { socket, resolve, reject, timer });
      this.send(socket, envelope);
    });
  }

  /**
   * Sends `{ type: 'disconnect', reason }` on every open connection and resolves once the app has closed
   * them (a Slack client then reconnects through apps.connections.open).
   */
  async disconnect(reason: string): Promise<void> {
    const sockets = [...this.open];
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              socket.terminate();
              reject(new Error(`Slack stand-in: the app did not close its connection within ${this.options.timeoutMs} ms after disconnect`));
            }, this.options.timeoutMs);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            this.send(socket, { type: 'disconnect', reason, debug_info: { host: 'standin' } });
          }),
      ),
    );
  }

  /**
   * Stops accepting connections and closes the open ones with a close handshake (an app that is
   * stopping is usually mid-handshake already: cutting the TCP connection would make its client log
   * WebSocket errors). Connections still open after `graceMs` are terminated.
   */
  async close(graceMs = 2000): Promise<void> {
    this.options.server.off('upgrade', this.onUpgrade);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('Slack stand-in closed before the app acked'));
      this.pending.delete(id);
    }
    await Promise.all(
      [...this.open].map(
        (socket) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => socket.terminate(), graceMs);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            if (socket.readyState === socket.OPEN) socket.close(1001, 'stand-in closing');
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://standin');
    const ticket = url.searchParams.get('ticket');
    if (url.pathname !== '/socket' || ticket === null || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(socket: WebSocket): void {
    this.open.push(socket);
    this.opened += 1;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      const frame = message as Record<string, unknown>;
      this.log.push({ direction: 'from_app', message: frame, at: this.options.clock.now() });
      const envelopeId = frame.envelope_id;
      const pending = typeof envelopeId === 'string' ? this.pending.get(envelopeId) : undefined;
      if (pending !== undefined && typeof envelopeId === 'string') {
        clearTimeout(pending.timer);
        this.pending.delete(envelopeId);
        const payload = frame.payload;
        pending.resolve({
          envelope_id: envelopeId,
          ...(typeof payload === 'object' && payload !== null ? { payload: payload as Record<string, unknown> } : {}),
        });
      }
      this.options.onChange();
    });
    socket.on('close', () => {
      const index = this.open.indexOf(socket);
      if (index >= 0) this.open.splice(index, 1);
      for (const [id, pending] of this.pending) {
        if (pending.socket !== socket) continue;
        clearTimeout(pending.timer);
        this.pending.delete(id);
        pending.reject(new Error(`Slack stand-in: the connection closed before envelope ${id} was acked`));
      }
      this.options.onChange();
    });
    socket.on('error', () => socket.terminate());
    this.send(socket, {
      type: 'hello',
      num_connections: this.open.length,
      debug_info: {
        host: 'standin',
        started: new Date(this.options.clock.now()).toISOString(),
        build_number: 1,
        approximate_connection_time: 18060,
      },
      connection_info: { app_id: this.options.appId },
    });
    this.options.onChange();
  }

  private send(socket: WebSocket, message: Record<string, unknown>): void {
    this.log.push({ direction: 'to_app', message, at: this.options.clock.now() });
    socket.send(JSON.stringify(message));
  }
}
