import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

describe('smoke', () => {
  it('when an admin lists teams, then a created team is in the list', async () => {
    const { admin, team } = await hub.makeOrg();
    const res = await hub.request('GET', '/teams/?limit=1000', { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.map((t: { team_id: number }) => t.team_id)).toContain(team.team_id);
  });
});
