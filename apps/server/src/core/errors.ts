import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@switchboard/contract';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { isRetryableConflict, RetryTransaction } from './db';

export type ErrorDetails = Record<string, unknown>;

/**
 * An error the contract describes: a code, a message safe to show, and details naming the
 * offenders. It is a TRPCError, so tRPC answers with the right status without translation.
 */
export class AppError extends TRPCError {
  readonly details: ErrorDetails;
  readonly headers: Record<string, string>;
  constructor(
    code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR' | 'METHOD_NOT_ALLOWED'>,
    message: string,
    details: ErrorDetails = {},
    headers: Record<string, string> = {},
  ) {
    super({ code, message });
    this.details = details;
    this.headers = headers;
  }
}

export const notFound = (what: string, id: string) => new AppError('NOT_FOUND', `${what} ${id} not found`);

/** A `version` that is not the current one: 409, with the current version to reload. */
export const staleVersion = (what: string, id: string, currentVersion: number, sent: number) =>
  new AppError(
    'CONFLICT',
    `${what} ${id} is at version ${currentVersion}, not ${sent}; reload it and retry`,
    { currentVersion },
  );

/** 409 (`staleVersion`) when the client sent a `version` and it is not the current one. */
export function checkVersion(
  what: string,
  current: { id: string; version: number },
  sent: number | undefined,
) {
  if (sent !== undefined && sent !== current.version)
    throw staleVersion(what, current.id, current.version, sent);
}

export interface DescribedError {
  status: number;
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
  headers: Record<string, string>;
  /** True for a server fault that the log must explain (the response says nothing of it). */
  unexpected: boolean;
  /**
   * True when the same request may succeed if sent again: a 5xx, a 429, or a 409 because the write
   * raced another (an idempotency key is released for these, never kept).
   */
  retryable: boolean;
}

/** Failures that mean the database did not answer: the client may retry (503). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57014', // statement timeout
  '57P01', // admin shutdown
  '57P02',
  '57P03', // cannot connect now
  '53300', // too many connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current && chain.length < 10) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function zodIssues(error: ZodError) {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...at, key], message: `Unknown field "${key}"` }));
    }
    return [{ path: at, message: issue.message }];
  });
}

/** The one translation from anything thrown to the contract's error (used by tRPC and REST alike). */
export function describeError(error: unknown): DescribedError {
  const described = classify(error);
  return {
    ...described,
    retryable: described.retryable ?? (described.status >= 500 || described.status === 429),
  };
}

function classify(error: unknown): Omit<DescribedError, 'retryable'> & { retryable?: true } {
  const chain = causes(error);
  const app = chain.find((item) => item instanceof AppError);
  if (app) {
    return {
      status: ERROR_STATUS[app.code as ErrorCode],
      code: app.code as ErrorCode,
      message: app.message,
      details: app.details,
      headers: app.headers,
      unexpected: false,
    };
  }
  const zod = chain.find((item) => item instanceof ZodError);
  if (zod) {
    const issues = zodIssues(zod);
    const summary = issues
      .slice(0, 5)
      .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ');
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: `Invalid input: ${summary}`,
      details: { issues },
      headers: {},
      unexpected: false,
    };
  }
  // A write that kept meeting simultaneous writes of the same rows (see writeTransaction).
  if (chain.some((item) => item instanceof RetryTransaction || isRetryableConflict(item))) {
    return {
      status: 409,
      code: 'CONFLICT',
      message: 'The resource was changed by another request at the same moment; retry',
      details: {},
      headers: {},
      unexpected: false,
      retryable: true,
    };
  }
  if (chain.some((item) => UNAVAILABLE_CODES.has(String((item as { code?: unknown }).code)))) {
    return {
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database did not answer in time; retry later',
      details: {},
      headers: { 'retry-after': '1' },
      unexpected: false,
    };
  }
  // SQLSTATE class 22 (data exception) is always a value the client sent that the database
  // cannot hold; the schemas should have refused it first, this is the safety net.
  const state = chain
    .map((item) => (item as { code?: unknown }).code)
    .find((code) => /^22[0-9A-Z]{3}$/.test(String(code)));
  if (state) {
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: 'Invalid input: a value cannot be stored',
      details: {},
      headers: {},
      unexpected: false,
    };
  }
  if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') {
    const code: ErrorCode = error.code in ERROR_STATUS ? (error.code as ErrorCode) : 'BAD_REQUEST';
    return {
      status: ERROR_STATUS[code],
      code,
      message: error.message,
      details: {},
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Internal server error',
    details: {},
    headers: {},
    unexpected: true,
  };
}

export function errorBody(described: Pick<DescribedError, 'code' | 'message' | 'details'>): ErrorBody {
  return { error: { code: described.code, message: described.message, details: described.details } };
}
