import type { Trip } from '../../analysis/tripwire.js';
import { SlipwayError } from '../../core/errors.js';
import type { CanaryTripReport } from '../protocol.js';
import type { RouteRecord, SplitState } from './route-records.js';
import type { RouteStore } from './route-store.js';

/**
 * A route's canary split and its tripwire (src/router/canary-tripwire.ts): routed by the route table
 * (route-table.ts) once the split is saved; a trip ends the split in the router at once, and is kept as evidence
 * for `metrics` and refused traffic until the canary is started anew.
 */

/** Routes `split` (its canary already added to the router), with its tripwire armed when it has one. */
export function applySplit(store: RouteStore, route: RouteRecord, split: SplitState): void {
  const { tripwire, canary, ...rest } = split;
  route.router?.setSplit(
    { ...rest, canary: canary.id },
    tripwire ? { spec: tripwire, onTrip: (trip) => recordTrip(store, route, split, trip) } : null,
  );
  route.split = split;
}

/** The router's tripwire ended a canary's split: say so, and keep the evidence for `metrics`. */
function recordTrip(store: RouteStore, route: RouteRecord, split: SplitState, trip: Trip): void {
  if (route.split?.canary.id === split.canary.id) route.split = null;
  const report: CanaryTripReport = {
    canaryTargetId: split.canary.id,
    release: split.canary.release,
    atMs: store.clock.nowMs(),
    condition: trip.condition,
    detail: trip.detail,
    measurements: trip.measurements,
  };
  store.trips.set(split.canary.id, { app: route.app, report });
  store.saveLater();
  store.event(
    'canary.tripped',
    route.app,
    split.canary.id,
    split.canary.release,
    `canary ${split.canary.id} of ${route.app} gets 0% of users: ${trip.detail}`,
    { weight: 0, tripped: true, condition: trip.condition, measurements: trip.measurements },
  );
}

/** A canary that tripped gets no traffic again until it is started anew. */
export function refuseTripped(store: RouteStore, targetId: string): void {
  const trip = store.trips.get(targetId)?.report;
  if (trip === undefined) return;
  throw new SlipwayError(`canary ${targetId} tripped its tripwire and gets no traffic: ${trip.detail}`, {
    hint: 'the deployment fails and the canary is stopped; fix the release and deploy again',
  });
}
