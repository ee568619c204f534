import { randomUUID } from 'node:crypto';
import { AppError } from '../../infra/errors.ts';
import { canAskAssistant } from '../auth/index.ts';
import type { SocketHandlers } from '../realtime/index.ts';
import { AskPayload } from './assistant.schema.ts';
import { takeQuestionBudget } from './assistant.service.ts';

/** `assistant:ask`: the answer runs as a job and streams to this socket only (assistant:step, :delta, then :done or :error). */
export const assistantSocket: SocketHandlers = ({ on, socket, deps }) => {
  on('assistant:ask', AskPayload, async (ctx, input) => {
    if (!canAskAssistant(ctx.user)) throw new AppError(403, 'forbidden', 'Only admins may ask the assistant');
    if (!deps.jobs) throw new AppError(503, 'unavailable', 'The assistant is not available on this server');
    await takeQuestionBudget(deps.budgets.questions, ctx.user!.employee_id);
    const request_id = input.request_id ?? randomUUID();
    await deps.jobs.add('assistant:ask', { request_id, socket_id: socket.id, message: input.message, employee_id: ctx.user!.employee_id, conversation_id: input.conversation_id ?? null });
    return { request_id };
  });
};
