/** The protocol module: one import for every side (host, app, server, bots). */
export * from './messages';
export * from './codec';
export * from './relay';
export { ByteReader, ByteWriter, BinaryError } from './bytes';
