export * from './dir-store';
export * from './open';
export * from './s3-store';
export * from './store';
