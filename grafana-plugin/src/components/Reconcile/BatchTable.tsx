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

/** Per-batch detail of a report (the reconciler sends at most 100). */
export function BatchTable({ batches, column, total }: { batches: BatchRepair[]; column: 'rowsMissing' | 'rowsInserted'; total: number }) {
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
            <th>Rows from</th>
            <th className={s.num}>{column === 'rowsMissing' ? 'Rows to insert' : 'Rows inserted'}</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.batchId}>
              <td className={s.id} title={b.batchId}>
                {b.batchId}
              </td>
              <td>{SOURCE_TEXT[b.source]}</td>
              <td className={s.num}>{formatCount(b[column])}</td>
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
