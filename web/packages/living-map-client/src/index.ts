export * from './types.js';
export { applyEvent, applyEvents, canonicalId, entityTypeOfSubject, snapshotPosition } from './apply.js';
export { LivingMapClient } from './client.js';
export type { LivingMapClientOptions, LivingMapState, WebSocketLike, WebSocketFactory } from './client.js';
