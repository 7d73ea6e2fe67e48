// Kubernetes Status errors. Every failure the server returns is one of these, with the
// reason and code a real kube-apiserver would use (k8s.io/apimachinery/pkg/api/errors).
import type { FieldError } from './types.ts';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** Answers clients get by the thousand in a run (a lost race, a read of something gone): no stack to capture. */
const ROUTINE = new Set([404, 409]);

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    const limit = Error.stackTraceLimit;
    if (ROUTINE.has(code)) Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }

  toStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** "pods" in core, "datauploads.velero.io" elsewhere: how messages name a resource. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound: (group: string, resource: string, name: string) =>
    new ApiError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  alreadyExists: (group: string, resource: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  conflict: (group: string, resource: string, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  staleUpdate: (group: string, resource: string, name: string) =>
    errors.conflict(
      group,
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    ),
  invalid: (group: string, kind: string, name: string, causes: FieldError[]) => {
    const parts = causes.map((c) => `${c.field}: ${c.message}`);
    const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    });
  },
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  forbidden: (group: string, resource: string, name: string, why: string) =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(group, resource)} "${name}" is forbidden: ${why}`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') =>
    new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got "${contentType}")`),
  tooLarge: (limit: number) => new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooManyRequests: (message = 'Too many requests, please try again later.') =>
    new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds: 1 }),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  serviceUnavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
};
