#include "training/reproduce.h"

#include <fmt/format.h>

#include "base/sha256.h"
#include "training/internal/run_support.h"

namespace sluice::training {
namespace {

std::string TagValue(const tracking::Run& run, std::string_view key) {
  for (const tracking::Tag& tag : run.tags) {
    if (tag.key == key) return tag.value;
  }
  return "";
}

}  // namespace

Result<ReproduceResult> Reproduce(std::string_view run_id, const Services& services,
                                  const TrainOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(tracking::Run run, services.tracking.GetRun(run_id));
  ReproduceResult result{.original_run_id = run.info.run_id,
                         .original_model_sha256 = TagValue(run, kModelDigestTag)};
  const std::string data_digest = TagValue(run, kDataDigestTag);
  std::optional<std::string> root = tracking::ArtifactStorePath(run.info.artifact_uri);
  if (result.original_model_sha256.empty() || data_digest.empty() || !root) {
    return FailedPrecondition(
        "run {} is not a finished Sluice training run (no {} tag); only "
        "runs made by `sluice train` can be reproduced",
        run_id, kModelDigestTag);
  }
  SLUICE_ASSIGN_OR_RETURN(std::string yaml,
                          services.artifacts.ReadAll(*root + "/" + std::string(kConfigArtifact)));
  SLUICE_ASSIGN_OR_RETURN(
      TrainConfig config,
      TrainConfig::FromYaml(yaml, fmt::format("run {} {}", run_id, kConfigArtifact)));
  const std::string& data = config.String("data");
  Result<internal::DataLocation> location = internal::LocateData(data, services.datasets);
  Result<std::string> digest =
      location.ok() ? Sha256::HexOfFile(location->path) : Result<std::string>(location.status());
  if (!digest.ok()) {
    return FailedPrecondition(
        "run {} trained on {}, which cannot be read now ({}); restore the "
        "file with sha256 {}",
        run_id, data, digest.status().message(), data_digest);
  }
  if (*digest != data_digest) {
    return FailedPrecondition(
        "run {} trained on {} with sha256 {}, but the file now has sha256 "
        "{}; restore the original bytes to reproduce it",
        run_id, data, data_digest, *digest);
  }
  // The copy must not register a second version, and is named for what it is.
  SLUICE_RETURN_IF_ERROR(config.Set("register", ""));
  SLUICE_RETURN_IF_ERROR(config.Set("run_name", run.info.run_name + "-reproduced"));
  SLUICE_ASSIGN_OR_RETURN(tracking::Experiment experiment,
                          services.tracking.GetExperiment(run.info.experiment_id));
  SLUICE_RETURN_IF_ERROR(config.Set("experiment", experiment.name));
  TrainOptions retrain = options;
  retrain.tags.push_back({std::string(kReproducesTag), run.info.run_id});
  SLUICE_ASSIGN_OR_RETURN(result.retrained, Train(config, services, retrain));
  result.identical = result.retrained.model_sha256 == result.original_model_sha256;
  return result;
}

}  // namespace sluice::training
