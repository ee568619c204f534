/** The assistant's socket events: a question acknowledged with its request id, the answer streamed to the asking socket. */
import type { Ack } from '../../infra/socket-contract.ts';
import type { Scope, Table } from './answers.ts';

export type AssistantStep = { request_id: string; tool: string; args: Record<string, unknown> };
export type AssistantDelta = { request_id: string; text: string };
/** The answer: `scope` (period, team, person, timezone), `data` a labelled table or null, `conversation_id` for follow-ups. */
export type AssistantDone = {
  request_id: string;
  response: string;
  scope: Scope;
  tools_used: { name: string; args: Record<string, unknown> }[];
  data: Table | null;
  conversation_id: string;
};
export type AssistantError = { request_id: string; code: string; message: string };

declare module '../../infra/socket-contract.ts' {
  interface ClientToServer {
    /** Admins only. The answer streams back as assistant:step / assistant:delta / assistant:done | assistant:error. */
    'assistant:ask': (payload: { message: string; request_id?: string; conversation_id?: string | null }, ack: (result: Ack<{ request_id: string }>) => void) => void;
  }
  interface ServerToClient {
    'assistant:step': (step: AssistantStep) => void;
    'assistant:delta': (delta: AssistantDelta) => void;
    'assistant:done': (done: AssistantDone) => void;
    'assistant:error': (error: AssistantError) => void;
  }
}
