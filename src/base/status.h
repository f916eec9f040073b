// Errors are values. A Status is OK or a code plus a message that names the thing and the fix;
// Result<T> is a T or a non-OK Status. Context is added on the way up, so a message reads from
// the outside in: "run 3f2a: log-batch: metric 'auc': value must be a number".
//
//   Result<Run> GetRun(std::string_view id);
//   SLUICE_ASSIGN_OR_RETURN(Run run, GetRun(id));
//   SLUICE_RETURN_IF_ERROR(store.LogParam(run.id, p).WithContext("log-parameter"));
//
// Thread safety: values; copy freely.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/core.h>

namespace sluice {

// Choose the most specific code; api and cli map them to HTTP statuses, MLflow error codes and
// exit codes (api/errors.h, cli/exit_codes.h).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong, whatever the state
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a thing with that name/id exists
  kFailedPrecondition,  // the input is fine, the state forbids it (a deleted run, a changed param)
  kOutOfRange,          // past the end (a page token beyond the results)
  kPermissionDenied,    // refused for safety (a path escaping its root)
  kResourceExhausted,   // a size or count limit
  kUnavailable,         // try again later (a locked database)
  kDeadlineExceeded,    // timed out
  kUnimplemented,       // not supported by this backend or build
  kDataLoss,            // stored bytes do not match their digest
  kInternal,            // a bug or an environment failure we cannot name better
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prepends "context: " to the message of a non-OK status; OK stays OK.
  Status WithContext(std::string_view context) const&;
  Status WithContext(std::string_view context) &&;

  // "NOT_FOUND: experiment '7' does not exist"
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status MakeError(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
Status InvalidArgument(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kInvalidArgument, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status NotFound(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kNotFound, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status AlreadyExists(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kAlreadyExists, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status FailedPrecondition(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kFailedPrecondition, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status PermissionDenied(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kPermissionDenied, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status ResourceExhausted(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kResourceExhausted, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Unavailable(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kUnavailable, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Unimplemented(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kUnimplemented, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status DataLoss(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kDataLoss, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Internal(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kInternal, format, std::forward<Args>(args)...);
}

// A T or a non-OK Status. Accessing value() of an error aborts: check ok() first or use the macros.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result built from an OK Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { Check(); return *value_; }
  const T& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

  Result WithContext(std::string_view context) && {
    if (!ok()) status_ = std::move(status_).WithContext(context);
    return std::move(*this);
  }

 private:
  void Check() const;
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void DieOnBadResultAccess(const Status& status);

template <typename T>
void Result<T>::Check() const {
  if (!value_.has_value()) DieOnBadResultAccess(status_);
}

namespace internal {
inline Status AsStatus(Status s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace sluice

#define SLUICE_CONCAT_INNER_(a, b) a##b
#define SLUICE_CONCAT_(a, b) SLUICE_CONCAT_INNER_(a, b)

// __COUNTER__ keeps the hidden names unique when the macros nest (a lambda passed to a macro
// that itself uses them).
#define SLUICE_RETURN_IF_ERROR(expr) \
  SLUICE_RETURN_IF_ERROR_IMPL_(SLUICE_CONCAT_(sluice_status_, __COUNTER__), expr)
#define SLUICE_RETURN_IF_ERROR_IMPL_(status, expr)                \
  do {                                                            \
    ::sluice::Status status = ::sluice::internal::AsStatus(expr); \
    if (!status.ok()) return status;                              \
  } while (0)

#define SLUICE_ASSIGN_OR_RETURN(lhs, expr) \
  SLUICE_ASSIGN_OR_RETURN_IMPL_(SLUICE_CONCAT_(sluice_result_, __COUNTER__), lhs, expr)
#define SLUICE_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                  \
  if (!result.ok()) return std::move(result).status();   \
  lhs = std::move(result).value()

// A bug, never user input: abort with the location.
#define SLUICE_CHECK(cond)                                                              \
  do {                                                                                  \
    if (!(cond)) ::sluice::internal::CheckFailed(__FILE__, __LINE__, #cond);            \
  } while (0)

namespace sluice::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}
