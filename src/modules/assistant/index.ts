export { assistantEndpoints } from './assistant.routes.ts';
export { askJob } from './assistant.jobs.ts';
export { ask, takeQuestionBudget } from './assistant.service.ts';
export { AskPayload } from './assistant.schema.ts';
export { TOOLS, runTool } from './tools.ts';
