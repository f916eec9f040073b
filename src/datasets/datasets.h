// The datasets module's face: versioned, content-addressed datasets (dataset_store.h), their
// values (types.h), manifests and chunking (manifest.h, chunker.h), pointer files
// (pointer_file.h) and table profiles (table_profile.h).
//
//   SLUICE_ASSIGN_OR_RETURN(auto store, DatasetStore::Open(db, blobs, root, SystemClock::Get()));
//   // Where a command takes a data path, "churn@2", "churn@gold" or "churn" work too:
//   SLUICE_ASSIGN_OR_RETURN(std::optional<ResolvedData> data, ResolveDataArgument(*store, arg));
//   if (data) { path = data->path; /* record data->version.digest as the run's input */ }
//
// Thread safety: see the included headers.
#pragma once

#include "datasets/chunker.h"        // IWYU pragma: export
#include "datasets/dataset_store.h"  // IWYU pragma: export
#include "datasets/manifest.h"       // IWYU pragma: export
#include "datasets/pointer_file.h"   // IWYU pragma: export
#include "datasets/table_profile.h"  // IWYU pragma: export
#include "datasets/types.h"          // IWYU pragma: export
