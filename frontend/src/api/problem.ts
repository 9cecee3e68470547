/** A per-field message from a validation problem. */
export interface FieldError {
  field: string;
  message: string;
  /** The stable name of the rule the field broke, when the API gives one (e.g. `url_not_https`). */
  code?: string;
}

export interface ApiErrorInit {
  status: number;
  code: string;
  title: string;
  detail: string;
  type?: string;
  errors?: FieldError[];
  instance?: string;
}

/**
 * An RFC 9457 problem answered by the API (or made up for a failure that never reached it),
 * carrying the stable `code` the UI branches on and the `detail` it shows.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly errors: FieldError[];
  readonly instance: string | undefined;

  constructor(init: ApiErrorInit) {
    super(init.detail || init.title);
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.errors = init.errors ?? [];
    this.instance = init.instance;
  }

  /** The message for a field, as the API named it (e.g. `username`, `body.cargo_lines.0.hs_code`). */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((error) => error.field === field)?.message;
  }
}

/** True for an ApiError, whatever realm it was made in. */
export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

function fieldErrorsFrom(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  const errors: FieldError[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    // The contract's {field, message}; {loc, msg} is accepted too so a framework default still reads well.
    const field =
      asString(record.field) ??
      (Array.isArray(record.loc) ? record.loc.map(String).join('.') : undefined);
    const message = asString(record.message) ?? asString(record.msg);
    const code = asString(record.code);
    if (field !== undefined && message !== undefined) errors.push(code !== undefined ? { field, message, code } : { field, message });
  }
  return errors;
}

/** Builds the ApiError for a parsed problem document (or any JSON error body). */
export function problemFromBody(body: unknown, status: number, statusText = ''): ApiError {
  const fallbackTitle = statusText || `HTTP ${status}`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return new ApiError({ status, code: `http_${status}`, title: fallbackTitle, detail: '' });
  }
  const record = body as Record<string, unknown>;
  const errors = [...fieldErrorsFrom(record.errors), ...fieldErrorsFrom(record.detail)];
  const instance = asString(record.instance);
  return new ApiError({
    status: typeof record.status === 'number' ? record.status : status,
    code: asString(record.code) ?? `http_${status}`,
    title: asString(record.title) ?? fallbackTitle,
    detail: asString(record.detail) ?? '',
    type: asString(record.type) ?? 'about:blank',
    errors,
    ...(instance !== undefined ? { instance } : {}),
  });
}

/** Reads a failed response into an ApiError; a body that is not JSON leaves only the status. */
export async function problemFromResponse(response: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The body could not be read: the status line still says what happened.
  }
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  return problemFromBody(body, response.status, response.statusText);
}

/** The ApiError for a request that never got an answer. */
export function networkError(cause: unknown): ApiError {
  const error = new ApiError({
    status: 0,
    code: 'network_error',
    title: 'Network error',
    detail: cause instanceof Error ? cause.message : String(cause),
  });
  return error;
}
