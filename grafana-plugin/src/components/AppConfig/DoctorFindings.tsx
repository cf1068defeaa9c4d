// The reconciler's GET /doctor on the Configuration page: the target's settings that decide
// speed and safety (what `pipewarden doctor` prints), grouped by target, each with its meaning.
import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, useStyles2 } from '@grafana/ui';

import type { DoctorReport } from '../../api/types';
import { DOCTOR_TARGETS, VERDICT_LABELS } from '../../utils/format';

export function DoctorFindings({ report }: { report: DoctorReport }) {
  const s = useStyles2(getStyles);
  const count = (v: string) => report.findings.filter((f) => f.verdict === v).length;
  const title =
    report.verdict === 'fail'
      ? `${count('fail')} setting(s) break a guarantee`
      : report.verdict === 'warn'
        ? `No broken guarantee; ${count('warn')} setting(s) cost speed or safety`
        : 'Every setting is as pipewarden needs it';
  const targets = [...new Set(report.findings.map((f) => f.target))];
  return (
    <div data-testid="doctor-findings">
      <Alert title={title} severity={report.verdict === 'fail' ? 'error' : report.verdict === 'warn' ? 'warning' : 'success'} />
      {targets.map((t) => (
        <section key={t} className={s.section}>
          <h4>{DOCTOR_TARGETS[t]}</h4>
          <ul className={s.list}>
            {report.findings
              .filter((f) => f.target === t)
              .map((f) => (
                <li key={`${f.target}-${f.check}`} className={s.item} data-testid="doctor-finding" data-verdict={f.verdict}>
                  <Badge text={VERDICT_LABELS[f.verdict].text} color={VERDICT_LABELS[f.verdict].color} />{' '}
                  <strong>{f.check}</strong>: {f.value}
                  <div className={s.meaning}>{f.meaning}</div>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginTop: theme.spacing(2) }),
  list: css({ listStyle: 'none', padding: 0 }),
  item: css({ marginBottom: theme.spacing(1) }),
  meaning: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(1) }),
});
