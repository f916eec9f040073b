// `sluice runs reproduce`: retrains a training run from its record (the resolved config stored
// with it, and the data it names, checked against the recorded digest) into a new run, and
// compares the model bytes.
//
// Thread safety: one run; may run beside other users of the stores.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "training/trainer.h"

namespace sluice::training {

struct ReproduceResult {
  std::string original_run_id;
  std::string original_model_sha256;
  TrainResult retrained;   // the new run, tagged sluice.reproduces = original_run_id
  bool identical = false;  // same model bytes
};

// kNotFound for a missing run; kFailedPrecondition when the run is not a Sluice training run or
// its data changed since (naming the file, both digests and how to get the bytes back).
Result<ReproduceResult> Reproduce(std::string_view run_id, const Services& services,
                                  const TrainOptions& options = {});

}  // namespace sluice::training
