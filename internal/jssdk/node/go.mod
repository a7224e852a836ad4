// This folder holds npm packages, one of which ships Go files. The go.mod
// makes it a module of its own, so that ./... in the repository root leaves
// node_modules out of builds, vet and tests.
module jssdknode
