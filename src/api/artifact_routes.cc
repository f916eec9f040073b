// MLflow's proxied artifact API (/api/2.0/mlflow-artifacts/...) and the legacy run artifact
// listing, over the tracking module's artifact store.
#include <fmt/format.h>

#include <array>
#include <utility>

#include "api/api.h"
#include "api/errors.h"
#include "api/mlflow_json.h"
#include "api/request_fields.h"
#include "tracking/validation.h"

namespace sluice::api {
namespace {

using http::Method;
using tracking::ArtifactFile;
using tracking::ArtifactStore;

constexpr std::string_view kArtifactsPrefix = "/api/2.0/mlflow-artifacts/artifacts";

std::string_view ContentTypeFor(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes = {{
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".log", "text/plain; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".csv", "text/csv"},
      {".yaml", "text/yaml"},
      {".yml", "text/yaml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".svg", "image/svg+xml"},
      {".gif", "image/gif"},
      {".pdf", "application/pdf"},
      {".md", "text/markdown"},
  }};
  if (path.ends_with("/MLmodel")) return "text/yaml";
  for (const auto& [extension, type] : kTypes) {
    if (path.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

class UploadSink final : public http::BodySink {
 public:
  explicit UploadSink(std::unique_ptr<ArtifactStore::Upload> upload) : upload_(std::move(upload)) {}
  Status Write(std::string_view chunk) override { return upload_->Write(chunk); }
  http::Response Finish() override {
    Result<ArtifactFile> file = upload_->Commit();
    if (!file.ok()) return ErrorResponse(file.status());
    return http::Response::Json(200, "{}");
  }

 private:
  std::unique_ptr<ArtifactStore::Upload> upload_;
};

Json FileInfoJson(const ArtifactFile& f) {
  Json j = {{"path", f.path}, {"is_dir", f.is_dir}};
  if (!f.is_dir) j["file_size"] = f.size_bytes;
  return j;
}

http::Response ListFolder(ArtifactStore& artifacts, std::string_view dir) {
  Result<std::vector<ArtifactFile>> files = artifacts.List(dir);
  if (!files.ok()) return ErrorResponse(files.status());
  Json out = Json::object();
  if (!files->empty()) {
    out["files"] = Json::array();
    for (const ArtifactFile& f : *files) out["files"].push_back(FileInfoJson(f));
  }
  return http::Response::Json(200, Dump(out));
}

http::Response Download(ArtifactStore& artifacts, std::string_view path) {
  Result<ArtifactFile> file = artifacts.Stat(path);
  if (!file.ok()) return ErrorResponse(file.status());
  std::string content_type(ContentTypeFor(file->path));
  if (auto local = artifacts.LocalPath(*file)) return http::Response::File(*local, content_type);
  Result<std::string> bytes = artifacts.ReadAll(path);
  if (!bytes.ok()) return ErrorResponse(bytes.status());
  http::Response response = http::Response::Text(200, std::move(*bytes), content_type);
  return response;
}

}  // namespace

void MountArtifacts(http::Router& r, const Services& services) {
  ArtifactStore& artifacts = services.artifacts;
  tracking::TrackingStore& tracking = services.tracking;
  const std::string prefix(kArtifactsPrefix);

  r.AddStreaming(Method::kPut, prefix + "/{*rest}",
                 [&artifacts](const http::Request& req)
                     -> std::variant<http::Response, std::unique_ptr<http::BodySink>> {
                   Result<std::unique_ptr<ArtifactStore::Upload>> upload =
                       artifacts.BeginUpload(req.PathParam("rest"));
                   if (!upload.ok()) return ErrorResponse(upload.status());
                   return std::make_unique<UploadSink>(std::move(*upload));
                 });
  r.Add(Method::kGet, prefix + "/{*rest}", [&artifacts](const http::Request& req) {
    std::string_view path = req.PathParam("rest");
    if (path.empty()) return ListFolder(artifacts, req.QueryParam("path").value_or(""));
    return Download(artifacts, path);
  });
  r.Add(Method::kGet, prefix, [&artifacts](const http::Request& req) {
    return ListFolder(artifacts, req.QueryParam("path").value_or(""));
  });
  r.Add(Method::kDelete, prefix + "/{*rest}", [&artifacts](const http::Request& req) {
    Status status = artifacts.Delete(req.PathParam("rest"));
    if (!status.ok()) return ErrorResponse(status);
    return http::Response::Json(200, "{}");
  });
  // Multipart upload is optional in MLflow; 501 makes the client fall back to one PUT.
  for (std::string_view step : {"create", "complete", "abort"}) {
    r.Add(Method::kPost, fmt::format("/api/2.0/mlflow-artifacts/mpu/{}/{{*rest}}", step),
          [](const http::Request&) {
            return ErrorResponse(Unimplemented(
                "multipart upload is not supported; upload the file with one PUT request"));
          });
  }

  // The legacy listing by run: paths from the run's artifact root.
  r.Add(Method::kGet, "/api/2.0/mlflow/artifacts/list",
        [&artifacts, &tracking](const http::Request& req) {
          Result<RequestFields> fields = RequestFields::From(req);
          if (!fields.ok()) return ErrorResponse(fields.status());
          std::string run_id = fields->StringOr("run_id", fields->StringOr("run_uuid", ""));
          if (run_id.empty()) {
            return ErrorResponse(InvalidArgument("missing value for required parameter 'run_id'"));
          }
          Result<tracking::Run> run = tracking.GetRun(run_id);
          if (!run.ok()) return ErrorResponse(run.status());
          std::string path = fields->StringOr("path", "");
          Json out = {{"root_uri", run->info.artifact_uri}};
          std::optional<std::string> root = tracking::ArtifactStorePath(run->info.artifact_uri);
          if (root) {
            Status valid = tracking::ValidateArtifactPath(path, /*allow_empty=*/true);
            if (!valid.ok()) return ErrorResponse(valid);
            std::string dir = path.empty() ? *root : *root + "/" + path;
            Result<std::vector<ArtifactFile>> files = artifacts.List(dir);
            if (!files.ok()) return ErrorResponse(files.status());
            if (!files->empty()) {
              out["files"] = Json::array();
              for (ArtifactFile f : *files) {
                if (!path.empty()) f.path = path + "/" + f.path;
                out["files"].push_back(FileInfoJson(f));
              }
            }
          }
          return http::Response::Json(200, Dump(out));
        });
}

std::shared_ptr<const http::Router> BuildRouter(const Services& services) {
  auto router = std::make_shared<http::Router>();
  router->SetErrorResponder(ServerErrorResponse);
  router->SetStatusResponder([](const Status& status) { return ErrorResponse(status); });
  MountTracking(*router, services);
  MountArtifacts(*router, services);
  MountRegistry(*router, services);
  if (services.models != nullptr) {
    MountServing(*router, *services.models, services.inference);
  }
  router->Add(Method::kGet, "/health",
              [](const http::Request&) { return http::Response::Text(200, "OK"); });
  router->Add(Method::kGet, "/version", [](const http::Request&) {
    http::Response response = http::Response::Text(200, std::string(kMlflowCompatibleVersion));
    response.headers.emplace_back("X-Sluice-Version", SLUICE_VERSION);
    return response;
  });
  return router;
}

std::shared_ptr<const http::Router> BuildServingRouter(const serving::ModelHost& host,
                                                       InferenceOptions options) {
  auto router = std::make_shared<http::Router>();
  router->SetErrorResponder([](int status, std::string_view message) {
    return http::Response::Json(status, Json{{"error", message}}.dump());
  });
  MountServing(*router, host, options);
  router->AddNonBlocking(Method::kGet, "/health",
                         [](const http::Request&) { return http::Response::Text(200, "OK"); });
  router->AddNonBlocking(Method::kGet, "/version", [](const http::Request&) {
    return http::Response::Text(200, SLUICE_VERSION);
  });
  return router;
}

}  // namespace sluice::api
