/** Every fuzz target, in the order a run takes them. */
import type { FuzzTarget } from '../target.js';
import { engineIoTarget } from './engine-io.js';
import { extensionsTarget } from './extensions.js';
import { frameTargets } from './frames.js';
import { requestHeadTarget } from './request-head.js';
import { socketIoTarget } from './socket-io.js';

export const TARGETS: readonly FuzzTarget[] = [
  ...frameTargets,
  requestHeadTarget,
  extensionsTarget,
  engineIoTarget,
  socketIoTarget,
];
