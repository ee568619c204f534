import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { localParts } from '../../infra/time.ts';
import { csvCell } from './attendance.export.ts';
import type { Timesheet } from './attendance.reports.ts';

/**
 * A timesheet as payroll takes it, one shape for CSV and for XLSX: a line per employee and day, then a `total` line
 * per employee, minutes and hours side by side, local times in each employee's zone (named on every line).
 */
type Column = { key: string; header: string; width: number; hours?: boolean };
const COLUMNS: Column[] = [
  { key: 'employee_id', header: 'employee_id', width: 11 },
  { key: 'employee_name', header: 'employee_name', width: 24 },
  { key: 'team_name', header: 'team_name', width: 16 },
  { key: 'date', header: 'date', width: 11 },
  { key: 'timezone', header: 'timezone', width: 18 },
  { key: 'status', header: 'status', width: 16 },
  { key: 'intervals_local', header: 'intervals_local', width: 24 },
  { key: 'worked_minutes', header: 'worked_minutes', width: 9 },
  { key: 'break_minutes', header: 'break_minutes', width: 9 },
  { key: 'overtime_minutes', header: 'overtime_minutes', width: 9 },
  { key: 'weekly_overtime_minutes', header: 'weekly_overtime_minutes', width: 9 },
  { key: 'planned_minutes', header: 'planned_minutes', width: 9 },
  { key: 'late', header: 'late', width: 7 },
  { key: 'left_early', header: 'left_early', width: 7 },
  { key: 'missing_check_out', header: 'missing_check_out', width: 7 },
  { key: 'worked_hours', header: 'worked_hours', width: 9, hours: true },
  { key: 'break_hours', header: 'break_hours', width: 9, hours: true },
  { key: 'overtime_hours', header: 'overtime_hours', width: 9, hours: true },
  { key: 'absent_days', header: 'absent_days', width: 8 },
];

type Cell = string | number | boolean | null;
const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;

/** The lines of a timesheet, as values (not yet text). */
function* timesheetRows(sheet: Timesheet): Generator<{ total: boolean; cells: Cell[] }> {
  for (const e of sheet.employees) {
    const hhmm = (iso: string | null) => (iso ? localParts(new Date(iso), e.timezone).hhmm : '');
    for (const d of e.days) {
      const overtime = d.overtime_minutes + d.weekly_overtime_minutes;
      yield {
        total: false,
        cells: [
          e.employee_id, e.name, e.team_name, d.date, e.timezone, d.status, d.intervals.map((i) => `${hhmm(i.check_in_time)}-${hhmm(i.check_out_time)}`).join(' '),
          d.worked_minutes, d.break_minutes, d.overtime_minutes, d.weekly_overtime_minutes, d.planned_minutes, d.late, d.left_early, d.missing_check_out,
          hours(d.worked_minutes), hours(d.break_minutes), hours(overtime), d.status === 'Absent' ? 1 : 0,
        ],
      };
    }
    const t = e.totals;
    yield {
      total: true,
      cells: [
        e.employee_id, e.name, e.team_name, 'total', e.timezone, `${t.days_worked} days worked`, '', t.worked_minutes, t.break_minutes, t.overtime_minutes,
        t.weekly_overtime_minutes, t.planned_minutes, t.late_days, t.left_early_days, '',
        hours(t.worked_minutes), hours(t.break_minutes), hours(t.overtime_minutes + t.weekly_overtime_minutes), t.absent_days,
      ],
    };
  }
}

/** CSV (RFC 4180, CRLF). */
export function timesheetCsv(sheet: Timesheet): string {
  const lines = [COLUMNS.map((c) => c.header).join(',')];
  for (const row of timesheetRows(sheet)) lines.push(row.cells.map((c) => csvCell(c ?? '')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * XLSX, written row by row into the response as it is made (exceljs' streaming writer): the lines on one sheet (header
 * frozen, totals bold, hours as numbers with two decimals), and a second sheet with each employee's totals.
 */
export function timesheetXlsx(sheet: Timesheet): ReadableStream<Uint8Array> {
  const out = new PassThrough();
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  book.creator = 'Check-in Hub';
  book.created = new Date();
  void (async () => {
    const lines = book.addWorksheet('Timesheet', { views: [{ state: 'frozen', ySplit: 1 }] });
    lines.columns = COLUMNS.map((c) => ({ key: c.key, header: c.header, width: c.width, style: c.hours ? { numFmt: '0.00' } : {} }));
    lines.getRow(1).font = { bold: true };
    lines.getRow(1).commit();
    for (const row of timesheetRows(sheet)) {
      const added = lines.addRow(row.cells.map((c) => c ?? ''));
      if (row.total) added.font = { bold: true };
      added.commit();
    }
    lines.commit();
    const totals = book.addWorksheet('Totals', { views: [{ state: 'frozen', ySplit: 1 }] });
    totals.columns = [
      { key: 'employee_id', header: 'employee_id', width: 11 },
      { key: 'employee_name', header: 'employee_name', width: 24 },
      { key: 'team_name', header: 'team_name', width: 16 },
      { key: 'timezone', header: 'timezone', width: 18 },
      { key: 'period', header: 'period', width: 23 },
      { key: 'days_worked', header: 'days_worked', width: 8 },
      { key: 'worked_hours', header: 'worked_hours', width: 9, style: { numFmt: '0.00' } },
      { key: 'break_hours', header: 'break_hours', width: 9, style: { numFmt: '0.00' } },
      { key: 'overtime_hours', header: 'overtime_hours', width: 9, style: { numFmt: '0.00' } },
      { key: 'weekly_overtime_hours', header: 'weekly_overtime_hours', width: 9, style: { numFmt: '0.00' } },
      { key: 'planned_hours', header: 'planned_hours', width: 9, style: { numFmt: '0.00' } },
      { key: 'late_days', header: 'late_days', width: 8 },
      { key: 'left_early_days', header: 'left_early_days', width: 8 },
      { key: 'absent_days', header: 'absent_days', width: 8 },
    ];
    totals.getRow(1).font = { bold: true };
    totals.getRow(1).commit();
    for (const e of sheet.employees) {
      const t = e.totals;
      totals.addRow([
        e.employee_id, e.name, e.team_name, e.timezone, `${sheet.date_from} to ${sheet.date_to}`, t.days_worked, hours(t.worked_minutes), hours(t.break_minutes),
        hours(t.overtime_minutes), hours(t.weekly_overtime_minutes), hours(t.planned_minutes), t.late_days, t.left_early_days, t.absent_days,
      ]).commit();
    }
    totals.commit();
    await book.commit();
  })().catch((error: unknown) => out.destroy(error as Error));
  return Readable.toWeb(out) as ReadableStream<Uint8Array>;
}
