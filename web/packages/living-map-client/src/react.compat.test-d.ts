/**
 * Type test (run by `npm test` through Vitest's typecheck): the hook's result against the ORIGINAL
 * hook's documented types (DAARION Phase 9A notes: `snapshot: LivingMapSnapshot | null`,
 * `isLoading: boolean`, `error: string | null`, `connectionStatus: 'connecting' | 'open' |
 * 'closed' | 'error'`, `refetch: () => Promise<void>`), declared below as the original declares
 * them. Also type-checks e2e/compat/OriginalContractPage.tsx, a page written to those types.
 */
import { expectTypeOf, test } from 'vitest';
import { useLivingMapFull, type LivingMapSnapshot, type UseLivingMapFullResult } from '@daarion/living-map-client/react';
import '../../../e2e/compat/OriginalContractPage.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the original types its layers as `any` */
interface OriginalLivingMapSnapshot {
  generated_at: string;
  layers: { city: any; space: any; nodes: any; agents: any };
  meta: { source_services: string[]; generated_at: string; version: string };
}
interface OriginalUseLivingMapFullResult {
  snapshot: OriginalLivingMapSnapshot | null;
  isLoading: boolean;
  error: string | null;
  connectionStatus: 'connecting' | 'open' | 'closed' | 'error';
  refetch: () => Promise<void>;
}

type Result = ReturnType<typeof useLivingMapFull>;

test('the result is assignable to the original result type, with no options', () => {
  // what a page written to the original does: call with no arguments, keep the original's types
  const useAsTheOriginalPageDoes = (): OriginalUseLivingMapFullResult => {
    const { snapshot, isLoading, error, connectionStatus, refetch } = useLivingMapFull();
    return { snapshot, isLoading, error, connectionStatus, refetch };
  };
  expectTypeOf(useAsTheOriginalPageDoes).returns.toEqualTypeOf<OriginalUseLivingMapFullResult>();
  expectTypeOf(useLivingMapFull).toBeCallableWith();
  const whole = (): OriginalUseLivingMapFullResult => useLivingMapFull();
  expectTypeOf(whole).toBeFunction();
  expectTypeOf<Result>().toExtend<UseLivingMapFullResult>();
});

test('each field has exactly the original type', () => {
  expectTypeOf<Result['error']>().toEqualTypeOf<string | null>();
  expectTypeOf<Result['connectionStatus']>().toEqualTypeOf<'connecting' | 'open' | 'closed' | 'error'>();
  expectTypeOf<Result['isLoading']>().toEqualTypeOf<boolean>();
  expectTypeOf<Result['refetch']>().toEqualTypeOf<() => Promise<void>>();
  expectTypeOf<Result['snapshot']>().toEqualTypeOf<LivingMapSnapshot | null>();
  expectTypeOf<LivingMapSnapshot>().toExtend<OriginalLivingMapSnapshot>();
});

test("the snapshot's required fields are required", () => {
  expectTypeOf<LivingMapSnapshot['generated_at']>().toEqualTypeOf<string>();
  expectTypeOf<LivingMapSnapshot['meta']['source_services']>().toEqualTypeOf<string[]>();
  expectTypeOf<LivingMapSnapshot['meta']['generated_at']>().toEqualTypeOf<string>();
  expectTypeOf<LivingMapSnapshot['meta']['version']>().toEqualTypeOf<string>();
  expectTypeOf<LivingMapSnapshot['layers']['city']['items'][number]['members']>().toEqualTypeOf<number>();
});

test("the client's own statuses are not the hook's connectionStatus", () => {
  const check = (r: Result) => {
    // @ts-expect-error 'connected' is the client's streamStatus, not a value of the original's union
    return r.connectionStatus === 'connected';
  };
  expectTypeOf(check).toBeFunction();
  expectTypeOf<Result['streamStatus']>().toEqualTypeOf<'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'error'>();
  expectTypeOf<Result['lastError']>().toEqualTypeOf<Error | null>();
});
