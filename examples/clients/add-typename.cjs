// codegen.yml names a document transform by module path and reads its `transform`:
// this hands it the client preset's, which selects __typename in every selection set —
// the persisted text the gateway runs must carry it, or client caches cannot normalise.
exports.transform = require('@graphql-codegen/client-preset').addTypenameSelectionDocumentTransform.transform;
