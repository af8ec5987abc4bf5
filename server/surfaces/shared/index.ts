/**
 * The kit every surface shares (gRPC, tRPC, and each REST dialect): what is the same on every
 * transport is written here once, and a surface adds only its own spelling of it.
 *
 * - identity.ts: headers -> presented API key (`Authorization: Bearer` wins over `X-API-Key`),
 *   requested project (`X-Tock-Project`), client address, user agent. A surface wraps its header
 *   object in a `HeaderSource` (`nodeHeaders(req.headers)` for node:http and Fastify; gRPC wraps
 *   its metadata) and calls `identityOf(headers, peerAddress)`.
 * - errors.ts: `errorDetails(err)` (code, category, message, field, retry-after) of a core error,
 *   and `HTTP_STATUS` (category -> HTTP status) for every HTTP surface. A surface keeps one table
 *   of its own only when its statuses are not HTTP's (gRPC status, tRPC code).
 * - views.ts: the public view of each resource (schedule, job, execution, monitor with its
 *   `pingUrl`, project, key), fields said once, Dates as Dates, absent as null. A codec renders
 *   a view: gRPC copies it by proto field name, tRPC turns Dates into ISO strings, a dialect
 *   renames the fields its document shows and renders times its way.
 * - updates.ts: a surface's update style as a core patch over the core's updatable fields
 *   (SCHEDULE_UPDATABLE, MONITOR_UPDATABLE, PROJECT_UPDATABLE: which fields change, and what a
 *   cleared one becomes): `patchOf` (set and clear lists; gRPC update masks), `mergeOf` (PATCH:
 *   null clears) and `replacementOf` (PUT: what the body leaves out is cleared).
 * - paging.ts: `pageRequest(size, cursor, limits)` -> the core's page request (Tock's default
 *   and maximum, or those a dialect's document states), `pageResponse(page, render)` -> items
 *   rendered, with the cursor of the next page for the surface to spell its way.
 *
 * What stays out: inputs. The core parses every input once (its zod schemas in core/*); a
 * surface renames a request's fields to the core's names and hands them over unparsed, and the
 * core's InvalidArgumentError names the field (snake_case) that is wrong.
 *
 * A new surface or REST dialect, in order:
 *   1. per request: `identityOf(headers, ip)`, then `core.authenticate(identity.apiKey)` and
 *      `core.actor(principal, identity.projectId)`;
 *   2. in: its fields renamed to the core input (defaults its document states live here), lists
 *      through `pageRequest` with its own limits, updates through `mergeOf` / `replacementOf`;
 *   3. out: a field map over the views (`scheduleView(s)`, `monitorView(m, core.monitors.pingUrl(m))`, ...);
 *   4. errors: one handler that answers `HTTP_STATUS[err.category]` (or its own table) with
 *      `errorDetails(err)` in its error shape, and logs anything that is not a TockError.
 */
export * from './errors.js';
export * from './identity.js';
export * from './paging.js';
export * from './updates.js';
export * from './views.js';
