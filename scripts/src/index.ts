export * from './process';
export * from './stack';
export * from './services/mariadb';
export * from './services/redis';
export * from './services/s3';
export * from './services/prometheus';
export * from './docs';
export * from './server-sizing';
