// Runs bcrypt off the main thread (see password.ts): one request at a time, answered by id.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type BcryptJob = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
export type BcryptRequest = BcryptJob & { id: number };
export type BcryptReply = { id: number; result: string | boolean } | { id: number; error: string };

parentPort?.on('message', (req: BcryptRequest) => {
  try {
    const result = req.op === 'hash' ? bcrypt.hashSync(req.password, req.cost) : bcrypt.compareSync(req.password, req.hash);
    parentPort!.postMessage({ id: req.id, result } satisfies BcryptReply);
  } catch (error) {
    parentPort!.postMessage({ id: req.id, error: (error as Error).message } satisfies BcryptReply);
  }
});
