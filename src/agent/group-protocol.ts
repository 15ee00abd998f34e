import type { TargetAddress } from '../router/router-target.js';
import type { GroupMemberStatus } from '../router/target-group.js';
import type { HealthCheckSpec } from './protocol.js';

/**
 * Several web instances per host (`run.instances`): what the agent's and the router process's protocols carry
 * for a route whose active side is a group of targets. Every field is optional: an older control plane switches
 * to one target, an older route file has no group, and an older agent answers without `group`.
 */

/** The agent's `switchRoute`: every target of the group, `targetId` first (absent: the target alone). */
export interface SwitchGroupParams {
  group?: string[];
}

/** What a switch answers besides `previous` (the active target before). */
export interface SwitchGroupResult {
  /** Every target of the side before, when it was a group: each of them drains. */
  previousGroup?: string[];
  /** The group switched to; absent when it was one target, and from agents older than groups. */
  group?: string[];
}

/** The router process's `switchRoute`, and what its route file keeps: the members and how they are checked. */
export interface RouteGroup {
  members: TargetAddress[];
  healthCheck: HealthCheckSpec;
}

/** A route's status: each instance of its active group (absent: one target). */
export interface RouteGroupStatus {
  group?: GroupMemberStatus[];
}
