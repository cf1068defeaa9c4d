export * from './types';
export * from './formats';
export * from './load';
export * from './of-config';
export * from './infer';
