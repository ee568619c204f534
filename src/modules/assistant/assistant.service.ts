import type { ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../../config.ts';
import type { Em } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Budget } from '../../infra/budgets.ts';
import { localDate } from '../../infra/time.ts';
import { answerOffline, type Answer, type ToolUse } from './planner.ts';

export type AskEvents = { onStep?: (step: ToolUse) => void; onDelta?: (text: string) => void };
export type AskResult = { response: string; tools_used: ToolUse[]; data: unknown };

/** Each admin may ask ASSISTANT_QUESTIONS_PER_MINUTE questions a minute (all instances together). */
export async function takeQuestionBudget(budget: Budget, employeeId: number) {
  const wait = await budget.take(String(employeeId));
  if (wait) throw new AppError(429, 'rate_limited', 'Too many questions; wait a little', { headers: { 'Retry-After': String(Math.ceil(wait)) } });
}

/** Splits an answer into small pieces so the offline planner streams like a model does. */
function* chunks(text: string) {
  const parts = text.match(/\S+\s*/g) ?? [];
  for (let i = 0; i < parts.length; i += 4) yield parts.slice(i, i + 4).join('');
}

/**
 * Answers an admin's question: with the language model when one is configured (or `deps.llm`, given by the process
 * that started the hub), else with the offline planner. Both use the same read-only tools. Steps and text are
 * streamed through `events`.
 */
export async function ask(deps: { em: Em; config: Config; log: Logger; llm?: ToolCallLLM }, message: string, events: AskEvents = {}): Promise<AskResult> {
  const ctx = { em: deps.em, config: deps.config, today: localDate(new Date(), deps.config.timezone) };
  // The model libraries are loaded only when a model is configured: they cost startup time (a tokenizer table).
  const llm = deps.llm ?? (deps.config.llm.baseUrl || deps.config.googleApiKey ? (await import('./llm.ts')).createLlm(deps.config) : null);
  let answer: Answer;
  if (llm) {
    try {
      const { answerWithAgent } = await import('./agent.ts');
      answer = await answerWithAgent(message, llm, ctx, events, { timeoutMs: deps.config.llm.timeoutMs * 2 });
    } catch (error) {
      if (error instanceof AppError) throw error;
      deps.log.warn({ err: { message: (error as Error).message } }, 'language model failed');
      throw new AppError(502, 'model_unavailable', 'The language model service did not answer; try again in a moment (or ask without a model: unset GOOGLE_API_KEY / LLM_BASE_URL)');
    }
  } else {
    answer = await answerOffline(message, ctx, { onStep: events.onStep });
    for (const piece of chunks(answer.response)) events.onDelta?.(piece);
  }
  return { response: answer.response, tools_used: answer.tools_used, data: answer.data };
}
