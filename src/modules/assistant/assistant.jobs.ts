import type { JobHandler } from '../../infra/jobs/types.ts';
import { AppError } from '../../infra/errors.ts';
import { ask } from './assistant.service.ts';

/**
 * `assistant:ask` { request_id, socket_id, message }: answers in a worker, streaming `assistant:step` and
 * `assistant:delta` to the asking socket as progress, then `assistant:done` (or `assistant:error`) as the result.
 */
export const askJob: JobHandler = async (data, ctx) => {
  const requestId = String(data.request_id);
  const rooms = [String(data.socket_id)];
  try {
    const result = await ask({ em: ctx.em, config: ctx.config, log: ctx.log, llm: ctx.llm }, String(data.message), {
      onStep: (step) => ctx.progress([{ rooms, event: 'assistant:step', payload: { request_id: requestId, tool: step.name, args: step.args } }]),
      onDelta: (text) => ctx.progress([{ rooms, event: 'assistant:delta', payload: { request_id: requestId, text } }]),
    });
    return {
      deliveries: [{ rooms, event: 'assistant:done', payload: { request_id: requestId, response: result.response, tools_used: result.tools_used, data: result.data } }],
    };
  } catch (error) {
    const known = error instanceof AppError;
    if (!known) ctx.log.error({ err: error }, 'assistant failed');
    return {
      deliveries: [{
        rooms,
        event: 'assistant:error',
        payload: { request_id: requestId, code: known ? error.code : 'internal_error', message: known ? error.message : 'The assistant failed; try again' },
      }],
    };
  }
};
