#include "serving/model_host.h"

#include "base/log.h"

namespace sluice::serving {

ModelHost::ModelHost(registry::RegistryStore& registry, tracking::ArtifactStore& artifacts,
                     const Clock& clock)
    : registry_(registry), artifacts_(artifacts), clock_(clock) {}

ModelHost::~ModelHost() {
  follower_.request_stop();
  if (follower_.joinable()) follower_.join();
}

void EndpointCounters::Record(int http_status, uint64_t micros, uint64_t rows_scored) {
  auto& outcome = http_status < 400 ? ok : http_status < 500 ? client_errors : server_errors;
  outcome.fetch_add(1, std::memory_order_relaxed);
  rows.fetch_add(rows_scored, std::memory_order_relaxed);
  latency_sum_micros.fetch_add(micros, std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < kBucketsMicros.size() && micros > kBucketsMicros[bucket]) ++bucket;
  latency_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
}

Result<std::shared_ptr<const ServedModel>> ModelHost::Load(
    const std::string& name, const std::string& uri,
    std::shared_ptr<EndpointCounters> counters) const {
  auto model = std::make_shared<ServedModel>();
  model->counters = std::move(counters);
  model->name = name;
  model->uri = uri;
  if (uri.starts_with("models:/")) {
    SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion version, registry_.Resolve(uri));
    model->version = version.version;
    // Load exactly the resolved version: the alias may move again while this one loads.
    const std::string pinned = "models:/" + version.name + "/" + version.version;
    SLUICE_ASSIGN_OR_RETURN(auto files, registry_.ModelFiles(pinned, artifacts_));
    SLUICE_ASSIGN_OR_RETURN(model->bundle, models::ReadBundle(files).WithContext(pinned));
  } else {
    SLUICE_ASSIGN_OR_RETURN(auto files, registry_.ModelFiles(uri, artifacts_));
    SLUICE_ASSIGN_OR_RETURN(model->bundle, models::ReadBundle(files).WithContext(uri));
  }
  SLUICE_ASSIGN_OR_RETURN(model->predictor, models::LoadPredictor(model->bundle));
  SLUICE_ASSIGN_OR_RETURN(model->input_checks, InputChecks::FromBundle(model->bundle));
  // The model bytes are compiled into the predictor; keeping them would double the memory.
  model->bundle.model_bytes.clear();
  model->bundle.model_bytes.shrink_to_fit();
  model->loaded_ms = clock_.NowMillis();
  return std::shared_ptr<const ServedModel>(std::move(model));
}

Status ModelHost::Add(std::string name, std::string uri) {
  {
    std::lock_guard lock(endpoints_mutex_);
    if (endpoints_.contains(name)) return AlreadyExists("model '{}' is already served", name);
  }
  auto endpoint = std::make_unique<Endpoint>();
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ServedModel> model,
                          Load(name, uri, endpoint->counters));
  endpoint->name = name;
  endpoint->uri = uri;
  endpoint->model.store(std::move(model));
  std::lock_guard lock(endpoints_mutex_);
  if (!endpoints_.emplace(name, std::move(endpoint)).second) {
    return AlreadyExists("model '{}' is already served", name);
  }
  return Status::Ok();
}

std::shared_ptr<const ServedModel> ModelHost::Get(std::string_view name) const {
  std::lock_guard lock(endpoints_mutex_);
  auto it = endpoints_.find(name);
  if (it == endpoints_.end()) return nullptr;
  return it->second->model.load();
}

std::vector<EndpointStatus> ModelHost::Endpoints() const {
  std::vector<EndpointStatus> out;
  std::lock_guard lock(endpoints_mutex_);
  for (const auto& [name, endpoint] : endpoints_) {
    std::lock_guard endpoint_lock(endpoint->mutex);
    out.push_back({.name = name,
                   .uri = endpoint->uri,
                   .model = endpoint->model.load(),
                   .last_error = endpoint->last_error,
                   .reloads = endpoint->reloads,
                   .counters = endpoint->counters});
  }
  return out;
}

Status ModelHost::RefreshEndpoint(Endpoint& endpoint) {
  if (!endpoint.uri.starts_with("models:/")) return Status::Ok();  // runs:/ never moves
  std::lock_guard lock(endpoint.mutex);
  std::shared_ptr<const ServedModel> current = endpoint.model.load();
  Result<registry::ModelVersion> resolved = registry_.Resolve(endpoint.uri);
  Status status = resolved.status();
  if (resolved.ok() && current != nullptr && resolved->version == current->version) {
    return Status::Ok();
  }
  if (resolved.ok()) {
    Result<std::shared_ptr<const ServedModel>> loaded =
        Load(endpoint.name, endpoint.uri, endpoint.counters);
    status = loaded.status();
    if (loaded.ok()) {
      SLUICE_LOG_INFO("serving {}: version {} -> {}", endpoint.name,
                      current ? current->version : "-", (*loaded)->version);
      endpoint.model.store(std::move(loaded).value());
      endpoint.last_error.clear();
      ++endpoint.reloads;
      return Status::Ok();
    }
  }
  // The serving model stays; the failure is kept where /v2/models/{name} shows it.
  endpoint.last_error = status.ToString();
  SLUICE_LOG_WARN("serving {}: keeping version {}: {}", endpoint.name,
                  current ? current->version : "-", endpoint.last_error);
  return status;
}

Status ModelHost::Refresh() {
  std::vector<Endpoint*> endpoints;
  {
    std::lock_guard lock(endpoints_mutex_);
    for (auto& [name, endpoint] : endpoints_) endpoints.push_back(endpoint.get());
  }
  Status first = Status::Ok();
  for (Endpoint* endpoint : endpoints) {
    Status status = RefreshEndpoint(*endpoint);
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

void ModelHost::StartFollowing(std::chrono::milliseconds poll) {
  follower_ = std::jthread([this, poll](std::stop_token stop) { Follow(stop, poll); });
}

void ModelHost::Follow(std::stop_token stop, std::chrono::milliseconds poll) {
  Result<int64_t> start = registry_.LastEventSequence();
  int64_t after = start.ok() ? *start : 0;
  // A move between the first load and this point would otherwise be missed.
  (void)Refresh();
  while (!stop.stop_requested()) {
    Result<std::vector<registry::Event>> events = registry_.EventsAfter(after, 1000, poll);
    if (!events.ok()) {
      SLUICE_LOG_WARN("serving: reading registry events: {}", events.status().ToString());
      std::this_thread::sleep_for(poll);
      continue;
    }
    if (events->empty()) continue;
    after = events->back().sequence;
    (void)Refresh();  // errors are kept per endpoint
  }
}

}  // namespace sluice::serving
