// Test doubles for the language model (the only part of the assistant the tests replace): a scripted model that
// plays back tool calls and streamed text turn by turn and records what the agent sent it, and a model that fails
// like an unreachable service. Both speak LlamaIndex's ToolCallLLM protocol, so the real agent and tools run.
import {
  ToolCallLLM,
  type ChatMessage,
  type ChatResponse,
  type ChatResponseChunk,
  type LLMChatParamsNonStreaming,
  type LLMChatParamsStreaming,
  type LLMMetadata,
  type ToolCallLLMMessageOptions,
  type ToolResult,
} from '@llamaindex/core/llms';

type Options = ToolCallLLMMessageOptions;

/** One tool call the model makes: LlamaIndex's `{ id, name, input }` (the id is made up when left out). */
export type ScriptedToolCall = { name: string; input: Record<string, unknown>; id?: string };

/** One model turn: either tool calls, or a text answer streamed in the given pieces. */
export type Turn = { toolCalls: ScriptedToolCall[] } | { text: string[] };

/** What the agent sent in one chat() call. */
export type RecordedCall = {
  messages: ChatMessage<Options>[];
  tools: { name: string; description: string; parameters: unknown }[];
  stream: boolean;
};

/** A turn, or a function choosing the turn from what the agent just sent (as a model reading tool results would). */
export type ScriptStep = Turn | ((call: RecordedCall, index: number) => Turn);

const METADATA: LLMMetadata = {
  model: 'scripted-test-model',
  temperature: 0,
  topP: 1,
  contextWindow: 128_000,
  tokenizer: undefined,
  structuredOutput: false,
};

/** The tool results in a call's messages (the agent sends them as user messages carrying `options.toolResult`). */
export function toolResultsIn(call: RecordedCall): ToolResult[] {
  return call.messages.flatMap((m) => (m.options && 'toolResult' in m.options ? [m.options.toolResult] : []));
}

/** The text of a message, whatever its content shape. */
export function textOf(message: ChatMessage<Options>): string {
  return typeof message.content === 'string' ? message.content : message.content.map((p) => ('text' in p ? p.text : '')).join('');
}

const tick = (ms: number) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/**
 * Plays a script: the n-th chat() call answers with the n-th turn. Every call's messages and tools are recorded
 * (deep copies) in `calls`. A call beyond the script fails, so a test notices an agent that asks too often.
 * @example const llm = new ScriptedLLM([{ toolCalls: [{ name: 'find_teams', input: { query: 'Sales' } }] }, { text: ['Hi', '!'] }]);
 */
export class ScriptedLLM extends ToolCallLLM {
  supportToolCall = true;
  metadata: LLMMetadata = METADATA;
  calls: RecordedCall[] = [];
  #script: ScriptStep[];
  #chunkDelayMs: number;

  constructor(script: ScriptStep[] = [], opts: { chunkDelayMs?: number } = {}) {
    super();
    this.#script = [...script];
    this.#chunkDelayMs = opts.chunkDelayMs ?? 0;
  }

  /** Starts over with a new script and no recorded calls (one model shared by a running server). */
  reset(script: ScriptStep[]) {
    this.#script = [...script];
    this.calls = [];
  }

  /** Turns not played yet. */
  get remaining() {
    return this.#script.length - this.calls.length;
  }

  chat(params: LLMChatParamsStreaming<object, Options>): Promise<AsyncIterable<ChatResponseChunk<Options>>>;
  chat(params: LLMChatParamsNonStreaming<object, Options>): Promise<ChatResponse<Options>>;
  async chat(
    params: LLMChatParamsStreaming<object, Options> | LLMChatParamsNonStreaming<object, Options>,
  ): Promise<AsyncIterable<ChatResponseChunk<Options>> | ChatResponse<Options>> {
    const call: RecordedCall = {
      messages: structuredClone(params.messages),
      tools: (params.tools ?? []).map((t) => ({ name: t.metadata.name, description: t.metadata.description, parameters: structuredClone(t.metadata.parameters) })),
      stream: Boolean(params.stream),
    };
    const index = this.calls.length;
    this.calls.push(call);
    const step = this.#script[index];
    if (!step) throw new Error(`ScriptedLLM: chat() call ${index + 1} is beyond the script of ${this.#script.length} turns`);
    const turn = typeof step === 'function' ? step(call, index) : step;
    const toolCall = 'toolCalls' in turn ? turn.toolCalls.map((c, i) => ({ id: c.id ?? `call_${index + 1}_${i + 1}`, name: c.name, input: c.input as never })) : null;

    if (!params.stream) {
      return {
        raw: null,
        message: { role: 'assistant', content: 'text' in turn ? turn.text.join('') : '', ...(toolCall ? { options: { toolCall } } : {}) },
      };
    }
    const delay = this.#chunkDelayMs;
    return (async function* (): AsyncGenerator<ChatResponseChunk<Options>> {
      if (toolCall) {
        await tick(delay);
        yield { raw: null, delta: '', options: { toolCall } };
        return;
      }
      for (const delta of 'text' in turn ? turn.text : []) {
        await tick(delay);
        yield { raw: null, delta };
      }
    })();
  }
}

/** How an unreachable model service fails in Node: fetch's TypeError with the socket error as its cause. */
export function networkError() {
  const cause = Object.assign(new Error('getaddrinfo ENOTFOUND generativelanguage.googleapis.com'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
  return new TypeError('fetch failed', { cause });
}

/**
 * A model whose service cannot be reached: every chat() call fails as fetch does when the network is down
 * (before any output, or after streaming `partial` pieces when given). Counts its calls.
 */
export class FailingLLM extends ToolCallLLM {
  supportToolCall = true;
  metadata: LLMMetadata = { ...METADATA, model: 'failing-test-model' };
  calls = 0;
  #partial: string[];

  constructor(opts: { partial?: string[] } = {}) {
    super();
    this.#partial = opts.partial ?? [];
  }

  chat(params: LLMChatParamsStreaming<object, Options>): Promise<AsyncIterable<ChatResponseChunk<Options>>>;
  chat(params: LLMChatParamsNonStreaming<object, Options>): Promise<ChatResponse<Options>>;
  async chat(
    params: LLMChatParamsStreaming<object, Options> | LLMChatParamsNonStreaming<object, Options>,
  ): Promise<AsyncIterable<ChatResponseChunk<Options>> | ChatResponse<Options>> {
    this.calls++;
    if (!this.#partial.length || !params.stream) throw networkError();
    const partial = this.#partial;
    return (async function* (): AsyncGenerator<ChatResponseChunk<Options>> {
      for (const delta of partial) {
        await tick(0);
        yield { raw: null, delta };
      }
      throw networkError();
    })();
  }
}
