export * from './game-client';
export * from './interpolation';
export * from './prediction';
export * from './movement';
