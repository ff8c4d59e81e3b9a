// The users events are a published contract (src/contracts/users/v1): the legacy module and
// users-service publish the same `user.registered` and `user.updated`, and `user.changed`
// keeps their two stores in step.
export { userChanged, userRegistered, userUpdated } from '../../contracts/users/v1/index.ts';
