import { Injectable } from '@nestjs/common';
import { DuckDbService, JsonRow, quoteIdent } from '../duckdb/duckdb.service';
import { pandasColumn } from '../duckdb/pandas-columns';
import { pickColumns } from '../llm/prompt-text';
import { Session } from '../sessions/session';
import { SessionRowsService } from '../sessions/session-rows.service';
import {
  ColumnProfile,
  DatasetContext,
  MAX_PROFILED_COLUMNS,
  MAX_SAMPLE_ROWS,
  MAX_TOP_VALUES,
} from './dataset-context';

/** Above this many rows distinct values are estimated (HyperLogLog), not counted. */
export const EXACT_DISTINCT_MAX_ROWS = 200_000;

type ProfileKind = 'range' | 'values' | 'plain';

interface ProfileTarget {
  name: string;
  /** SQL expression reading the column as its dtype (see pandasColumn). */
  column: string;
  kind: ProfileKind;
  text: boolean;
}

const RANGE_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL.*|DATE|TIME.*|TIMESTAMP.*|INTERVAL)$/i;

function kindOf(duckdbType: string): ProfileKind {
  if (RANGE_TYPES.test(duckdbType)) return 'range';
  if (/^(VARCHAR|BOOLEAN)$/i.test(duckdbType)) return 'values';
  return 'plain';
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));

/**
 * Describes a session's table for the code-generation prompts: dtypes from the upload,
 * a per-column profile computed by DuckDB over all rows, and the first rows.
 * Column names never reach SQL: columns are addressed by position, aliases are generated.
 */
@Injectable()
export class DatasetProfileService {
  constructor(
    private readonly duckdb: DuckDbService,
    private readonly rows: SessionRowsService,
  ) {}

  async describe(session: Session, mentionedIn: string): Promise<DatasetContext> {
    const { dataset, table } = session;
    const columns = dataset.columns.map((name, i) => ({ name, dtype: dataset.dtypes[i] }));
    const types = await this.columnTypes(table);
    const position = new Map(dataset.columns.map((name, i) => [name, i]));
    const chosen = pickColumns(columns, MAX_PROFILED_COLUMNS, mentionedIn).listed;
    const targets = chosen.map((c) => {
      const index = position.get(c.name) ?? 0;
      const type = types[index] ?? '';
      return {
        name: c.name,
        column: pandasColumn(index, dataset.dtypes[index]),
        kind: kindOf(type),
        text: /^VARCHAR$/i.test(type),
      };
    });
    const [profiles, sampleRows] = await Promise.all([
      this.profile(table, targets, dataset.rowCount),
      this.rows.readTable(table, 0, MAX_SAMPLE_ROWS, dataset),
    ]);
    return { rowCount: dataset.rowCount, columns, profiles, sampleRows };
  }

  /** DuckDB type of each column, by position. */
  private async columnTypes(table: string): Promise<string[]> {
    const described = await this.duckdb.queryJson(`DESCRIBE ${quoteIdent(table)}`);
    return described.map((r) => text(r.column_type));
  }

  private async profile(
    table: string,
    targets: ProfileTarget[],
    rowCount: number,
  ): Promise<ColumnProfile[]> {
    if (targets.length === 0) return [];
    const approx = rowCount > EXACT_DISTINCT_MAX_ROWS;
    const select = ['count(*) AS n'];
    targets.forEach((t, i) => {
      const c = t.column;
      select.push(
        `count(${c}) AS nn${i}`,
        approx ? `approx_count_distinct(${c}) AS d${i}` : `count(DISTINCT ${c}) AS d${i}`,
      );
      if (t.kind === 'range') {
        select.push(`CAST(min(${c}) AS VARCHAR) AS mn${i}`, `CAST(max(${c}) AS VARCHAR) AS mx${i}`);
      }
      if (t.text) select.push(`max(length(${c})) AS len${i}`);
    });
    const [stats] = await this.duckdb.queryJson(
      `SELECT ${select.join(', ')} FROM ${quoteIdent(table)}`,
    );
    const total = num(stats.n);

    const profiles: ColumnProfile[] = targets.map((t, i) => {
      const nonNull = num(stats[`nn${i}`]);
      const p: ColumnProfile = {
        name: t.name,
        nullCount: total - nonNull,
        distinctCount: num(stats[`d${i}`]),
        distinctApprox: approx,
      };
      if (t.kind === 'range') {
        p.min = str(stats[`mn${i}`]);
        p.max = str(stats[`mx${i}`]);
      }
      if (t.text) p.maxLength = stats[`len${i}`] == null ? null : num(stats[`len${i}`]);
      return p;
    });

    // Most common values, for text and booleans that repeat (an id column would only list ones).
    const repeating = targets
      .map((t, i) => ({ t, i }))
      .filter(
        ({ t, i }) =>
          t.kind === 'values' && profiles[i].distinctCount < total - profiles[i].nullCount,
      );
    if (repeating.length > 0) {
      const top = await this.topValues(table, repeating);
      for (const { i } of repeating) profiles[i].topValues = top.get(i) ?? [];
    }
    return profiles;
  }

  private async topValues(
    table: string,
    columns: { t: ProfileTarget; i: number }[],
  ): Promise<Map<number, { value: string; count: number }[]>> {
    const parts = columns.map(({ t, i }) => {
      const c = t.column;
      return (
        `(SELECT ${i} AS col, CAST(${c} AS VARCHAR) AS value, count(*) AS n FROM ${quoteIdent(table)} ` +
        `WHERE ${c} IS NOT NULL GROUP BY 2 ORDER BY n DESC, value LIMIT $k)`
      );
    });
    const rows: JsonRow[] = await this.duckdb.queryJson(parts.join(' UNION ALL '), {
      k: MAX_TOP_VALUES,
    });
    const byColumn = new Map<number, { value: string; count: number }[]>();
    for (const r of rows) {
      const list = byColumn.get(num(r.col)) ?? [];
      list.push({ value: text(r.value), count: num(r.n) });
      byColumn.set(num(r.col), list);
    }
    // UNION ALL keeps no order across parts; each list is re-sorted by frequency.
    for (const list of byColumn.values())
      list.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    return byColumn;
  }
}
