// Manifests as bytes: the canonical JSON a version's digest is taken over, and its parser.
// Canonical means one text per manifest: fixed key order, no optional whitespace, one entry per
// line, so equal contents give equal digests and an unchanged tree is recognized by hashing the
// manifest it would produce (no file is read).
//
//   std::string json = SerializeManifest(manifest);      // digest = Sha256::HexOf(json)
//   SLUICE_ASSIGN_OR_RETURN(Manifest m, ParseManifest(json));
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "datasets/types.h"

namespace sluice::datasets {

inline constexpr std::string_view kManifestFormat = "sluice.dataset.manifest";

std::string SerializeManifest(const Manifest& manifest);

// kDataLoss when `json` is not a manifest (a corrupt or foreign blob), kUnimplemented for a
// manifest format version newer than this binary reads, kUnimplemented for another chunking
// algorithm. Entries are checked: relative '/'-separated paths without '.' or '..' components,
// sorted and unique, digests of 64 hex characters, chunk sizes adding up to the entry's size.
Result<Manifest> ParseManifest(std::string_view json);

// The digest of a chunked file: SHA-256 of "sluice-chunks-v1\n" followed by one line
// "<chunk digest> <chunk size>\n" per chunk, in order.
std::string ChunkListDigest(std::span<const Chunk> chunks);

// True when `path` is a safe manifest path (see ParseManifest).
bool IsValidEntryPath(std::string_view path);

}  // namespace sluice::datasets
