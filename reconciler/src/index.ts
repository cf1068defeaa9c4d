export * from './reconcile';
export * from './service';
export * from './jobs';
export * from './watchdog';
export * from './alertmanager';
export * from './lock';
