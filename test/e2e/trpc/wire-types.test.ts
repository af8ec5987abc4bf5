import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PROCEDURE_TYPES, type Procedures, type ProcedurePath } from '../../../client/src/wire.js';
import { appRouter, type AppRouter } from '../../../server/surfaces/trpc/index.js';

/**
 * `@tock/client` hand-writes its wire types so its dist/ stands alone; this file is what keeps
 * them from drifting from the server's router. The type assertions are checked by
 * `tsc --noEmit -p .`; the runtime test compares the procedure tables.
 */

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
type RouterPath = { [NS in keyof Inputs & string]: `${NS}.${keyof Inputs[NS] & string}` }[keyof Inputs & string];
type At<T, P extends string> = P extends `${infer NS}.${infer N}` ? (NS extends keyof T ? (N extends keyof T[NS] ? T[NS][N] : never) : never) : never;

/** Exact type equality (the same test vitest's toEqualTypeOf uses). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** tRPC types an optional input as `T | void | undefined`. */
type ObjectPart<T> = Exclude<T, undefined | void>;

/**
 * An input matches when everything the client can send is accepted by the server's types, the
 * field sets are the same, and the same fields are required. The client may narrow a field's
 * type (e.g. `method: HttpMethod` where the server takes any string and checks it).
 */
type InputMatches<C, S> = [C] extends [S]
  ? Equal<keyof ObjectPart<C>, keyof ObjectPart<S>> extends true
    ? Equal<RequiredKeys<ObjectPart<C>>, RequiredKeys<ObjectPart<S>>> extends true
      ? Equal<undefined extends C ? true : false, undefined extends S ? true : false>
      : false
    : false
  : false;

/** tRPC types the result of a `void` resolver (the deletes) as `never`; on the wire it is absent, i.e. `void`. */
type VoidResult<T> = [T] extends [never] ? void : T;

type OutputMismatches = {
  [P in ProcedurePath]: Equal<Procedures[P]['output'], VoidResult<At<Outputs, P>>> extends true ? never : P;
}[ProcedurePath];
type InputMismatches = { [P in ProcedurePath]: InputMatches<Procedures[P]['input'], At<Inputs, P>> extends true ? never : P }[ProcedurePath];

describe('the client wire types', () => {
  it('list exactly the procedures of the router', () => {
    expectTypeOf<Exclude<RouterPath, ProcedurePath>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<ProcedurePath, RouterPath>>().toEqualTypeOf<never>();
  });

  it('expect exactly the outputs the router produces', () => {
    expectTypeOf<OutputMismatches>().toEqualTypeOf<never>();
  });

  it('send inputs the router accepts, with the same fields', () => {
    expectTypeOf<InputMismatches>().toEqualTypeOf<never>();
    // The `patch` of updates is nested one level down: compare it field by field too.
    expectTypeOf<InputMatches<Procedures['schedules.update']['input']['patch'], Inputs['schedules']['update']['patch']>>().toEqualTypeOf<true>();
    expectTypeOf<InputMatches<Procedures['monitors.update']['input']['patch'], Inputs['monitors']['update']['patch']>>().toEqualTypeOf<true>();
    expectTypeOf<InputMatches<Procedures['projects.update']['input']['patch'], Inputs['projects']['update']['patch']>>().toEqualTypeOf<true>();
    // So is a sync document, and each kind of entry in it.
    type ClientDoc = Procedures['sync.plan']['input']['desired'];
    type ServerDoc = Inputs['sync']['plan']['desired'];
    type Entry<D, K extends 'schedules' | 'monitors' | 'jobs'> = NonNullable<D[K & keyof D]> extends Array<infer E> ? E : never;
    expectTypeOf<InputMatches<ClientDoc, ServerDoc>>().toEqualTypeOf<true>();
    expectTypeOf<InputMatches<Entry<ClientDoc, 'schedules'>, Entry<ServerDoc, 'schedules'>>>().toEqualTypeOf<true>();
    expectTypeOf<InputMatches<Entry<ClientDoc, 'monitors'>, Entry<ServerDoc, 'monitors'>>>().toEqualTypeOf<true>();
    expectTypeOf<InputMatches<Entry<ClientDoc, 'jobs'>, Entry<ServerDoc, 'jobs'>>>().toEqualTypeOf<true>();
    expectTypeOf<Procedures['sync.run']['input']>().toEqualTypeOf<Procedures['sync.plan']['input']>();
  });

  it('call each procedure as the query or mutation the router declares', () => {
    const routerTypes = Object.fromEntries(
      Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(([path, proc]) => [path, proc._def.type]),
    );
    expect(PROCEDURE_TYPES).toEqual(routerTypes);
  });
});
