// The canary split lives in the platform, so the monolith's internal seams split new work by the
// same buckets as the facade splits requests.
export {
  BUCKETS,
  bucketOf,
  type CanaryInput,
  type Side,
  sideFor,
  stickyKeyOf,
} from '../../src/platform/routing/canary.ts';
