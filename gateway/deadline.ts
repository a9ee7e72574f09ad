// One way to bound a promise in time, so every timeout in mcpo fails the same way and clears its timer. It is part of
// the plugin contract, which plugins share with the gateway.
export { withTimeout } from '../plugins/contract.ts'
