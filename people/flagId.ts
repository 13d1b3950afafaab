/** A flag's id is part of the contract (contract/flagId.ts): live alerting and detection compute it too. */
export { FLAG_ID, flagId, type FlagKey } from '../contract/flagId.js';
