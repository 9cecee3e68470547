import { describe, expect, it } from 'vitest';
import { ApiError, networkError, problemFromBody, problemFromResponse } from './problem';

describe('problem+json parsing', () => {
  it('reads type, title, status, detail, code and field errors', async () => {
    const response = new Response(
      JSON.stringify({
        type: 'https://yidan.example/problems/validation',
        title: 'Validation failed',
        status: 422,
        detail: 'The request has 2 invalid fields',
        code: 'validation_error',
        instance: '/api/v1/waybills',
        errors: [
          { field: 'cargo_lines.0.hs_code', message: 'HS code must have 6 to 10 digits' },
          { field: 'consignee.name', message: 'Required' },
        ],
      }),
      { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
    );

    const error = await problemFromResponse(response);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_error');
    expect(error.title).toBe('Validation failed');
    expect(error.detail).toBe('The request has 2 invalid fields');
    expect(error.message).toBe('The request has 2 invalid fields');
    expect(error.type).toBe('https://yidan.example/problems/validation');
    expect(error.instance).toBe('/api/v1/waybills');
    expect(error.errors).toEqual([
      { field: 'cargo_lines.0.hs_code', message: 'HS code must have 6 to 10 digits' },
      { field: 'consignee.name', message: 'Required' },
    ]);
    expect(error.fieldMessage('consignee.name')).toBe('Required');
  });

  it('falls back to the HTTP status for a body that is not JSON', async () => {
    const error = await problemFromResponse(
      new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'Content-Type': 'text/html' } }),
    );
    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
    expect(error.title).toBe('Bad Gateway');
    expect(error.detail).toBe('');
    expect(error.errors).toEqual([]);
  });

  it('falls back for an empty body', async () => {
    const error = await problemFromResponse(new Response(null, { status: 404 }));
    expect(error.code).toBe('http_404');
    expect(error.message).toBe(error.title);
  });

  it('uses the title as message when there is no detail, and drops malformed field errors', () => {
    const error = problemFromBody(
      { title: 'Forbidden', code: 'forbidden', errors: [{ field: 'x' }, 'nonsense', { field: 'y', message: 'bad' }] },
      403,
    );
    expect(error.message).toBe('Forbidden');
    expect(error.detail).toBe('');
    expect(error.errors).toEqual([{ field: 'y', message: 'bad' }]);
  });

  it('reads framework-style validation details as field errors', () => {
    const error = problemFromBody({ detail: [{ loc: ['body', 'username'], msg: 'Field required', type: 'missing' }] }, 422);
    expect(error.code).toBe('http_422');
    expect(error.detail).toBe('');
    expect(error.errors).toEqual([{ field: 'body.username', message: 'Field required' }]);
  });

  it('describes a request that got no answer', () => {
    const error = networkError(new TypeError('Failed to fetch'));
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.detail).toBe('Failed to fetch');
  });
});
