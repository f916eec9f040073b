// The models a server serves, each under an endpoint name and a model URI
// (models:/churn@production, models:/churn/3, runs:/<id>/model). A served alias or stage follows
// the registry: when it moves, the new version is loaded and checked in the background and
// swapped in atomically, so a request sees the old model or the new one, never neither and never
// a mix. A version that fails to load never replaces the one serving; its error is kept for
// /v2/models/{name} to show.
//
//   ModelHost host(registry, artifacts, clock);
//   SLUICE_RETURN_IF_ERROR(host.Add("churn", "models:/churn@production"));
//   host.StartFollowing();
//   std::shared_ptr<const ServedModel> model = host.Get("churn");   // per request
//
// Thread safety: every method may be called from any thread. Get holds the endpoint table's lock
// only to find the endpoint (a few ns, uncontended in practice); a (re)load never blocks it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "models/bundle.h"
#include "models/predictor.h"
#include "registry/registry_store.h"
#include "serving/input_checks.h"
#include "tracking/artifacts.h"

namespace sluice::serving {

// Request counters of one endpoint, shared by all its versions, for /metrics. Lock-free.
struct EndpointCounters {
  // Upper bounds of the latency histogram buckets, in microseconds (Prometheus "le").
  static constexpr std::array<uint64_t, 12> kBucketsMicros = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000};
  std::atomic<uint64_t> ok{0};             // 2xx answers
  std::atomic<uint64_t> client_errors{0};  // 4xx
  std::atomic<uint64_t> server_errors{0};  // 5xx
  std::atomic<uint64_t> rows{0};           // rows scored
  std::atomic<uint64_t> latency_sum_micros{0};
  std::array<std::atomic<uint64_t>, kBucketsMicros.size() + 1> latency_buckets{};  // last: +Inf

  void Record(int http_status, uint64_t micros, uint64_t rows_scored);
};

// One loaded model version; immutable, shared by every request that got it.
struct ServedModel {
  std::string name;     // the endpoint
  std::string uri;      // as asked for
  std::string version;  // the registry version ("3"), or "" for a runs:/ URI
  models::Bundle bundle;
  std::unique_ptr<models::Predictor> predictor;
  // The bundle's input_suite as checks for requests; null when it has none that apply.
  std::unique_ptr<InputChecks> input_checks;
  int64_t loaded_ms = 0;
  std::shared_ptr<EndpointCounters> counters;  // the endpoint's, the same across versions
};

struct EndpointStatus {
  std::string name;
  std::string uri;
  std::shared_ptr<const ServedModel> model;  // null when it never loaded
  std::string last_error;                    // the latest failed (re)load, "" when none
  int64_t reloads = 0;                       // swaps after the first load
  std::shared_ptr<const EndpointCounters> counters;
};

class ModelHost {
 public:
  // All three must outlive the host.
  ModelHost(registry::RegistryStore& registry, tracking::ArtifactStore& artifacts,
            const Clock& clock);
  ~ModelHost();  // stops following
  ModelHost(const ModelHost&) = delete;
  ModelHost& operator=(const ModelHost&) = delete;

  // Loads the model and serves it as `name`. kAlreadyExists for a taken name; a load error
  // (unknown model, a bundle that does not load) is returned and nothing is added.
  Status Add(std::string name, std::string uri);

  // The model serving `name` now; null for an unknown name.
  std::shared_ptr<const ServedModel> Get(std::string_view name) const;
  std::vector<EndpointStatus> Endpoints() const;

  // Re-resolves every endpoint's URI and swaps in versions that changed. Returns the first
  // error (the endpoint keeps its model). Called by the follower; public for tests and tools.
  Status Refresh();

  // Follows registry events on a background thread (checking at least every `poll`), calling
  // Refresh when one concerns a served model. Events from other processes are seen too.
  void StartFollowing(std::chrono::milliseconds poll = std::chrono::milliseconds(500));

 private:
  struct Endpoint {
    std::string name;
    std::string uri;
    std::atomic<std::shared_ptr<const ServedModel>> model;
    std::mutex mutex;  // guards last_error and serializes reloads of this endpoint
    std::string last_error;
    int64_t reloads = 0;
    std::shared_ptr<EndpointCounters> counters = std::make_shared<EndpointCounters>();
  };

  Result<std::shared_ptr<const ServedModel>> Load(const std::string& name, const std::string& uri,
                                                  std::shared_ptr<EndpointCounters> counters) const;
  Status RefreshEndpoint(Endpoint& endpoint);
  void Follow(std::stop_token stop, std::chrono::milliseconds poll);

  registry::RegistryStore& registry_;
  tracking::ArtifactStore& artifacts_;
  const Clock& clock_;
  mutable std::mutex endpoints_mutex_;
  std::map<std::string, std::unique_ptr<Endpoint>, std::less<>> endpoints_;  // guarded
  std::jthread follower_;  // last: stops before the members it uses go
};

}  // namespace sluice::serving
