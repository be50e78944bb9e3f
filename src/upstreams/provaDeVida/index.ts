export { createProvaDeVidaClient, type ProvaDeVidaClientOptions } from './client';
export { parseCreatedId, parseUpstreamTime } from './wire';
export type * from './types';
