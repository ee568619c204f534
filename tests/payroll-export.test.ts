// The timesheet as payroll takes it: CSV and XLSX (streamed) with hours per employee and day, totals for the pay
// period, worked, break and overtime hours, absences, and the zone named; read back with exceljs.
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { withHubAndServer, type TestServer } from './socket-utils.ts';
import { type TestHub } from './utils.ts';

let hub: TestHub;
let server: TestServer;
withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A Berlin team with a person who worked 08:00–18:00 (local) on a Monday and was absent the Tuesday. */
async function period() {
  const admin = await hub.makeEmployee({ access: 'admin' });
  const team = await hub.makeTeam({ timezone: 'Europe/Berlin' });
  const alice = await hub.makeEmployee({ team_id: team.team_id, name: 'Alice Payroll' });
  const worked = await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: alice.employee_id, attendance_date: '2025-03-03', check_in_time: '08:00:00', check_out_time: '18:00:00' } });
  expect(worked.status).toBe(201);
  const absent = await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: alice.employee_id, attendance_date: '2025-03-04', status: 'Absent' } });
  expect(absent.status).toBe(201);
  return { admin, team, alice, query: `date_from=2025-03-03&date_to=2025-03-04&team_id=${team.team_id}` };
}

describe('payroll exports', () => {
  it('when the timesheet is asked for as XLSX, then a workbook arrives with a line per day, a bold total, hours as numbers, the zone, and a totals sheet', async () => {
    const { admin, alice, query } = await period();
    const res = await fetch(`${server.url}/reports/timesheet?${query}&format=xlsx`, { headers: { Authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XLSX);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="timesheet-2025-03-03-2025-03-04.xlsx"');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await res.arrayBuffer());
    expect(book.worksheets.map((w) => w.name)).toEqual(['Timesheet', 'Totals']);

    const lines = book.getWorksheet('Timesheet')!;
    const header = (lines.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(expect.arrayContaining(['date', 'timezone', 'worked_minutes', 'worked_hours', 'break_hours', 'overtime_hours', 'absent_days']));
    const rows = Array.from({ length: lines.rowCount - 1 }, (_, i) => Object.fromEntries(header.map((h, k) => [h as string, lines.getRow(i + 2).getCell(k + 1).value])));
    const mine = rows.filter((r) => r.employee_id === alice.employee_id);
    expect(mine.map((r) => r.date)).toEqual(['2025-03-03', '2025-03-04', 'total']);
    expect(mine[0]).toMatchObject({ timezone: 'Europe/Berlin', status: 'Present', intervals_local: '08:00-18:00', worked_minutes: 600, worked_hours: 10, overtime_hours: 2, absent_days: 0 });
    expect(mine[1]).toMatchObject({ status: 'Absent', worked_hours: 0, absent_days: 1 });
    expect(mine[2]).toMatchObject({ worked_minutes: 600, worked_hours: 10, absent_days: 1 });
    expect(lines.getRow(rows.indexOf(mine[2]) + 2).font?.bold).toBe(true);
    expect(lines.getColumn(header.indexOf('worked_hours') + 1).numFmt).toBe('0.00');

    const totals = book.getWorksheet('Totals')!;
    const tHeader = (totals.getRow(1).values as unknown[]).slice(1) as string[];
    const tRow = Object.fromEntries(tHeader.map((h, k) => [h, totals.getRow(2).getCell(k + 1).value]));
    expect(tRow).toMatchObject({ employee_id: alice.employee_id, timezone: 'Europe/Berlin', period: '2025-03-03 to 2025-03-04', worked_hours: 10, absent_days: 1, days_worked: 1 });
  });

  it('when the timesheet is asked for as CSV, then hours and absences sit beside the minutes, the zone on every line; a format it does not know is 422', async () => {
    const { admin, alice, query } = await period();
    const csv = await hub.request('GET', `/reports/timesheet?${query}&format=csv`, { token: admin.token });
    expect(csv.status).toBe(200);
    const [header, ...lines] = csv.text.trim().split('\r\n').map((l) => l.split(','));
    const rows = lines.map((l) => Object.fromEntries(header.map((h, i) => [h, l[i]]))).filter((r) => r.employee_id === String(alice.employee_id));
    expect(rows.map((r) => [r.date, r.timezone, r.worked_hours, r.overtime_hours, r.absent_days])).toEqual([
      ['2025-03-03', 'Europe/Berlin', '10', '2', '0'],
      ['2025-03-04', 'Europe/Berlin', '0', '0', '1'],
      ['total', 'Europe/Berlin', '10', '2', '1'],
    ]);
    expect((await hub.request('GET', `/reports/timesheet?${query}&format=pdf`, { token: admin.token })).status).toBe(422);
  });

  it('when an employee asks for the XLSX of a colleague, then 403, and for their own, their own lines only', async () => {
    const { alice, team } = await period();
    const colleague = await hub.makeEmployee({ team_id: team.team_id });
    const other = await fetch(`${server.url}/reports/timesheet?date_from=2025-03-03&date_to=2025-03-04&employee_id=${alice.employee_id}&format=xlsx`, { headers: { Authorization: `Bearer ${colleague.token}` } });
    expect(other.status).toBe(403);
    const own = await fetch(`${server.url}/reports/timesheet?date_from=2025-03-03&date_to=2025-03-04&employee_id=${alice.employee_id}&format=xlsx`, { headers: { Authorization: `Bearer ${alice.token}` } });
    expect(own.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await own.arrayBuffer());
    const ids = new Set(book.getWorksheet('Timesheet')!.getColumn(1).values.slice(2));
    expect([...ids]).toEqual([alice.employee_id]);
  });
});
