import { formatCpf, hasValidCheckDigits, maskCpf, parseCpf, withCheckDigits } from '../../src/domain/cpf';

describe('CPF', () => {
  test.each(['123.456.789-09', '12345678909', '015.345.625-67', '01534562567'])('accepts %s', (s) => {
    expect(parseCpf(s)).toEqual({ ok: true, cpf: s.replace(/\D/g, '') });
  });

  test.each([
    ['123.456.789-00', 'CHECK_DIGITS'],
    ['12345678900', 'CHECK_DIGITS'],
    ['111.111.111-11', 'CHECK_DIGITS'],
    ['00000000000', 'CHECK_DIGITS'],
    ['1234567890', 'FORMAT'],
    ['123456789012', 'FORMAT'],
    ['123.456.78909', 'FORMAT'],
    ['123 456 789 09', 'FORMAT'],
    [' 12345678909', 'FORMAT'],
    ['１２３４５６７８９０９', 'FORMAT'],
    ['12345678909\u0000', 'FORMAT'],
    ['', 'FORMAT'],
  ])('rejects %j (%s)', (s, problem) => {
    expect(parseCpf(s)).toEqual({ ok: false, problem });
  });

  test('check digits: every mod-11 remainder case round-trips', () => {
    for (let i = 0; i < 2000; i++) {
      const base = String(100_000_000 + i * 7919).padStart(9, '0').slice(0, 9);
      const cpf = withCheckDigits(base);
      expect(hasValidCheckDigits(cpf) || /^(\d)\1{10}$/.test(cpf)).toBe(true);
      const wrong = cpf.slice(0, 10) + String((Number(cpf[10]) + 1) % 10);
      expect(hasValidCheckDigits(wrong)).toBe(false);
    }
  });

  test('format and mask', () => {
    expect(formatCpf('12345678909')).toBe('123.456.789-09');
    expect(maskCpf('12345678909')).toBe('***.***.789-09');
    expect(maskCpf('123.456.789-09')).toBe('***.***.789-09');
    expect(maskCpf('garbage')).toBe('***.***.***-**');
  });
});
