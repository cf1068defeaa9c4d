import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';

import { sentenceCase } from '../utils/format';

export type Health = 'ok' | 'warning' | 'down' | 'unknown';

const HEALTH_BADGE: Record<Health, { text: string; color: 'green' | 'orange' | 'red' | 'blue' }> = {
  ok: { text: 'Healthy', color: 'green' },
  warning: { text: 'Attention', color: 'orange' },
  down: { text: 'Down', color: 'red' },
  unknown: { text: 'Unknown', color: 'blue' },
};

export interface StageRow {
  label: string;
  value: React.ReactNode;
}

interface Props {
  title: string;
  health: Health;
  /** Overrides the badge text, e.g. the loader's state. */
  healthText?: string;
  rows: StageRow[];
  note?: React.ReactNode;
  children?: React.ReactNode;
  testId?: string;
}

/** One stage of the pipeline (or one figure of its state) with its health. */
export function StageCard({ title, health, healthText, rows, note, children, testId }: Props) {
  const s = useStyles2(getStyles);
  const badge = HEALTH_BADGE[health];
  return (
    <section className={s.card} aria-label={title} data-testid={testId}>
      <header className={s.header}>
        <h3 className={s.title}>{title}</h3>
        <Badge text={sentenceCase(healthText ?? badge.text)} color={badge.color} />
      </header>
      <dl className={s.rows}>
        {rows.map((r) => (
          <React.Fragment key={r.label}>
            <dt>{r.label}</dt>
            <dd>{r.value}</dd>
          </React.Fragment>
        ))}
      </dl>
      {note && <p className={s.note}>{note}</p>}
      {children}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  card: css({
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(2),
    minWidth: 0,
  }),
  header: css({ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: theme.spacing(1), marginBottom: theme.spacing(1) }),
  title: css({ margin: 0, fontSize: theme.typography.h5.fontSize }),
  rows: css({
    display: 'grid',
    gridTemplateColumns: 'auto 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    dt: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular },
    dd: { margin: 0, textAlign: 'right', fontVariantNumeric: 'tabular-nums', overflow: 'hidden', textOverflow: 'ellipsis' },
  }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize, margin: `${theme.spacing(1)} 0 0` }),
});
