// The generic batcher behind the punches: items that arrive while a batch is written go together in the next one.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/infra/group-commit.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit', () => {
  it('when items arrive while a batch is being written, then they wait and go together in the next batch, one batch at a time', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const gc = new GroupCommit<number>({
      maxBatch: 100,
      maxInFlight: 1,
      stallMs: 10_000,
      run: async (batch) => {
        inFlight++;
        most = Math.max(most, inFlight);
        batches.push(batch);
        await sleep(30);
        inFlight--;
      },
    });
    gc.submit(1);
    await sleep(5); // the first batch is being written
    for (let i = 2; i <= 50; i++) gc.submit(i);
    await gc.idle();
    expect(batches).toEqual([[1], Array.from({ length: 49 }, (_, i) => i + 2)]);
    expect(most).toBe(1);
    expect(gc.received).toBe(50);
  });

  it('when more items wait than a batch holds, then they go in batches of maxBatch, in order', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number>({ maxBatch: 10, maxInFlight: 1, stallMs: 10_000, run: async (batch) => void batches.push(batch) });
    for (let i = 0; i < 25; i++) gc.submit(i);
    await gc.idle();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('when a batch stalls past stallMs, then the next starts beside it (up to maxInFlight)', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const done: string[] = [];
    const gc = new GroupCommit<string>({
      maxBatch: 100,
      maxInFlight: 2,
      stallMs: 20,
      run: async (batch) => {
        if (batch.includes('stuck')) await stuck;
        done.push(...batch);
      },
    });
    gc.submit('stuck');
    await sleep(5);
    gc.submit('free');
    await sleep(80);
    expect(done).toEqual(['free']);
    release();
    await gc.idle();
    expect(done).toEqual(['free', 'stuck']);
  });
});
