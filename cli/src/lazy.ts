// The CLI's heavy modules, loaded when a command runs instead of at start-up, so that
// `pipewarden --help` (or a typo) reads only commander and the command definitions.
// require() rather than import(): tsx's CommonJS hook (the clone's bin/pipewarden.cjs) runs
// it, and the bundle (cli/build.mjs) initializes a required module on its first use.
// Modules of the start-up path must import these packages as types only.
type Core = typeof import('@pipewarden/core');
type Loader = typeof import('@pipewarden/loader');
type Reconciler = typeof import('@pipewarden/reconciler');
type Exporter = typeof import('@pipewarden/exporter');
type Stack = typeof import('@pipewarden/stack');
type S3 = typeof import('@aws-sdk/client-s3');
type Progress = typeof import('cli-progress');
type Demo = typeof import('./demo');
type SpecTools = typeof import('./spec-tools');

export const core = (): Core => require('@pipewarden/core');
export const loader = (): Loader => require('@pipewarden/loader');
export const reconciler = (): Reconciler => require('@pipewarden/reconciler');
export const exporter = (): Exporter => require('@pipewarden/exporter');
export const stack = (): Stack => require('@pipewarden/stack');
export const s3 = (): S3 => require('@aws-sdk/client-s3');
export const progress = (): Progress => require('cli-progress');
export const demo = (): Demo => require('./demo');
export const specTools = (): SpecTools => require('./spec-tools');
