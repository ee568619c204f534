// The simulated kiosks: an offline queue each, every unacknowledged punch resent with the same client_event_id.
import { io } from 'socket.io-client';
import type { CheckResult } from '../../src/modules/attendance/index.ts';
import type { ErrorAck } from '../../src/modules/realtime/events.ts';
import type { Client } from '../../harness/index.ts';
import { ACK_TIMEOUT_MS, type Kind, PERMANENT_CODES, WINDOW } from './options.ts';
import { hubs, state } from './state.ts';

export type Punch = {
  id: string;
  kind: Kind;
  kiosk: number;
  badge: string;
  employeeId: number;
  at: string;
  generatedAt: number;
  attempts: number;
  /** The attempt whose answer is awaited (0: none in flight). */
  inFlight: number;
  nextTryAt: number;
  acked: boolean;
  ackedAt: number;
  /** Acks that said duplicate: false (more than one means the punch was applied twice). */
  ackedNew: number;
  ackedDuplicate: number;
  rejected: string | null;
  errors: number;
};

export const punches = new Map<string, Punch>();
export const errorCodes: Record<string, number> = {};
export const countCode = (code: string) => (errorCodes[code] = (errorCodes[code] ?? 0) + 1);

export class Kiosk {
  readonly index: number;
  readonly token: string;
  socket: Client | null = null;
  connectedTo: number | null = null;
  readonly queue: Punch[] = [];
  inFlight = 0;
  connects = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pumpTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  closed = false;

  constructor(index: number, token: string) {
    this.index = index;
    this.token = token;
  }

  get connected() {
    return this.socket?.connected ?? false;
  }

  /** Connects to instance `target` (A = 0, B = 1), or to a random one. */
  connect(target = Math.floor(Math.random() * hubs.length)) {
    if (this.closed) return;
    const hub = hubs[target];
    if (!hub?.url) return this.#scheduleReconnect();
    const socket: Client = io(hub.url, {
      transports: ['websocket'],
      auth: { token: this.token },
      reconnection: false,
      forceNew: true,
      timeout: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connectedTo = target;
      this.connects++;
      this.#failures = 0;
      this.pump();
    });
    socket.on('connect_error', () => {
      this.#drop(socket);
      this.#scheduleReconnect();
    });
    socket.on('disconnect', () => {
      this.#drop(socket);
      this.#scheduleReconnect();
    });
  }

  #drop(socket: Client) {
    socket.removeAllListeners();
    socket.close();
    if (this.socket !== socket) return;
    this.socket = null;
    this.connectedTo = null;
    // Whatever was in flight on that connection will be sent again on the next one.
    for (const p of this.queue) p.inFlight = 0;
    this.inFlight = 0;
  }

  #scheduleReconnect() {
    if (this.closed || this.#reconnectTimer) return;
    this.#failures++;
    const delay = Math.min(3_000, 200 * this.#failures) + Math.random() * 500;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.connect();
    }, delay);
  }

  add(p: Punch) {
    this.queue.push(p);
    this.pump();
  }

  /** Sends the oldest unacknowledged punches, at most WINDOW at a time. */
  pump() {
    if (this.#pumpTimer) {
      clearTimeout(this.#pumpTimer);
      this.#pumpTimer = null;
    }
    const socket = this.socket;
    if (!socket?.connected || this.closed) return;
    const now = Date.now();
    let soonest = Infinity;
    for (const p of this.queue) {
      if (this.inFlight >= WINDOW) break;
      if (p.inFlight) continue;
      if (p.nextTryAt > now) {
        soonest = Math.min(soonest, p.nextTryAt);
        continue;
      }
      this.#send(socket, p);
    }
    if (soonest < Infinity && this.inFlight < WINDOW) this.#pumpTimer = setTimeout(() => this.pump(), soonest - now + 5);
  }

  #send(socket: Client, p: Punch) {
    const attempt = ++p.attempts;
    p.inFlight = attempt;
    this.inFlight++;
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emit('attendance:check', { badge_id: p.badge, client_event_id: p.id, occurred_at: p.at }, (err: Error | null, res?: { ok: true } & CheckResult | ErrorAck) => {
        const current = p.inFlight === attempt && this.socket === socket;
        if (current) {
          p.inFlight = 0;
          this.inFlight--;
        }
        if (!err && res?.ok) return this.#acked(p, res);
        // A late answer to an attempt already given up on changes nothing unless it is an ack.
        if (!current || p.acked) return;
        p.errors++;
        if (err) {
          countCode(socket.connected ? 'ack_timeout' : 'disconnected');
          p.nextTryAt = Date.now() + 250 + Math.random() * 500;
        } else if (res && !res.ok) {
          const code = res.error.code;
          countCode(code);
          if (PERMANENT_CODES.has(code)) {
            p.rejected = `${code}: ${res.error.message}`;
            this.#remove(p);
          } else if (code === 'rate_limited') {
            p.nextTryAt = Date.now() + (res.error.retry_after ?? 0.2) * 1000;
          } else {
            p.nextTryAt = Date.now() + Math.min(3_000, 200 * 2 ** Math.min(p.errors, 4)) * (0.5 + Math.random());
          }
        }
        this.pump();
      });
  }

  #acked(p: Punch, res: CheckResult) {
    if (res.duplicate) p.ackedDuplicate++;
    else p.ackedNew++;
    if (res.record.employee_id !== p.employeeId) state.ackMismatches++;
    if (!p.acked) {
      p.acked = true;
      p.ackedAt = Date.now();
      this.#remove(p);
    }
    this.pump();
  }

  #remove(p: Punch) {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }

  dropConnection(): boolean {
    const socket = this.socket;
    if (!socket?.connected) return false;
    socket.io.engine.close();
    return true;
  }

  close() {
    this.closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.close();
      this.socket = null;
    }
  }
}
