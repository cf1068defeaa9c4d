import React, { ChangeEvent, FormEvent, useState } from 'react';
import { css } from '@emotion/css';
import { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';

import { ApiProblem, describeProblem, toApiProblem } from '../../api/problem';
import { getDoctor, getStatus } from '../../api/reconciler';
import { saveSettings } from '../../api/settings';
import type { AppSettings, DoctorReport, ReconcilerStatus } from '../../api/types';
import { plural } from '../../utils/format';
import { CodeText } from '../CodeText';
import { DoctorFindings } from './DoctorFindings';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {
  /** After a save; Grafana only hands the new settings to the app after a reload. */
  onSaved?: () => void;
}

const URL_RE = /^https?:\/\/[^\s/]+(\/\S*)?$/;

function urlError(value: string, required: boolean): string | undefined {
  if (!value) {
    return required ? 'Required: where Grafana’s server reaches `pipewarden reconciler serve`, e.g. http://127.0.0.1:9843' : undefined;
  }
  return URL_RE.test(value) ? undefined : 'Expected an http:// or https:// URL, e.g. http://127.0.0.1:9843';
}

type TestState = { kind: 'idle' } | { kind: 'testing' } | { kind: 'ok'; status: ReconcilerStatus } | { kind: 'failed'; problem: ApiProblem };
type DoctorState = { kind: 'idle' } | { kind: 'checking' } | { kind: 'done'; report: DoctorReport } | { kind: 'failed'; problem: ApiProblem };

/** Admin-only configuration: reconciler URL, optional loader URL, and the token (secureJsonData). */
export default function AppConfig({ plugin, onSaved = () => window.location.reload() }: AppConfigProps) {
  const s = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [reconcilerUrl, setReconcilerUrl] = useState(jsonData?.reconcilerUrl ?? '');
  const [loaderUrl, setLoaderUrl] = useState(jsonData?.loaderUrl ?? '');
  const [token, setToken] = useState('');
  const [tokenConfigured, setTokenConfigured] = useState(Boolean(secureJsonFields?.token));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const [test, setTest] = useState<TestState>({ kind: 'idle' });
  const [doctor, setDoctor] = useState<DoctorState>({ kind: 'idle' });

  const reconcilerUrlError = urlError(reconcilerUrl, true);
  const loaderUrlError = urlError(loaderUrl, false);
  const tokenMissing = !tokenConfigured && token === '';
  const canSave = !reconcilerUrlError && !loaderUrlError && !tokenMissing && !saving;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSave) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await saveSettings({
        enabled: true,
        pinned: pinned ?? true,
        jsonData: { reconcilerUrl: reconcilerUrl.replace(/\/+$/, ''), loaderUrl: loaderUrl.replace(/\/+$/, '') || undefined },
        // Omitted when untouched, so saving the URLs keeps the stored token.
        secureJsonData: tokenConfigured ? undefined : { token },
      });
      onSaved();
    } catch (err) {
      const p = toApiProblem(err);
      setSaveError(p.kind === 'forbidden' ? 'Only Grafana admins can change the app settings.' : `Grafana did not save the settings: ${p.message}`);
    } finally {
      setSaving(false);
    }
  };

  const onDoctor = async () => {
    setDoctor({ kind: 'checking' });
    try {
      setDoctor({ kind: 'done', report: await getDoctor() });
    } catch (err) {
      setDoctor({ kind: 'failed', problem: toApiProblem(err) });
    }
  };

  const onTest = async () => {
    setTest({ kind: 'testing' });
    try {
      setTest({ kind: 'ok', status: await getStatus() });
    } catch (err) {
      setTest({ kind: 'failed', problem: toApiProblem(err) });
    }
  };

  return (
    <form onSubmit={onSubmit} className={s.form} data-testid="app-config">
      {!enabled && <Alert title="The app is not enabled yet" severity="info">Saving these settings enables it.</Alert>}
      <FieldSet label="Reconciler">
        <Field
          label="Reconciler URL"
          description={<CodeText text="Base URL of `pipewarden reconciler serve` as Grafana's server reaches it (PIPEWARDEN_RECONCILER_URL). Requests go through Grafana's plugin proxy." />}
          invalid={Boolean(reconcilerUrl) && Boolean(reconcilerUrlError)}
          error={reconcilerUrlError && <CodeText text={reconcilerUrlError} />}
          required
        >
          <Input
            id="config-reconciler-url"
            width={60}
            value={reconcilerUrl}
            placeholder="http://127.0.0.1:9843"
            onChange={(e: ChangeEvent<HTMLInputElement>) => setReconcilerUrl(e.currentTarget.value.trim())}
          />
        </Field>
        <Field
          label="Token"
          description="The services' bearer token (PIPEWARDEN_TOKEN). Stored encrypted by Grafana and added to proxied requests on the server; the browser never sees it again."
          invalid={tokenMissing && reconcilerUrl !== ''}
          error={tokenMissing ? 'Required: the reconciler refuses requests without it.' : undefined}
        >
          <SecretInput
            id="config-token"
            width={60}
            value={token}
            isConfigured={tokenConfigured}
            placeholder="PIPEWARDEN_TOKEN of the reconciler"
            onChange={(e: ChangeEvent<HTMLInputElement>) => setToken(e.currentTarget.value.trim())}
            onReset={() => {
              setToken('');
              setTokenConfigured(false);
            }}
          />
        </Field>
        <Field
          label="Loader URL (optional)"
          description={<CodeText text="Base URL of `pipewarden loader serve` (PIPEWARDEN_LOADER_URL). With it the overview shows throughput and row counts." />}
          invalid={Boolean(loaderUrlError)}
          error={loaderUrlError}
        >
          <Input
            id="config-loader-url"
            width={60}
            value={loaderUrl}
            placeholder="http://127.0.0.1:9842"
            onChange={(e: ChangeEvent<HTMLInputElement>) => setLoaderUrl(e.currentTarget.value.trim())}
          />
        </Field>
      </FieldSet>
      <div className={s.buttons}>
        <Button type="submit" disabled={!canSave} icon={saving ? 'spinner' : undefined}>
          Save settings
        </Button>
        <Button type="button" variant="secondary" onClick={onTest} disabled={!jsonData?.reconcilerUrl || test.kind === 'testing'} tooltip="Tests the saved settings through Grafana's proxy">
          Test connection
        </Button>
        <Button type="button" variant="secondary" onClick={onDoctor} disabled={!jsonData?.reconcilerUrl || doctor.kind === 'checking'} icon={doctor.kind === 'checking' ? 'spinner' : undefined} tooltip="What pipewarden doctor checks, run by the reconciler on its MySQL, Redis, WAL disk and source">
          Check the target
        </Button>
      </div>
      {saveError && <Alert title={saveError} severity="error" />}
      {test.kind === 'ok' && (
        <Alert title="Connected to the reconciler" severity="success">
          MySQL {test.status.mysql.up ? 'up' : 'down'}, Redis {test.status.redis.up ? 'up' : 'down'}, loader {test.status.loader.state}, {plural(test.status.wal.batchesInDoubt, 'batch', 'batches')} in doubt.
        </Alert>
      )}
      {test.kind === 'failed' && (
        <Alert title={describeProblem(test.problem, jsonData?.reconcilerUrl).title} severity="error">
          {describeProblem(test.problem, jsonData?.reconcilerUrl).advice}
        </Alert>
      )}
      {doctor.kind === 'done' && <DoctorFindings report={doctor.report} />}
      {doctor.kind === 'failed' && (
        <Alert title={describeProblem(doctor.problem, jsonData?.reconcilerUrl).title} severity="error">
          {describeProblem(doctor.problem, jsonData?.reconcilerUrl).advice}
        </Alert>
      )}
    </form>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  form: css({ maxWidth: 800 }),
  buttons: css({ display: 'flex', gap: theme.spacing(1), marginBottom: theme.spacing(2) }),
});
