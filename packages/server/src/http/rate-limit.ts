import type { BlockList } from 'node:net';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import type { Config, RateLimitRule } from '../config.ts';
import { errors } from '../errors/codes.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { proxyList } from '../tools/client-ip.ts';
import { type Clock, SYSTEM_CLOCK } from '../tools/clock.ts';
import { createFixedWindows } from '../tools/fixed-window.ts';
import { findRateLimitRule } from '../tools/rate-limit-rules.ts';
import { viewerOf } from './viewer.ts';

const GUEST = ['', '@guest'];
const AUTH = ['', '@auth'];
const COLLECTION_ROUTE = '/api/collections/:c/';

/**
 * The actions PocketBase tags its collection routes with (apis/record_crud.go,
 * apis/record_auth.go, apis/file.go), for `collection:action` and `*:action` rules.
 */
const ACTIONS: Record<string, string[]> = {
  'GET records': ['list'],
  'GET records/:id': ['view'],
  'POST records': ['create'],
  'PATCH records/:id': ['update'],
  'DELETE records/:id': ['delete'],
  'GET auth-methods': ['listAuthMethods'],
  'POST auth-refresh': ['authRefresh'],
  'POST auth-with-password': ['authWithPassword', 'auth'],
  'POST auth-with-oauth2': ['authWithOAuth2', 'auth'],
  'POST request-otp': ['requestOTP'],
  'POST auth-with-otp': ['authWithOTP', 'auth'],
  'POST request-password-reset': ['requestPasswordReset'],
  'POST confirm-password-reset': ['confirmPasswordReset'],
  'POST request-verification': ['requestVerification'],
  'POST confirm-verification': ['confirmVerification'],
  'POST request-email-change': ['requestEmailChange'],
  'POST confirm-email-change': ['confirmEmailChange'],
};

/** A BlockList of a settings IP list, rebuilt only when the list (its array) is replaced. */
function ipMatcher(list: () => string[]): (ip: string) => boolean {
  let source: string[] | undefined;
  let blocks: BlockList | undefined;
  return (ip) => {
    const current = list();
    if (current !== source) {
      source = current;
      blocks = current.length ? proxyList(current) : undefined;
    }
    const family = isIP(ip);
    return Boolean(blocks && family && blocks.check(ip, family === 6 ? 'ipv6' : 'ipv4'));
  };
}

/**
 * PocketBase's superuserIPs whitelist and rate limiter (apis/middlewares.go,
 * apis/middlewares_rate_limit.go), on every request before its route runs:
 *
 * - a superuser request from an IP outside a non-empty `superuserIps` list is a 403;
 * - unless rate limits are off, the client IP is excluded or the request is a superuser's,
 *   the request is counted against the most specific rule for `METHOD /path` and `/path`
 *   (one window per rule and client IP), and a collection route also against the rule for
 *   its `collection:action` / `*:action` labels (one window per collection, route and IP).
 *   Over the limit is PocketBase's 429 with a `Retry-After`.
 *
 * Counters live in this process (limits are per node) and reset when the rules change.
 */
export function registerRateLimits(
  app: FastifyInstance,
  deps: { config: Config; auth: AuthService; collections: CollectionService; clock?: Clock | undefined },
): void {
  const { config, auth, collections } = deps;
  const windows = createFixedWindows({ clock: deps.clock ?? SYSTEM_CLOCK });
  const superuserIp = ipMatcher(() => config.superuserIps);
  const excluded = ipMatcher(() => config.rateLimitsExcludedIps);
  let rules: RateLimitRule[] = config.rateLimitsRules;

  function count(reply: FastifyReply, bucket: string, rule: RateLimitRule, ip: string): void {
    const hit = windows.hit(`${bucket}\u0000${ip}`, rule.maxRequests, rule.duration);
    if (hit.allowed) return;
    reply.header('retry-after', String(hit.retryAfter));
    throw errors.tooManyRequests();
  }

  function limit(req: FastifyRequest, reply: FastifyReply, viewer: Viewer): void {
    if (config.rateLimitsRules !== rules) {
      // PocketBase drops its limiters on a settings reload
      rules = config.rateLimitsRules;
      windows.clear();
    }
    const ip = req.clientIp;
    if (!ip || excluded(ip)) return;
    const audience = viewer.authId ? AUTH : GUEST;
    const path = req.url.split('?', 1)[0] ?? req.url;
    const labels = [`${req.method} ${path}`, path];
    const rule = findRateLimitRule(rules, labels, audience);
    if (rule) count(reply, rule.label + rule.audience, rule, ip);

    const route = req.routeOptions.url ?? '';
    const actions = route.startsWith(COLLECTION_ROUTE)
      ? ACTIONS[`${req.method} ${route.slice(COLLECTION_ROUTE.length)}`]
      : route === '/api/files/:collection/:recordId/:filename'
        ? ['file']
        : undefined;
    if (!actions) return;
    const params = req.params as Record<string, string | undefined>;
    const collection = collections.find(params.c ?? params.collection ?? '');
    if (!collection) return;
    const own = findRateLimitRule(
      rules,
      [...actions.map((a) => `${collection.name}:${a}`), ...actions.map((a) => `*:${a}`), ...labels],
      audience,
    );
    if (own) count(reply, `${collection.id}${route}${actions.join('')}${own.audience}`, own, ip);
  }

  app.addHook('onRequest', async (req, reply) => {
    const whitelist = config.superuserIps.length > 0;
    if (!whitelist && !config.rateLimitsEnabled) return;
    // an unusable token is a guest here; the route answers for it as it always does
    const viewer: Viewer = req.headers.authorization
      ? await viewerOf(req, auth).catch(() => ({ superuser: false }))
      : { superuser: false };
    if (viewer.superuser) {
      if (whitelist && !superuserIp(req.clientIp)) throw errors.forbidden();
      return;
    }
    if (config.rateLimitsEnabled) limit(req, reply, viewer);
  });
}
