import { randomUUID } from 'node:crypto';
import type { ChatMessage, ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../../config.ts';
import type { Em } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Budget } from '../../infra/budgets.ts';
import { localDate } from '../../infra/time.ts';
import { conversations, type Remembered } from './conversation.ts';
import { groundedFigures, markUnverified, questionFigures, ungrounded } from './grounding.ts';
import { isWriteRequest } from './intents.ts';
import { normalise } from './periods.ts';
import { answerOffline, type Answer, type Scope, type Table, type ToolUse } from './planner.ts';

export type AskEvents = { onStep?: (step: ToolUse) => void; onDelta?: (text: string) => void };
export type AskResult = { response: string; scope: Scope; data: Table | null; tools_used: ToolUse[]; conversation_id: string };
/** Who asks, in which conversation (continued when it is the asker's and younger than 30 minutes), and on which day. */
export type AskOptions = { employeeId?: number; conversationId?: string | null; today?: string };

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

export const UNVERIFIED_NOTE = 'The language model’s answer had figures that are not in the data it read, so this is the built-in planner’s answer:';

/**
 * Answers an admin's question: with the language model when one is configured (or `deps.llm`, given by the process
 * that started the hub), else with the offline planner. Both use the same read-only tools. A model's answer is held
 * back until each of its numbers is found in the tool results of its run; one that is not is replaced by the planner's
 * grounded answer when the planner understands the question, else sent with those figures marked "[unverified]".
 * Steps and text are streamed through `events`.
 */
export async function ask(deps: { em: Em; config: Config; log: Logger; llm?: ToolCallLLM }, message: string, events: AskEvents = {}, opts: AskOptions = {}): Promise<AskResult> {
  const today = opts.today ?? localDate(new Date(), deps.config.timezone);
  const ctx = { em: deps.em, config: deps.config, today };
  const conversation_id = opts.conversationId ?? randomUUID();
  const store = opts.employeeId !== undefined ? conversations(deps.config) : null;
  const previous: Remembered | null = store && opts.conversationId ? await store.get(opts.employeeId!, opts.conversationId) : null;
  // The model libraries are loaded only when a model is configured: they cost startup time (a tokenizer table).
  const llm = deps.llm ?? (deps.config.llm.baseUrl || deps.config.googleApiKey ? (await import('./llm.ts')).createLlm(deps.config) : null);
  let answer: Answer;
  // A request to change data is declined before any model sees it (a model could claim it did it).
  if (llm && !isWriteRequest(normalise(message))) {
    const held: string[] = [];
    try {
      const { answerWithAgent } = await import('./agent.ts');
      const history: ChatMessage[] = previous ? [{ role: 'user', content: previous.question }, { role: 'assistant', content: previous.response }] : [];
      answer = await answerWithAgent(message, llm, ctx, { onStep: events.onStep, onDelta: (t) => held.push(t) }, { timeoutMs: deps.config.llm.timeoutMs * 2, history });
    } catch (error) {
      if (error instanceof AppError) throw error;
      deps.log.warn({ err: { message: (error as Error).message } }, 'language model failed');
      throw new AppError(502, 'model_unavailable', 'The language model service did not answer; try again in a moment (or ask without a model: unset GOOGLE_API_KEY / LLM_BASE_URL)');
    }
    const scope = answer.scope;
    const allowed = groundedFigures(answer.data, answer.tools_used.map((t) => t.args), questionFigures(message));
    for (const date of [today, scope.period?.from, scope.period?.to]) if (date) allowed.add(date);
    const invented = ungrounded(answer.response, allowed);
    if (invented.length) {
      deps.log.warn({ invented }, 'model answer with ungrounded figures');
      const offline = await answerOffline(message, ctx, { onStep: events.onStep }, { previous: previous?.turn });
      answer = offline.understood
        ? { ...offline, response: `${UNVERIFIED_NOTE}\n${offline.response}`, tools_used: [...answer.tools_used, ...offline.tools_used] }
        : { ...answer, response: markUnverified(answer.response, allowed) };
      for (const piece of chunks(answer.response)) events.onDelta?.(piece);
    } else for (const piece of held) events.onDelta?.(piece);
  } else {
    answer = await answerOffline(message, ctx, { onStep: events.onStep }, { previous: previous?.turn });
    for (const piece of chunks(answer.response)) events.onDelta?.(piece);
  }
  if (store) await store.set(opts.employeeId!, conversation_id, { question: message, response: answer.response.slice(0, 4000), turn: answer.turn ?? previous?.turn ?? null });
  return { response: answer.response, scope: answer.scope, data: answer.table, tools_used: answer.tools_used, conversation_id };
}
