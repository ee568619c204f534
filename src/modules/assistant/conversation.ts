/**
 * Conversation memory: the previous turn of each admin's conversation, so that "and last month?" or "who were they?"
 * continues it. Kept 30 minutes after the last question, under the admin's id and the conversation id (one admin
 * cannot continue another's). In memory in a single process (in the primary's for several API processes); in Redis
 * with REDIS_URL, so that any instance (or the worker answering a socket question) continues it.
 */
import type { Config } from '../../config.ts';
import { callPrimary, processIndex } from '../../infra/cluster.ts';
import { createRedis, type Redis } from '../../infra/redis.ts';
import type { Turn } from './planner.ts';

export const CONVERSATION_TTL_SECONDS = 30 * 60;

/** A turn as remembered: the planner's reading, and the question and answer for a model's chat history. */
export type Remembered = { question: string; response: string; turn: Turn | null };

export type ConversationStore = {
  get(employeeId: number, conversationId: string): Promise<Remembered | null>;
  set(employeeId: number, conversationId: string, turn: Remembered): Promise<void>;
};

/** The conversations of one process (or, for the API processes of one machine without Redis, of their primary). */
export function memoryConversations(): ConversationStore {
  const turns = new Map<string, { turn: Remembered; expires: number }>();
  return {
    async get(employeeId, conversationId) {
      const key = `${employeeId}:${conversationId}`;
      const hit = turns.get(key);
      if (!hit || hit.expires < Date.now()) {
        turns.delete(key);
        return null;
      }
      return hit.turn;
    },
    async set(employeeId, conversationId, turn) {
      const now = Date.now();
      if (turns.size > 10_000) for (const [k, v] of turns) if (v.expires < now) turns.delete(k);
      turns.set(`${employeeId}:${conversationId}`, { turn, expires: now + CONVERSATION_TTL_SECONDS * 1000 });
    },
  };
}

function redisStore(redis: Redis, prefix: string): ConversationStore {
  const key = (employeeId: number, conversationId: string) => `${prefix}assistant:conversation:${employeeId}:${conversationId}`;
  return {
    async get(employeeId, conversationId) {
      const raw = await redis.get(key(employeeId, conversationId));
      return raw ? (JSON.parse(raw) as Remembered) : null;
    },
    async set(employeeId, conversationId, turn) {
      await redis.set(key(employeeId, conversationId), JSON.stringify(turn), 'EX', CONVERSATION_TTL_SECONDS);
    },
  };
}

const stores = new Map<string, ConversationStore>();

/** The conversation store of this process for a configuration (one per Redis URL and prefix, or one in memory). */
export function conversations(config: Pick<Config, 'redisUrl' | 'redisPrefix'>): ConversationStore {
  const id = config.redisUrl ? `${config.redisUrl}|${config.redisPrefix}` : 'memory';
  let store = stores.get(id);
  if (!store) {
    if (config.redisUrl) {
      const redis = createRedis(config.redisUrl);
      // Its own small connection; it must not keep a stopping process alive.
      redis.on('connect', () => (redis as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
      redis.on('error', () => undefined);
      store = redisStore(redis, config.redisPrefix);
    } else if (processIndex() !== null) {
      // One of several API processes without Redis: their primary keeps the conversations (src/primary.ts).
      store = {
        get: (employeeId, conversationId) => callPrimary<Remembered | null>('conversations.get', employeeId, conversationId),
        set: (employeeId, conversationId, turn) => callPrimary<void>('conversations.set', employeeId, conversationId, turn),
      };
    } else store = memoryConversations();
    stores.set(id, store);
  }
  return store;
}
