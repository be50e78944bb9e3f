import { connectionTypes } from './pagination';
import { Transaction } from './transaction.type';

const types = connectionTypes(Transaction, 'Transaction', 'proof-of-life transaction');
export const TransactionEdge = types.Edge;
export const TransactionConnection = types.Connection;
export type TransactionConnection = InstanceType<typeof types.Connection>;
