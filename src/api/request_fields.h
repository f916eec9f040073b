// The fields of an MLflow request message, read with proto3 JSON rules from wherever the client
// put them: the JSON body (POST, PATCH, DELETE, PUT) or the query string (GET, where a repeated
// field is a repeated key, also written key[] or key[0]). Every error is kInvalidArgument naming
// the field and the problem, so a bad request is refused before anything is written.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/types.h"

namespace sluice::api {

using Json = nlohmann::json;

class RequestFields {
 public:
  // Refuses a body that is not a JSON object, and a non-GET request whose Content-Type is not
  // application/json (as MLflow does).
  static Result<RequestFields> From(const http::Request& request);
  static RequestFields FromJson(Json object);

  bool Has(std::string_view field) const;

  Result<std::string> RequiredString(std::string_view field) const;
  Result<std::optional<std::string>> OptionalString(std::string_view field) const;
  std::string StringOr(std::string_view field, std::string fallback) const;
  // int64 as a JSON number or a decimal string.
  Result<std::optional<int64_t>> OptionalInt(std::string_view field) const;
  Result<int64_t> RequiredInt(std::string_view field) const;
  // A double as a JSON number or a string: a number, "NaN", "Infinity", "-Infinity".
  Result<double> RequiredDouble(std::string_view field) const;
  Result<std::optional<bool>> OptionalBool(std::string_view field) const;
  // A repeated string field; a single string is taken as a list of one.
  Result<std::vector<std::string>> StringList(std::string_view field) const;
  // A repeated message field: JSON objects, each wrapped as RequestFields. Not from query strings.
  Result<std::vector<RequestFields>> MessageList(std::string_view field) const;
  // A nested message; nullopt when absent.
  Result<std::optional<RequestFields>> Message(std::string_view field) const;

  const Json& json() const { return *json_; }

 private:
  RequestFields(std::shared_ptr<const Json> root, const Json* json)
      : root_(std::move(root)), json_(json) {}
  RequestFields(Json json, bool from_query);
  const Json* Find(std::string_view field) const;

  // Nested messages point into the document their request parsed, instead of copying it: a
  // log-batch of 1000 metrics would otherwise copy 1000 objects.
  std::shared_ptr<const Json> root_;
  const Json* json_;  // an object; from a query string every value is a string or string array
  // A query string cannot tell a one-element list from a scalar; a JSON body can, and there a
  // list where a string belongs is an error.
  bool from_query_ = false;
};

// Proto3 JSON for a double: NaN and infinities as the strings MLflow's client reads.
Json DoubleToJson(double value);

}  // namespace sluice::api
