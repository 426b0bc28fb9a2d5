"""A reporter's confidential identity (issue 20, docs/IDENTITY.md): kept under custodians, disclosed
to one reviewer for one case by request, withdrawable while undisclosed; and the protection
checklist of a case whose reporter asked for protection."""
