/**
 * Many rows as one statement: each column travels as one array parameter and `unnest` turns them back into rows. The
 * statement's text is the same whatever the number of rows, so PostgreSQL parses and plans it once per connection.
 * A spec names the columns and their SQL types once; the text and the parameters both come from it.
 */
export type ColumnSpec = Readonly<Record<string, string>>;
export type RowOf<S extends ColumnSpec> = { [K in keyof S]: unknown };

/** `unnest($n::int[], …) as alias(a, …)`, with parameters numbered from `first`. */
export function unnestOf(spec: ColumnSpec, alias: string, first: number): string {
  const names = Object.keys(spec);
  return `unnest(${names.map((name, i) => `$${first + i}::${spec[name]}[]`).join(', ')}) as ${alias}(${names.join(', ')})`;
}

/** The parameters of `unnestOf`: one array per column, in the spec's order. */
export function arraysOf<S extends ColumnSpec>(spec: S, rows: RowOf<S>[]): unknown[][] {
  return Object.keys(spec).map((name) => rows.map((row) => row[name]));
}

/** How many parameters a spec takes. */
export const widthOf = (spec: ColumnSpec) => Object.keys(spec).length;
