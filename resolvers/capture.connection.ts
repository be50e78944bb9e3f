import { Capture } from './capture.type';
import { connectionTypes } from './pagination';

const types = connectionTypes(Capture, 'Capture', 'capture');
export const CaptureConnection = types.Connection;
export type CaptureConnection = InstanceType<typeof types.Connection>;
