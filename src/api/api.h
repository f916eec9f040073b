// The REST API: inference (Open Inference Protocol v2, MLflow scoring), MLflow's tracking API
// (/api/2.0/mlflow/...), its proxied artifact API
// (/api/2.0/mlflow-artifacts/...), /health and /version, mounted on one router. Handlers parse,
// call the domain, and format; no logic lives here. docs/http-api.md lists every endpoint.
#pragma once

#include <memory>

#include "http/router.h"
#include "registry/registry_store.h"
#include "serving/input_checks.h"
#include "serving/micro_batcher.h"
#include "serving/model_host.h"
#include "serving/prediction_log.h"
#include "tracking/artifacts.h"
#include "tracking/tracking_store.h"

namespace sluice::api {

// The MLflow API level Sluice speaks, answered by GET /version.
inline constexpr std::string_view kMlflowCompatibleVersion = "2.12.2";

// What inference does beside scoring; everything pointed to must outlive the router.
struct InferenceOptions {
  serving::PredictionLog* prediction_log = nullptr;  // when set, answered requests are sampled
  // When set, inference handlers run on the worker pool (they block while a batch fills) and
  // concurrent requests for one model are scored together; otherwise they run on the io threads.
  serving::MicroBatcher* batcher = nullptr;
  // Requests checked against the model's input expectations (its bundle's input_suite); checked
  // requests take the general decoding path.
  serving::InputCheckMode check_inputs = serving::InputCheckMode::kOff;
};

struct Services {
  tracking::TrackingStore& tracking;
  tracking::ArtifactStore& artifacts;
  registry::RegistryStore& registry;
  serving::ModelHost* models = nullptr;  // when set, inference is served too
  InferenceOptions inference;
};

// The services must outlive the router and every server using it.
void MountTracking(http::Router& router, const Services& services);
void MountArtifacts(http::Router& router, const Services& services);
// MLflow's model registry (/api/2.0/mlflow/registered-models/..., .../model-versions/...) and
// Sluice's own history, promote, rollback and event feed (/api/sluice/v1/...).
void MountRegistry(http::Router& router, const Services& services);

// Inference: the Open Inference Protocol v2 (/v2/health/live|ready, /v2/models/{name}[/versions/
// {v}][/ready|/infer]) and MLflow's scoring protocol (/invocations, /models/{name}/invocations,
// /ping), and /metrics. Every inference answer carries X-Request-Id (the caller's, or a new one).
// `host` must outlive the router.
void MountServing(http::Router& router, const serving::ModelHost& host,
                  InferenceOptions options = {});

// Inference alone (sluice serve): MountServing plus /health and /version.
std::shared_ptr<const http::Router> BuildServingRouter(const serving::ModelHost& host,
                                                       InferenceOptions options = {});

// Everything above plus /health, /version and MLflow-shaped server errors.
std::shared_ptr<const http::Router> BuildRouter(const Services& services);

}  // namespace sluice::api
