import * as v from 'valibot';

export const Question = v.pipe(
  v.string('message must be a string'),
  v.trim(),
  v.minLength(1, 'message must not be empty'),
  v.maxLength(2000, 'message must be at most 2000 characters'),
);

/** Continues a conversation (follow-ups such as "and last month?"); the answer gives one back when none is sent. */
export const ConversationId = v.pipe(
  v.string('conversation_id must be a string'),
  v.minLength(1, 'conversation_id must not be empty'),
  v.maxLength(100, 'conversation_id must be at most 100 characters'),
  v.regex(/^[\w.:-]+$/, 'conversation_id: letters, digits, . _ : - only'),
);

export const ChatBody = v.object({ message: Question, conversation_id: v.optional(v.nullable(ConversationId)) });

export const AskPayload = v.strictObject(
  {
    message: Question,
    request_id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.regex(/^[\w.:-]+$/, 'request_id: letters, digits, . _ : - only'))),
    conversation_id: v.optional(v.nullable(ConversationId)),
  },
  'payload must be { message, request_id?, conversation_id? }',
);

const Period = v.object({ from: v.string(), to: v.string(), label: v.string() });

export const ScopeOut = v.pipe(
  v.object({
    period: v.nullable(Period),
    team: v.nullable(v.object({ team_id: v.number(), team_name: v.string() })),
    employee: v.nullable(v.object({ employee_id: v.number(), name: v.string() })),
    timezone: v.string(),
  }),
  v.description('What the answer covers: the period (local dates, inclusive; null for "now" or no period), the team, the person (null: the whole organisation), and the time zone of its dates and times.'),
);

export const TableOut = v.pipe(
  v.nullable(v.object({ columns: v.array(v.object({ key: v.string(), label: v.string() })), rows: v.array(v.record(v.string(), v.unknown())) })),
  v.description('The figures behind the answer as a labelled table (null when there is none): each row has a value for each column key.'),
);

export const ChatOut = v.object({
  response: v.string(),
  scope: ScopeOut,
  data: TableOut,
  tools_used: v.array(v.object({ name: v.string(), args: v.record(v.string(), v.unknown()) })),
  conversation_id: v.pipe(v.string(), v.description('Send it with the next question to ask a follow-up ("and last month?"); kept 30 minutes.')),
});
