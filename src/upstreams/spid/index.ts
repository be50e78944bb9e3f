export * from './types';
export { createSpidStationClient, type SpidStationClientOptions } from './client';
