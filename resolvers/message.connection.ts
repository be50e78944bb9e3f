import { Message } from './message.type';
import { connectionTypes } from './pagination';

const types = connectionTypes(Message, 'Message', 'direct message');
export const MessageConnection = types.Connection;
export type MessageConnection = InstanceType<typeof types.Connection>;
