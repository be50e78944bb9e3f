import { StoreUnavailableError, isStoreUnavailable } from '../../src/store/errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStoreUnavailable: a lost or absent store, never a wrong query', () => {
  test.each([
    ['admin shutdown (pg_terminate_backend)', pgError('57P01', 'terminating connection due to administrator command')],
    ['cannot connect now (server starting)', pgError('57P03')],
    ['connection exception class 08', pgError('08006')],
    ['statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['refused', pgError('ECONNREFUSED')],
    ['node-postgres: connection terminated', new Error('Connection terminated unexpectedly')],
    ['node-postgres: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['node-postgres: query_timeout', new Error('Query read timeout')],
    ['wrapped by Drizzle (cause chain)', Object.assign(new Error('Failed query: select 1'), { cause: pgError('57P01') })],
    ['already classified', new StoreUnavailableError()],
  ])('%s → true', (_name, err) => {
    expect(isStoreUnavailable(err)).toBe(true);
  });

  test.each([
    ['syntax error', pgError('42601', 'syntax error at or near "selec"')],
    ['unique violation', pgError('23505')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'ECONNREFUSED'],
  ])('%s → false', (_name, err) => {
    expect(isStoreUnavailable(err)).toBe(false);
  });

  test('the client message names no host and no SQL', () => {
    expect(new StoreUnavailableError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')).message).toBe('The store is unavailable; try again shortly');
  });
});
