/** The stable codes of the API's errors (`{"error": {"code", "message"}}`). */
export type ApiErrorCode = 'unauthorized' | 'forbidden' | 'not_found' | 'bad_request' | 'conflict' | 'unavailable' | 'internal';

/** An answer other than success, with its HTTP status; the message is for the caller and holds no secret. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const errorBody = (code: ApiErrorCode, message: string) => ({ error: { code, message } });
