export { assistantEndpoints } from './assistant.routes.ts';
export { assistantSocket } from './assistant.socket.ts';
export { askJob } from './assistant.jobs.ts';
export { ask, takeQuestionBudget } from './assistant.service.ts';
export { AskPayload } from './assistant.schema.ts';
export { TOOLS, runTool } from './tools.ts';
export type { AssistantDelta, AssistantDone, AssistantError, AssistantStep } from './assistant.events.ts';
