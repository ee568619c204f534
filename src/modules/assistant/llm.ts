import { Gemini } from '@llamaindex/google';
import { OpenAI } from '@llamaindex/openai';
import type { ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../../config.ts';

/**
 * @llamaindex/google decides tool support from a fixed list of model names, which misses newer models.
 * GEMINI_MODEL must name a tool-calling model, so tool calls are always on here.
 */
class ToolCallingGemini extends Gemini {
  override get supportToolCall(): boolean {
    return true;
  }
}

/** @llamaindex/openai recognises only OpenAI's own model names; a self-hosted endpoint is trusted to call tools. */
class ToolCallingOpenAI extends OpenAI {
  override get supportToolCall(): boolean {
    return true;
  }
}

/**
 * The language model behind the assistant: an OpenAI-compatible endpoint (LLM_BASE_URL, LLM_MODEL), or Gemini
 * (GOOGLE_API_KEY, GEMINI_MODEL) through Google's current SDK (@google/genai). Null: the offline planner answers.
 */
export function createLlm(config: Config): ToolCallLLM | null {
  const llm = config.llm;
  if (llm.baseUrl) {
    return new ToolCallingOpenAI({
      model: llm.model,
      apiKey: llm.apiKey ?? 'not-needed',
      baseURL: llm.baseUrl,
      temperature: 0,
      maxRetries: 1,
      timeout: llm.timeoutMs,
    }) as unknown as ToolCallLLM;
  }
  if (config.googleApiKey) {
    return new ToolCallingGemini({
      apiKey: config.googleApiKey,
      model: llm.geminiModel as never,
      temperature: 0,
      httpOptions: { timeout: llm.timeoutMs },
    }) as unknown as ToolCallLLM;
  }
  return null;
}
