// Sparse fieldsets: every list answers `?fields=a,b` with only those fields of each item (in the order named), refuses
// a name its items do not have (422 on `fields`, nothing else changes), and documents the parameter in OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './utils.ts';

let hub: TestHub;
let org: Awaited<ReturnType<TestHub['makeOrg']>>;
beforeAll(async () => {
  hub = await createTestHub();
  org = await hub.makeOrg();
  for (const [person, day] of [[org.alice, '2026-03-02'], [org.alice, '2026-03-03'], [org.bob, '2026-03-02']] as const) {
    const res = await hub.request('POST', '/attendance/', {
      token: org.admin.token,
      json: { employee_id: person.employee_id, attendance_date: day, status: 'Present', check_in_time: '08:55:00', check_out_time: '17:05:00', notes: 'a note' },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(() => hub.close());

const SEED_SHAPE = 'record_id,employee_id,attendance_date,status,check_in_time';

describe('sparse fieldsets on lists', () => {
  it('when a team month and an employee year are read with fields=, then each record carries exactly those fields, with the same values and total as the full answer', async () => {
    const t = org.team.team_id;
    for (const path of [
      `/attendance/team/${t}?date_from=2026-03-01&date_to=2026-03-31`,
      `/attendance/employee/${org.alice.employee_id}?date_from=2026-01-01&date_to=2026-12-31`,
      `/attendance/?team_id=${t}&date_from=2026-03-01&date_to=2026-03-31`,
    ]) {
      const full = await hub.request('GET', path, { token: org.admin.token });
      const sparse = await hub.request('GET', `${path}&fields=${SEED_SHAPE}`, { token: org.admin.token });
      expect(full.status, path).toBe(200);
      expect(sparse.status, path).toBe(200);
      expect(sparse.headers.get('x-total-count')).toBe(full.headers.get('x-total-count'));
      expect(full.body.length).toBeGreaterThan(0);
      expect(sparse.body).toHaveLength(full.body.length);
      sparse.body.forEach((row: Record<string, unknown>, i: number) => {
        expect(Object.keys(row), path).toEqual(SEED_SHAPE.split(','));
        for (const key of SEED_SHAPE.split(',')) expect(row[key]).toEqual(full.body[i][key]);
      });
      // The full record has more than the fieldset: the answer really is smaller.
      expect(Object.keys(full.body[0]).length).toBeGreaterThan(5);
      expect(JSON.stringify(sparse.body).length).toBeLessThan(JSON.stringify(full.body).length);
    }
  });

  it('when fields repeat, carry spaces or come in another order, then each field comes once, in the order named', async () => {
    const res = await hub.request('GET', `/attendance/employee/${org.alice.employee_id}?date_from=2026-03-01&date_to=2026-03-31&fields=status,%20record_id,status,`, { token: org.alice.token });
    expect(res.status).toBe(200);
    expect(res.body.map((r: object) => Object.keys(r))).toEqual([['status', 'record_id'], ['status', 'record_id']]);
  });

  it('when other lists are read with fields=, then they answer the same way (employees, teams)', async () => {
    const people = await hub.request('GET', `/employees/?team_id=${org.team.team_id}&fields=employee_id,name`, { token: org.admin.token });
    expect(people.status).toBe(200);
    expect(people.body.length).toBeGreaterThanOrEqual(3);
    for (const p of people.body) expect(Object.keys(p)).toEqual(['employee_id', 'name']);
    const teams = await hub.request('GET', '/teams/?fields=team_name', { token: org.admin.token });
    expect(teams.status).toBe(200);
    for (const team of teams.body) expect(Object.keys(team)).toEqual(['team_name']);
  });

  it('when fields= names a field the items do not have, or none, then the answer is 422 on fields, naming the fields there are', async () => {
    for (const fields of ['record_id,password_hash', 'nope', '', ',,', 'record_id,__proto__', 'constructor']) {
      const res = await hub.request('GET', `/attendance/employee/${org.alice.employee_id}?fields=${encodeURIComponent(fields)}`, { token: org.admin.token });
      expect(res.status, fields).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail[0].loc).toEqual(['query', 'fields']);
      expect(res.body.detail[0].msg).toContain('attendance_date');
    }
    // The role rules still come first.
    const other = await hub.request('GET', `/attendance/employee/${org.bob.employee_id}?fields=status`, { token: org.alice.token });
    expect(other.status).toBe(403);
  });

  it('when the OpenAPI document is read, then every list names its fields parameter with the fields it takes', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    for (const path of ['/attendance/', '/attendance/employee/{employee_id}', '/attendance/team/{team_id}', '/employees/', '/teams/']) {
      const param = paths[path].get.parameters.find((p: { name: string }) => p.name === 'fields');
      expect(param, path).toMatchObject({ in: 'query', required: false });
      expect(param.description).toMatch(/sparse fieldset/);
    }
    const records = paths['/attendance/team/{team_id}'].get.parameters.find((p: { name: string }) => p.name === 'fields');
    expect(new RegExp(records.schema.pattern).test(SEED_SHAPE)).toBe(true);
    expect(new RegExp(records.schema.pattern).test('record_id,nope')).toBe(false);
    // Not a list: no fieldset.
    expect(paths['/attendance/{record_id}'].get.parameters.some((p: { name: string }) => p.name === 'fields')).toBe(false);
  });
});
