import { endpoint } from '../../infra/http.ts';
import { ChatBody, ChatOut } from './assistant.schema.ts';
import { ask, takeQuestionBudget } from './assistant.service.ts';

export const assistantEndpoints = [
  endpoint(
    {
      method: 'post', path: '/chat/', tag: 'Assistant', summary: 'Ask the attendance assistant', access: ['admin'], body: ChatBody, response: ChatOut, heavy: true,
      description:
        'A question in plain language ("Who was late three times this month in Support?"). With GOOGLE_API_KEY (or LLM_BASE_URL) ' +
        'a language model picks the tools; without, a built-in planner answers the common question shapes. Both only read data. ' +
        'Every answer states its `scope`; unknown teams or people, shared first names, future dates and requests to change data are ' +
        'declined in words with no figure. Send `conversation_id` back for follow-ups ("and last month?"). For streamed answers use the socket event `assistant:ask`.',
    },
    async (c, { body }) => {
      const deps = c.get('deps');
      const user = c.get('user')!;
      await takeQuestionBudget(deps.budgets.questions, user.employee_id);
      return c.json(await ask({ em: c.get('em'), config: deps.config, log: c.get('log'), llm: deps.llm }, body.message, {}, { employeeId: user.employee_id, conversationId: body.conversation_id ?? null }));
    },
  ),
];
