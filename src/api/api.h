// The REST API: MLflow's tracking API (/api/2.0/mlflow/...), its proxied artifact API
// (/api/2.0/mlflow-artifacts/...), /health and /version, mounted on one router. Handlers parse,
// call the domain, and format; no logic lives here. docs/http-api.md lists every endpoint.
#pragma once

#include <memory>

#include "http/router.h"
#include "registry/registry_store.h"
#include "tracking/artifacts.h"
#include "tracking/tracking_store.h"

namespace sluice::api {

// The MLflow API level Sluice speaks, answered by GET /version.
inline constexpr std::string_view kMlflowCompatibleVersion = "2.12.2";

struct Services {
  tracking::TrackingStore& tracking;
  tracking::ArtifactStore& artifacts;
  registry::RegistryStore& registry;
};

// The services must outlive the router and every server using it.
void MountTracking(http::Router& router, const Services& services);
void MountArtifacts(http::Router& router, const Services& services);
// MLflow's model registry (/api/2.0/mlflow/registered-models/..., .../model-versions/...) and
// Sluice's own history, promote, rollback and event feed (/api/sluice/v1/...).
void MountRegistry(http::Router& router, const Services& services);

// Everything above plus /health, /version and MLflow-shaped server errors.
std::shared_ptr<const http::Router> BuildRouter(const Services& services);

}  // namespace sluice::api
