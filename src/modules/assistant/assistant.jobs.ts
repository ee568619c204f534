import { AppError } from '../../infra/errors.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { delivery } from '../../infra/socket-contract.ts';
import { ask } from './assistant.service.ts';

/**
 * `assistant:ask` { request_id, socket_id, message }: answers in a worker, streaming `assistant:step` and
 * `assistant:delta` to the asking socket (its own room is its id) as they come, then `assistant:done` (or
 * `assistant:error`).
 */
export const askJob: JobHandler = async (data, ctx) => {
  const request_id = String(data.request_id);
  const to = [String(data.socket_id)];
  try {
    const result = await ask({ em: ctx.em, config: ctx.config, log: ctx.log, llm: ctx.llm }, String(data.message), {
      onStep: (step) => ctx.broadcast.send([delivery(to, 'assistant:step', { request_id, tool: step.name, args: step.args })]),
      onDelta: (text) => ctx.broadcast.send([delivery(to, 'assistant:delta', { request_id, text })]),
    }, { employeeId: Number(data.employee_id), conversationId: typeof data.conversation_id === 'string' ? data.conversation_id : null });
    ctx.broadcast.send([
      delivery(to, 'assistant:done', { request_id, response: result.response, scope: result.scope, tools_used: result.tools_used, data: result.data, conversation_id: result.conversation_id }),
    ]);
    return { request_id };
  } catch (error) {
    const known = error instanceof AppError;
    if (!known) ctx.log.error({ err: error }, 'assistant failed');
    ctx.broadcast.send([
      delivery(to, 'assistant:error', { request_id, code: known ? error.code : 'internal_error', message: known ? error.message : 'The assistant failed; try again' }),
    ]);
    return { request_id };
  }
};
