/** The assistant's socket events: a question acknowledged with its request id, the answer streamed to the asking socket. */
import type { Ack } from '../../infra/socket-contract.ts';

export type AssistantStep = { request_id: string; tool: string; args: Record<string, unknown> };
export type AssistantDelta = { request_id: string; text: string };
export type AssistantDone = { request_id: string; response: string; tools_used: { name: string; args: Record<string, unknown> }[]; data: unknown };
export type AssistantError = { request_id: string; code: string; message: string };

declare module '../../infra/socket-contract.ts' {
  interface ClientToServer {
    /** Admins only. The answer streams back as assistant:step / assistant:delta / assistant:done | assistant:error. */
    'assistant:ask': (payload: { message: string; request_id?: string }, ack: (result: Ack<{ request_id: string }>) => void) => void;
  }
  interface ServerToClient {
    'assistant:step': (step: AssistantStep) => void;
    'assistant:delta': (delta: AssistantDelta) => void;
    'assistant:done': (done: AssistantDone) => void;
    'assistant:error': (error: AssistantError) => void;
  }
}
