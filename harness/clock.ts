// The clock lives with the controller, which is given one in every target; the harness
// (API server, simulated cluster, virtual clock) uses the same interface.
export * from '../controller/clock.ts';
