import React from 'react';
import { PluginPage } from '@grafana/runtime';

import { ReconcilePanel } from '../components/Reconcile/ReconcilePanel';

export default function Reconcile() {
  return (
    <PluginPage subTitle="Repair the batches in doubt after a MySQL crash, then restart the loader">
      <ReconcilePanel />
    </PluginPage>
  );
}
