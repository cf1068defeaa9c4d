import React from 'react';
import { Alert, LinkButton } from '@grafana/ui';
import { config } from '@grafana/runtime';

import { ApiProblem, describeProblem, toApiProblem } from '../api/problem';
import { CONFIG_PAGE_URL } from '../constants';
import { CodeText } from './CodeText';
import { useAppSettings } from '../data/settings';
import { canConfigure } from '../utils/permissions';

/** The error state of every page: what went wrong and what to do about it. */
export function ProblemAlert({ error, context }: { error: unknown; context?: string }) {
  const { reconcilerUrl } = useAppSettings();
  const problem = error instanceof ApiProblem ? error : toApiProblem(error);
  const { title, advice } = describeProblem(problem, reconcilerUrl);
  const needsConfig = problem.kind === 'not-configured' || problem.kind === 'unauthorized' || problem.kind === 'unreachable';
  return (
    <Alert
      title={context ? `${context}: ${title}` : title}
      severity={problem.kind === 'not-configured' ? 'info' : 'error'}
      data-testid="problem-alert"
    >
      <div>
        <CodeText text={advice} />
      </div>
      {needsConfig && canConfigure() && (
        <div style={{ marginTop: 8 }}>
          <LinkButton href={`${config.appSubUrl ?? ''}${CONFIG_PAGE_URL}`} icon="cog" variant="secondary" size="sm">
            Open the app configuration
          </LinkButton>
        </div>
      )}
    </Alert>
  );
}
