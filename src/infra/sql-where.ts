/**
 * WHERE clauses with bound parameters, built from column maps: a list filter names its columns once, and a request's
 * filters become conditions on them. No SQL text is rewritten and no value enters the text.
 */
export type Operator = '=' | '<>' | '>=' | '<=' | '>' | '<' | 'ilike';

/** One condition on a column; `any` groups conditions with OR. */
export type Condition = { column: string; op: Operator; value: unknown } | { any: Condition[] };

/** A filter's column and operator, by the name the API gives the filter. */
export type ColumnMap<F extends string> = Record<F, readonly [column: string, op: Operator]>;

/**
 * The conditions of the filters that are set (undefined ones are skipped), on the columns of `map`.
 * @example filterConditions({ date_from: ['a.attendance_date', '>='] }, { date_from: '2026-01-01' })
 */
export function filterConditions<F extends string>(map: ColumnMap<F>, values: Partial<Record<F, unknown>>): Condition[] {
  const out: Condition[] = [];
  for (const name of Object.keys(map) as F[]) {
    const value = values[name];
    if (value === undefined || value === null || value === '') continue;
    const [column, op] = map[name];
    out.push({ column, op, value });
  }
  return out;
}

/** `where …` (or '') and its parameters, numbered from `$first`. */
export function whereClause(conditions: Condition[], first = 1): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const render = (c: Condition): string => {
    if ('any' in c) return `(${c.any.map(render).join(' or ')})`;
    params.push(c.value);
    return `${c.column} ${c.op} $${first + params.length - 1}`;
  };
  const parts = conditions.map(render);
  return { text: parts.length ? `where ${parts.join(' and ')}` : '', params };
}
