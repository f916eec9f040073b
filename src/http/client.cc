#include "http/client.h"

#include <curl/curl.h>

#include <cstdio>
#include <mutex>

#include "http/internal/url.h"

namespace sluice::http {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Collects the headers of the final response: a new status line (after "100 Continue" or a
// redirect) starts over.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<ClientResponse*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct DownloadState {
  CURL* curl;
  const std::filesystem::path* to;
  std::FILE* file = nullptr;
  std::string* error_body;
  bool write_failed = false;
};

size_t OnDownload(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<DownloadState*>(user);
  long status = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    state->error_body->append(data, size * count);
    return size * count;
  }
  if (state->file == nullptr) {
    state->file = std::fopen(state->to->c_str(), "wb");
    if (state->file == nullptr) {
      state->write_failed = true;
      return 0;  // aborts the transfer
    }
  }
  if (std::fwrite(data, 1, size * count, state->file) != size * count) {
    state->write_failed = true;
    return 0;
  }
  return size * count;
}

size_t OnReadFile(char* buffer, size_t size, size_t count, void* user) {
  return std::fread(buffer, 1, size * count, static_cast<std::FILE*>(user));
}

}  // namespace

std::string_view ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (internal::EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

struct Client::Impl {
  CURL* curl = nullptr;
  curl_slist* header_list = nullptr;
  ~Impl() {
    curl_slist_free_all(header_list);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  // Resets per-request options but keeps the connection.
  void Reset() {
    curl_easy_reset(curl);
    curl_slist_free_all(header_list);
    header_list = nullptr;
  }
  void AddHeader(std::string_view name, std::string_view value) {
    // "Name;" sends an empty header; "Name:" would remove curl's own header instead.
    std::string line =
        value.empty() ? fmt::format("{};", name) : fmt::format("{}: {}", name, value);
    header_list = curl_slist_append(header_list, line.c_str());
  }
};

Client::Client(std::string base_url, std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  GlobalInit();
  impl_->curl = curl_easy_init();
}

Client::~Client() = default;

namespace {

// Sets what every request needs; the caller adds the method and body.
void Prepare(CURL* curl, const std::string& url, std::chrono::milliseconds timeout,
             ClientResponse* response, char* error_buffer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, response);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  error_buffer[0] = '\0';
}

Result<ClientResponse> Perform(CURL* curl, Method method, const std::string& url,
                               ClientResponse& response, const char* error_buffer) {
  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    std::string what = fmt::format("{} {}: {}", MethodName(method), url, detail);
    if (code == CURLE_OPERATION_TIMEDOUT)
      return MakeError(StatusCode::kDeadlineExceeded, "{}", what);
    return MakeError(StatusCode::kUnavailable, "{}", what);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return std::move(response);
}

void SetMethod(CURL* curl, Method method) {
  switch (method) {
    case Method::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Method::kHead:
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      break;
    case Method::kPost:
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      break;
    default:
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, std::string(MethodName(method)).c_str());
  }
}

}  // namespace

Result<ClientResponse> Client::Send(
    Method method, std::string_view path_and_query, std::string_view body,
    std::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (impl_->curl == nullptr) return Internal("http client: curl_easy_init failed");
  impl_->Reset();
  CURL* curl = impl_->curl;
  std::string url = base_url_ + std::string(path_and_query);
  ClientResponse response;
  char error_buffer[CURL_ERROR_SIZE];
  Prepare(curl, url, timeout_, &response, error_buffer);
  SetMethod(curl, method);
  const bool sends_body = !body.empty() || method == Method::kPost || method == Method::kPut ||
                          method == Method::kPatch;
  if (sends_body) {
    // POSTFIELDS does not copy; `body` outlives the call. With a custom method curl still sends
    // the fields as the body.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    impl_->AddHeader("Content-Type", content_type);
  }
  for (const auto& [name, value] : headers) impl_->AddHeader(name, value);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, impl_->header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  return Perform(curl, method, url, response, error_buffer);
}

Result<ClientResponse> Client::Get(std::string_view path_and_query) {
  return Send(Method::kGet, path_and_query);
}

Result<ClientResponse> Client::Post(std::string_view path, std::string_view json_body) {
  return Send(Method::kPost, path, json_body, "application/json");
}

Result<ClientResponse> Client::SendFile(Method method, std::string_view path,
                                        const std::filesystem::path& file,
                                        std::string_view content_type) {
  if (impl_->curl == nullptr) return Internal("http client: curl_easy_init failed");
  std::error_code size_error;
  auto size = std::filesystem::file_size(file, size_error);
  std::FILE* in = size_error ? nullptr : std::fopen(file.c_str(), "rb");
  if (in == nullptr) return NotFound("http client: cannot open '{}' to upload", file.string());
  impl_->Reset();
  CURL* curl = impl_->curl;
  std::string url = base_url_ + std::string(path);
  ClientResponse response;
  char error_buffer[CURL_ERROR_SIZE];
  Prepare(curl, url, timeout_, &response, error_buffer);
  if (method == Method::kPut) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
  } else {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
    if (method != Method::kPost) {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, std::string(MethodName(method)).c_str());
    }
  }
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnReadFile);
  curl_easy_setopt(curl, CURLOPT_READDATA, in);
  impl_->AddHeader("Content-Type", content_type);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, impl_->header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  auto result = Perform(curl, method, url, response, error_buffer);
  std::fclose(in);
  return result;
}

Result<ClientResponse> Client::PutFile(std::string_view path, const std::filesystem::path& file,
                                       std::string_view content_type) {
  return SendFile(Method::kPut, path, file, content_type);
}

Result<ClientResponse> Client::Download(std::string_view path, const std::filesystem::path& to) {
  if (impl_->curl == nullptr) return Internal("http client: curl_easy_init failed");
  impl_->Reset();
  CURL* curl = impl_->curl;
  std::string url = base_url_ + std::string(path);
  ClientResponse response;
  char error_buffer[CURL_ERROR_SIZE];
  Prepare(curl, url, timeout_, &response, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  DownloadState state{curl, &to, nullptr, &response.body};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnDownload);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  auto result = Perform(curl, Method::kGet, url, response, error_buffer);
  bool close_failed = state.file != nullptr && std::fclose(state.file) != 0;
  if (state.write_failed || close_failed) {
    return Internal("GET {}: cannot write the download to '{}'", url, to.string());
  }
  if (!result.ok()) return result;
  // An empty 2xx body never reached the write callback: still leave an (empty) file.
  if (result->status >= 200 && result->status < 300 && state.file == nullptr) {
    std::FILE* empty = std::fopen(to.c_str(), "wb");
    if (empty == nullptr) return Internal("GET {}: cannot create '{}'", url, to.string());
    std::fclose(empty);
  }
  return result;
}

}  // namespace sluice::http
