// GET /audit/ through the real server: admins read the trail newest first, filtered by entity, actor and local date,
// paged with X-Total-Count; nobody else may.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

describe('GET /audit/', () => {
  it('when an admin changes a team and an employee, then the trail has each change with its actor and values, newest first, and the filters narrow it', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const renamed = `Renamed ${uid()}`;
    expect((await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { team_name: renamed } })).status).toBe(200);
    expect((await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { role: 'Lead' } })).status).toBe(200);

    const teamTrail = await hub.request('GET', `/audit/?entity_type=team&entity_id=${team.team_id}`, { token: admin.token });
    expect(teamTrail.status).toBe(200);
    expect(teamTrail.body[0]).toMatchObject({ entity_type: 'team', entity_id: team.team_id, action: 'update', actor_id: admin.employee_id, actor_kind: 'admin' });
    expect(teamTrail.body[0].after.team_name).toBe(renamed);
    expect(teamTrail.body[0].before.team_name).not.toBe(renamed);
    expect(Number(teamTrail.headers.get('x-total-count'))).toBe(teamTrail.body.length);

    const byActor = await hub.request('GET', `/audit/?actor_id=${admin.employee_id}&limit=1`, { token: admin.token });
    expect(byActor.body).toHaveLength(1);
    expect(byActor.body[0]).toMatchObject({ entity_type: 'employee', entity_id: alice.employee_id });
    expect(Number(byActor.headers.get('x-total-count'))).toBeGreaterThanOrEqual(2);

    const today = new Date().toISOString().slice(0, 10);
    const dated = await hub.request('GET', `/audit/?actor_id=${admin.employee_id}&date_from=${today}&date_to=${today}`, { token: admin.token });
    expect(dated.body.length).toBeGreaterThanOrEqual(2);
    const past = await hub.request('GET', `/audit/?actor_id=${admin.employee_id}&date_to=2001-01-01`, { token: admin.token });
    expect(past.body).toEqual([]);
  });

  it('when a manager or an employee asks, then 403; bad filters are 422', async () => {
    const { admin, manager, alice } = await hub.makeOrg();
    for (const who of [manager, alice]) expect((await hub.request('GET', '/audit/', { token: who.token })).status).toBe(403);
    for (const q of ['entity_id=x', 'date_from=2026-13-01', 'entity_type=DROP%20TABLE', 'date_from=2026-02-02&date_to=2026-02-01']) {
      expect((await hub.request('GET', `/audit/?${q}`, { token: admin.token })).status, q).toBe(422);
    }
  });
});
