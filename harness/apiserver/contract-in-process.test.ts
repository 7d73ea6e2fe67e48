// The API contract suite again, with client-node reaching the embedded cluster over in-process
// connections (harness/apiserver/in-process.ts), as the controller does in scenario runs: the
// transport must change nothing a client can see.
process.env.CONTRACT_TARGET = 'in-process';
await import('./contract.test.ts');
