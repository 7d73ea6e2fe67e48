// Kubernetes quantities live with the controller (it parses podResources); the simulation uses the same.
export * from '../../controller/quantity.ts';
