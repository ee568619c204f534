import type { Socket } from 'socket.io';
import * as v from 'valibot';
import type { Config } from '../../config.ts';
import type { Broadcaster } from '../../infra/broadcast.ts';
import type { Budget, Budgets } from '../../infra/budgets.ts';
import type { Bus } from '../../infra/bus.ts';
import type { Ctx } from '../../infra/context.ts';
import type { Em, Orm } from '../../infra/db.ts';
import { AppError, isDatabaseDown } from '../../infra/errors.ts';
import type { GroupCommits } from '../../infra/group-commit.ts';
import type { Jobs } from '../../infra/jobs/types.ts';
import type { Logger } from '../../infra/logger.ts';
import { UNSAFE_STRING_MESSAGE, unsafeStringPath } from '../../infra/schemas.ts';
import type { ClientToServer, ErrorAck, InterServer, ServerToClient, SocketData, SocketIdentity } from './events.ts';

export type HubSocket = Socket<ClientToServer, ServerToClient, InterServer, SocketData>;

/** What socket handlers may use: the same parts as the REST handlers, and how to broadcast. */
export type SocketDeps = {
  config: Config;
  orm: Orm;
  log: Logger;
  bus: Bus;
  commits: GroupCommits;
  budgets: Budgets;
  broadcast: Broadcaster;
  /** The job queue; absent only where jobs are not run (some tests). */
  jobs?: Jobs;
};

type RequestOf<E extends keyof ClientToServer> = ClientToServer[E] extends (payload: infer P, ack: (result: infer R) => void) => void ? [P, R] : never;
/** What a handler answers: the acknowledgement without its `ok: true`. */
export type ResultOf<E extends keyof ClientToServer> = Extract<RequestOf<E>[1], { ok: true }> extends infer A ? Omit<A, 'ok'> : never;

/** One socket's view: who it is, what it may use, and how to declare a request handler. */
export type SocketKit = {
  socket: HubSocket;
  who: SocketIdentity;
  deps: SocketDeps;
  /**
   * Declares the handler of one request event: budget, validation (the same valibot schemas as REST), then the
   * handler with its own unit of work; what it returns is acknowledged as `{ ok: true, …result }`, what it throws as
   * `{ ok: false, error: { code, message } }`. A request without an acknowledgement callback is dropped.
   */
  on<E extends keyof ClientToServer, S extends v.GenericSchema>(
    event: E,
    schema: S,
    handler: (ctx: Ctx, input: v.InferOutput<S>) => Promise<ResultOf<E>>,
    opts?: { budget?: { budget: Budget; key: string }; unitOfWork?: boolean },
  ): void;
};

/** A module's socket handlers: registered on every connection by the socket server. */
export type SocketHandlers = (kit: SocketKit) => void;

/** Turns any thrown error into the error acknowledgement; unknown errors say nothing about internals. */
export function errorAck(error: unknown, log: Logger, event: string): ErrorAck {
  if (error instanceof AppError) {
    const message = error.fields ? error.fields.map((f) => `${f.loc.slice(1).join('.') || 'payload'}: ${f.msg}`).join('; ') : error.message;
    // An error that tells REST clients when to come back (Retry-After) tells socket clients too.
    const retryAfter = Number(error.headers?.['Retry-After']);
    return { ok: false, error: { code: error.code, message, ...(retryAfter > 0 ? { retry_after: retryAfter } : {}) } };
  }
  if (isDatabaseDown(error)) {
    log.warn({ event, err: error }, 'database unavailable');
    return { ok: false, error: { code: 'unavailable', message: 'The database is not reachable right now; retry shortly' } };
  }
  log.error({ err: error, event }, 'socket handler failed');
  return { ok: false, error: { code: 'internal_error', message: 'Internal error; try again' } };
}

/** The kit of one socket. */
export function socketKit(socket: HubSocket, deps: SocketDeps): SocketKit {
  const who = socket.data.who;
  const user = who.kind === 'user' ? { employee_id: who.employee_id, access: who.access, team_id: who.team_id, name: who.name } : null;
  const device = who.kind === 'kiosk' ? who.name : null;
  const ctxFor = (em: Em): Ctx => ({ em, config: deps.config, log: deps.log, bus: deps.bus, commits: deps.commits, user, device });
  // Registered with the event as the union of request names: Socket.IO's listener type of a generic event name is
  // left unresolved, that of the union is the union of the handlers' types, which the validating listener fits.
  const listen = (event: keyof ClientToServer, listener: (...args: unknown[]) => Promise<void>) => socket.on(event, listener);
  return {
    socket,
    who,
    deps,
    on(event, schema, handler, opts = {}) {
      const listener = async (...args: unknown[]) => {
        const ack = args[args.length - 1];
        if (typeof ack !== 'function') return; // a request without an acknowledgement cannot be answered: dropped
        const reply = ack as (result: unknown) => void;
        const payload = args.length > 1 ? args[0] : undefined;
        try {
          const wait = (await deps.budgets.socketEvents.take(socket.id)) || (opts.budget ? await opts.budget.budget.take(opts.budget.key) : 0);
          if (wait) return reply({ ok: false, error: { code: 'rate_limited', message: 'Too many requests; slow down', retry_after: wait } });
        } catch (error) {
          return reply(errorAck(error, deps.log, event));
        }
        const unsafe = unsafeStringPath(payload);
        if (unsafe) return reply({ ok: false, error: { code: 'validation_error', message: `${unsafe.join('.') || 'payload'}: ${UNSAFE_STRING_MESSAGE}` } });
        const parsed = v.safeParse(schema, payload, { abortPipeEarly: true });
        if (!parsed.success) {
          const message = parsed.issues.map((i) => `${v.getDotPath(i) ?? 'payload'}: ${i.message}`).join('; ');
          return reply({ ok: false, error: { code: 'validation_error', message } });
        }
        try {
          // A handler that only runs SQL takes the root entity manager: forking one per event is measurable at
          // thousands of punches a second, and MikroORM refuses entity operations on the root one, so misuse is loud.
          const result = await handler(ctxFor((opts.unitOfWork === false ? deps.orm.em : deps.orm.em.fork()) as Em), parsed.output);
          reply({ ok: true, ...result });
        } catch (error) {
          reply(errorAck(error, deps.log, event));
        }
      };
      listen(event, listener);
    },
  };
}
