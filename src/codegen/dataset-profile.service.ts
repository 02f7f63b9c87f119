import { Injectable } from '@nestjs/common';
import { CachedTableRepository } from '../duckdb/cached-table.repository';
import { pickColumns } from '../llm/prompt-text';
import { DataSource } from '../execution/data-source';
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
  index: number;
  dtype: string;
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

/**
 * Describes a session's table for the code-generation prompts: dtypes from the upload,
 * a per-column profile computed by DuckDB over all rows, and the first rows.
 * Column names never reach SQL: columns are addressed by position (CachedTableRepository).
 */
@Injectable()
export class DatasetProfileService {
  constructor(private readonly tables: CachedTableRepository) {}

  /** `source`: the upload or a job's output (ExecutionService.dataSource). */
  async describe(source: DataSource, mentionedIn: string): Promise<DatasetContext> {
    const { table } = source;
    const dataset = source;
    const columns = dataset.columns.map((name, i) => ({ name, dtype: dataset.dtypes[i] }));
    const types = await this.tables.describe(table);
    const position = new Map(dataset.columns.map((name, i) => [name, i]));
    const chosen = pickColumns(columns, MAX_PROFILED_COLUMNS, mentionedIn).listed;
    const targets = chosen.map((c) => {
      const index = position.get(c.name) ?? 0;
      const type = types[index] ?? '';
      return {
        name: c.name,
        index,
        dtype: dataset.dtypes[index],
        kind: kindOf(type),
        text: /^VARCHAR$/i.test(type),
      };
    });
    const [profiles, sampleRows] = await Promise.all([
      this.profile(table, targets, dataset.rowCount),
      this.tables.page(table, 0, MAX_SAMPLE_ROWS, dataset),
    ]);
    return { rowCount: dataset.rowCount, columns, profiles, sampleRows };
  }

  private async profile(
    table: string,
    targets: ProfileTarget[],
    rowCount: number,
  ): Promise<ColumnProfile[]> {
    if (targets.length === 0) return [];
    const approx = rowCount > EXACT_DISTINCT_MAX_ROWS;
    const stats = await this.tables.profile(
      table,
      targets.map((t) => ({
        index: t.index,
        dtype: t.dtype,
        range: t.kind === 'range',
        text: t.text,
      })),
      approx,
    );
    const total = stats.rows;
    const profiles: ColumnProfile[] = targets.map((t, i) => {
      const s = stats.columns[i];
      const p: ColumnProfile = {
        name: t.name,
        nullCount: total - s.nonNull,
        distinctCount: s.distinct,
        distinctApprox: approx,
      };
      if (t.kind === 'range') {
        p.min = s.min ?? null;
        p.max = s.max ?? null;
      }
      if (t.text) p.maxLength = s.maxLength ?? null;
      return p;
    });

    // Most common values, for text and booleans that repeat (an id column would only list ones).
    const repeating = targets
      .map((t, i) => ({ t, i }))
      .filter(
        ({ t, i }) =>
          t.kind === 'values' && profiles[i].distinctCount < total - profiles[i].nullCount,
      );
    const top = await this.tables.topValues(
      table,
      repeating.map(({ t }) => t),
      MAX_TOP_VALUES,
    );
    repeating.forEach(({ i }, k) => (profiles[i].topValues = top[k]));
    return profiles;
  }
}
