import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import type { BatchRepair } from '../../api/types';
import { formatCount } from '../../utils/format';

const SOURCE_TEXT: Record<BatchRepair['source'], string> = {
  mirror: 'Redis mirror',
  s3: 'S3 (re-read)',
  ledger: 'already in MySQL',
};

const COLUMN_TITLE = { rowsMissing: 'Rows to insert', rowsInserted: 'Rows inserted' } as const;
type CountColumn = keyof typeof COLUMN_TITLE;

/** "fy2014.csv" of "s3://bucket/dir/fy2014.csv": the full key goes in a title. */
function objectName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1) || key;
}

/** "records 1,001–2,000": the batch's input records in its source object (1-based, after the header). */
function recordRange(b: BatchRepair): string {
  return b.records === 1 ? `record ${formatCount(b.firstRecord)}` : `records ${formatCount(b.firstRecord)}–${formatCount(b.firstRecord + b.records - 1)}`;
}

/**
 * Per-batch detail of a report or a recorded run (the reconciler keeps at most 100): the
 * batch, where in the source it comes from, where its rows came from, and the counts asked for.
 */
export function BatchTable({ batches, columns, total }: { batches: BatchRepair[]; columns: CountColumn[]; total: number }) {
  const s = useStyles2(getStyles);
  if (batches.length === 0) {
    return null;
  }
  return (
    <>
      <table className={s.table} data-testid="batch-table">
        <thead>
          <tr>
            <th>Batch</th>
            <th>Source</th>
            <th>Rows from</th>
            {columns.map((c) => (
              <th key={c} className={s.num}>
                {COLUMN_TITLE[c]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.batchId}>
              <td className={s.id} title={b.batchId}>
                {b.batchId}
              </td>
              <td title={b.sourceKey}>
                {objectName(b.sourceKey)} · {recordRange(b)}
              </td>
              <td>{SOURCE_TEXT[b.source]}</td>
              {columns.map((c) => (
                <td key={c} className={s.num}>
                  {formatCount(b[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {total > batches.length && <p className={s.more}>…and {formatCount(total - batches.length)} more batches (the counts above include them).</p>}
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    marginBottom: theme.spacing(2),
    fontSize: theme.typography.bodySmall.fontSize,
    borderCollapse: 'collapse',
    'th, td': { padding: theme.spacing(0.5, 1), borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'left' },
  }),
  num: css({ textAlign: 'right !important' as 'right', fontVariantNumeric: 'tabular-nums' }),
  id: css({ fontFamily: theme.typography.fontFamilyMonospace, maxWidth: 220, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  more: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
