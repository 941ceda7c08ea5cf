export * from './dir-store';
export * from './model-registry';
export * from './open';
export * from './s3-store';
export * from './store';
