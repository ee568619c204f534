import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { AppError, isDatabaseDown } from '../../infra/errors.ts';
import { metrics } from '../../infra/metrics.ts';
import type { Budget } from '../../infra/budgets.ts';
import { Id, UNSAFE_STRING_MESSAGE, unsafeStringPath } from '../../infra/schemas.ts';
import { AskPayload, takeQuestionBudget } from '../assistant/index.ts';
import { punch, PunchEntries } from '../attendance/index.ts';
import { assertCanWatch, assertTeamExists, teamSnapshot } from '../boards/board.service.ts';
import { touchKiosk } from '../kiosks/index.ts';
import type { ErrorAck } from './events.ts';
import type { HubServer, HubSocket, RealtimeDeps } from './socket-server.ts';
import { room } from './socket-server.ts';
import type { Sequencer } from '../../infra/sequencer.ts';

type HandlerDeps = RealtimeDeps & { sequencer: Sequencer; io: HubServer };

const CheckPayload = v.pipe(
  v.strictObject(PunchEntries, 'payload must be an object with only badge_id, employee_id, client_event_id and occurred_at'),
  v.check((p) => (p.employee_id === undefined) !== (p.badge_id === undefined), 'give exactly one of employee_id or badge_id'),
);
const BoardPayload = v.strictObject({ team_id: Id('team_id') }, 'payload must be { team_id }');

/** Turns any thrown error into the error acknowledgement; unknown errors say nothing about internals. */
function errorAck(error: unknown, deps: HandlerDeps, event: string): ErrorAck {
  if (error instanceof AppError) {
    const message = error.fields ? error.fields.map((f) => `${f.loc.slice(1).join('.') || 'payload'}: ${f.msg}`).join('; ') : error.message;
    return { ok: false, error: { code: error.code, message } };
  }
  if (isDatabaseDown(error)) {
    deps.log.warn({ event, err: { message: (error as Error).message } }, 'database unavailable');
    return { ok: false, error: { code: 'unavailable', message: 'The database is not reachable right now; retry shortly' } };
  }
  deps.log.error({ err: error, event }, 'socket handler failed');
  return { ok: false, error: { code: 'internal_error', message: 'Internal error; try again' } };
}

/** Registers the request handlers of one socket: validation, rate limits, one entity manager per event. */
export function registerHandlers(socket: HubSocket, deps: HandlerDeps) {
  const who = socket.data.who;
  const { budgets } = deps;
  const punchBudget = who.kind === 'kiosk' ? { budget: budgets.kioskPunches, key: socket.id } : undefined;
  let lastTouch = Date.now();

  const ctxFor = (em: Em): Ctx => ({
    em,
    config: deps.config,
    log: deps.log,
    bus: deps.bus,
    user: who.kind === 'user' ? { employee_id: who.employee_id, access: who.access, team_id: who.team_id, name: who.name } : null,
    device: who.kind === 'kiosk' ? who.name : null,
  });

  /** `socket.on` with the checks every request gets; the handler's result is acked as `{ ok: true, ...result }`. */
  function on<S extends v.GenericSchema>(
    event: string,
    schema: S,
    handler: (ctx: Ctx, input: v.InferOutput<S>) => Promise<object>,
    extraLimit?: { budget: Budget; key: string },
    opts: { unitOfWork?: boolean } = {},
  ) {
    socket.on(event as never, (async (...args: unknown[]) => {
      const ack = args[args.length - 1];
      if (typeof ack !== 'function') return; // a request without an acknowledgement cannot be answered: dropped
      const reply = ack as (result: unknown) => void;
      const payload = args.length > 1 ? args[0] : undefined;
      try {
        const wait = (await budgets.socketEvents.take(socket.id)) || (extraLimit ? await extraLimit.budget.take(extraLimit.key) : 0);
        if (wait) return reply({ ok: false, error: { code: 'rate_limited', message: 'Too many requests; slow down', retry_after: wait } });
      } catch (error) {
        return reply(errorAck(error, deps, event));
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
        reply(errorAck(error, deps, event));
      }
    }) as never);
  }

  on(
    'attendance:check',
    CheckPayload,
    async (ctx, input) => {
      const started = performance.now();
      const source = who.kind === 'kiosk' ? 'kiosk' : 'web';
      if (who.kind === 'kiosk') {
        if (!input.client_event_id) throw new AppError(422, 'validation_error', 'client_event_id is required from kiosks');
        if (Date.now() - lastTouch > 30_000) {
          lastTouch = Date.now();
          void touchKiosk(ctx.em, who.kiosk_id).catch(() => undefined);
        }
      }
      try {
        const result = await punch(ctx, { ...input, source, intent: 'auto', restrictToTeam: who.kind === 'kiosk' ? who.team_id : null });
        metrics().punches.inc({ source, outcome: result.duplicate ? 'duplicate' : 'ok' });
        return result;
      } catch (error) {
        metrics().punches.inc({ source, outcome: 'rejected' });
        throw error;
      } finally {
        metrics().punchAck.observe((performance.now() - started) / 1000);
      }
    },
    punchBudget,
    { unitOfWork: false },
  );

  on('board:join', BoardPayload, async (ctx, { team_id }) => {
    if (who.kind !== 'user') throw new AppError(403, 'forbidden', 'Kiosks do not watch boards');
    assertCanWatch(ctx, team_id);
    // The team must exist before the socket joins its room (an admin may watch any team, but not one that is not).
    await assertTeamExists(ctx, team_id);
    // Join first, then read the counter: any change after the snapshot carries a higher number.
    await socket.join(room.team(team_id));
    try {
      const seq = await deps.sequencer.current(String(team_id));
      return await teamSnapshot(ctx, team_id, seq);
    } catch (error) {
      await socket.leave(room.team(team_id));
      throw error;
    }
  });

  on('board:leave', BoardPayload, async (_ctx, { team_id }) => {
    await socket.leave(room.team(team_id));
    return { team_id };
  });

  // The answer streams to this socket only: assistant:step, assistant:delta, then assistant:done or assistant:error.
  on('assistant:ask', AskPayload, async (ctx, input) => {
    if (who.kind !== 'user' || who.access !== 'admin') throw new AppError(403, 'forbidden', 'Only admins may ask the assistant');
    if (!deps.jobs) throw new AppError(503, 'unavailable', 'The assistant is not available on this server');
    await takeQuestionBudget(budgets.questions, who.employee_id);
    const request_id = input.request_id ?? randomUUID();
    await deps.jobs.add('assistant:ask', { request_id, socket_id: socket.id, message: input.message, employee_id: who.employee_id });
    return { request_id };
  });
}
