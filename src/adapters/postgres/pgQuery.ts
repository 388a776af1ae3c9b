/**
 * The few ways the PostgreSQL repositories run a query, in one place: rows, the first row, whether
 * a compare-and-set changed its row, JSON parameters, and advisory transaction locks. Every value
 * goes as a bound parameter ($1, $2, …), never into the SQL text.
 */
import type { PgQueryable } from './connectPostgres.ts';

/** The rows of a query, typed as the caller expects them (column aliases are quoted to keep their case). */
export async function rowsOf<T>(q: PgQueryable, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const result = await q.query(sql, params as unknown[]);
  return result.rows as T[];
}

/** The first row of a query; null when there is none. */
export async function firstRow<T>(q: PgQueryable, sql: string, params: readonly unknown[] = []): Promise<T | null> {
  const result = await q.query(sql, params as unknown[]);
  return (result.rows[0] as T | undefined) ?? null;
}

/** How many rows a statement changed (a compare-and-set wins when it is 1). */
export async function changedRows(q: PgQueryable, sql: string, params: readonly unknown[] = []): Promise<number> {
  const result = await q.query(sql, params as unknown[]);
  return result.rowCount ?? 0;
}

/**
 * A value for a `json` column, as text. Passed as it is, node-postgres would send an array as a
 * PostgreSQL array literal; as text the column keeps exactly what JSON.stringify wrote (key order too).
 * `undefined` is SQL NULL.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * Takes advisory locks held until the transaction ends, one per name (hashed to a bigint key), in
 * the order of their keys: two transactions locking overlapping sets never wait for each other in
 * a cycle. Names carry their namespace (`leadrelay.dedupe.email:…`), so unrelated locks rarely share a key.
 */
export async function lockForTransaction(q: PgQueryable, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await q.query(
    `SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtextextended(name, 0) AS key FROM unnest($1::text[]) AS name) AS keys ORDER BY key`,
    [names],
  );
}
