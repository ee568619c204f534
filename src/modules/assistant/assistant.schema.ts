import * as v from 'valibot';

export const Question = v.pipe(
  v.string('message must be a string'),
  v.trim(),
  v.minLength(1, 'message must not be empty'),
  v.maxLength(2000, 'message must be at most 2000 characters'),
);

export const ChatBody = v.object({ message: Question });

export const AskPayload = v.strictObject(
  {
    message: Question,
    request_id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.regex(/^[\w.:-]+$/, 'request_id: letters, digits, . _ : - only'))),
  },
  'payload must be { message, request_id? }',
);

export const ChatOut = v.object({
  response: v.string(),
  tools_used: v.array(v.object({ name: v.string(), args: v.record(v.string(), v.unknown()) })),
  data: v.pipe(v.unknown(), v.description('The rows or figures the answer rests on (tool results).')),
});
