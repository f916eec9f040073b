#include "api/request_fields.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sluice::api {
namespace {

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "a number";
    default:
      return "an unsupported value";
  }
}

Status Missing(std::string_view field) {
  return InvalidArgument("missing value for required parameter '{}'", field);
}

Status WrongType(std::string_view field, std::string_view expected, const Json& value) {
  return InvalidArgument("invalid value {} for parameter '{}': expected {}, got {}",
                         value.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 100),
                         field, expected, TypeName(value));
}

bool IsJsonContentType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

// "order_by[]" and "order_by[3]" both name the repeated field "order_by".
std::string FieldNameOfQueryKey(std::string_view key) {
  size_t bracket = key.find('[');
  if (bracket != std::string_view::npos && key.back() == ']')
    return std::string(key.substr(0, bracket));
  return std::string(key);
}

}  // namespace

Json DoubleToJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

RequestFields::RequestFields(Json json, bool from_query)
    : root_(std::make_shared<const Json>(std::move(json))),
      json_(root_.get()),
      from_query_(from_query) {}

RequestFields RequestFields::FromJson(Json object) {
  return RequestFields(std::move(object), /*from_query=*/false);
}

Result<RequestFields> RequestFields::From(const http::Request& request) {
  if (request.method == http::Method::kGet || request.method == http::Method::kHead) {
    Json object = Json::object();
    for (const auto& [key, value] : request.query_params) {
      std::string field = FieldNameOfQueryKey(key);
      Json& slot = object[field];
      if (slot.is_null()) {
        slot = value;
      } else {
        if (!slot.is_array()) slot = Json::array({slot});
        slot.push_back(value);
      }
    }
    return RequestFields(std::move(object), /*from_query=*/true);
  }
  if (request.body.empty()) return RequestFields(Json::object(), /*from_query=*/false);
  if (!IsJsonContentType(request.Header("Content-Type"))) {
    return InvalidArgument(
        "bad Content-Type '{}': send the request body as JSON with "
        "'Content-Type: application/json'",
        request.Header("Content-Type"));
  }
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    // Parse again with exceptions for the position of the error.
    try {
      Json again = Json::parse(request.body);
    } catch (const Json::parse_error& e) {
      return InvalidArgument("malformed JSON body: {}", e.what());
    }
    return InvalidArgument("malformed JSON body");
  }
  if (!body.is_object()) {
    return InvalidArgument("the request body must be a JSON object, got {}", TypeName(body));
  }
  return RequestFields(std::move(body), /*from_query=*/false);
}

const Json* RequestFields::Find(std::string_view field) const {
  auto it = json_->find(field);
  if (it == json_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool RequestFields::Has(std::string_view field) const { return Find(field) != nullptr; }

Result<std::optional<std::string>> RequestFields::OptionalString(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::optional<std::string>();
  if (from_query_ && v->is_array() && v->size() == 1 && (*v)[0].is_string()) {
    return std::optional<std::string>((*v)[0].get<std::string>());
  }
  if (!v->is_string()) return WrongType(field, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> RequestFields::RequiredString(std::string_view field) const {
  SLUICE_ASSIGN_OR_RETURN(std::optional<std::string> v, OptionalString(field));
  if (!v || v->empty()) return Missing(field);
  return std::move(*v);
}

std::string RequestFields::StringOr(std::string_view field, std::string fallback) const {
  Result<std::optional<std::string>> v = OptionalString(field);
  if (v.ok() && v->has_value()) return std::move(**v);
  return fallback;
}

Result<std::optional<int64_t>> RequestFields::OptionalInt(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_number_integer()) return std::optional<int64_t>(v->get<int64_t>());
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::floor(d) == d && std::abs(d) < 9.2e18) {
      return std::optional<int64_t>(static_cast<int64_t>(d));
    }
    return WrongType(field, "an integer", *v);
  }
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) {
      return std::optional<int64_t>(out);
    }
  }
  return WrongType(field, "an integer", *v);
}

Result<int64_t> RequestFields::RequiredInt(std::string_view field) const {
  SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> v, OptionalInt(field));
  if (!v) return Missing(field);
  return *v;
}

Result<double> RequestFields::RequiredDouble(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return Missing(field);
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  return WrongType(field, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")", *v);
}

Result<std::optional<bool>> RequestFields::OptionalBool(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::optional<bool>();
  if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "true" || s == "True") return std::optional<bool>(true);
    if (s == "false" || s == "False") return std::optional<bool>(false);
  }
  return WrongType(field, "a boolean", *v);
}

Result<std::vector<std::string>> RequestFields::StringList(std::string_view field) const {
  const Json* v = Find(field);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) return WrongType(field, "a list of strings", *v);
  for (const Json& item : *v) {
    if (!item.is_string()) return WrongType(field, "a list of strings", *v);
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::vector<RequestFields>> RequestFields::MessageList(std::string_view field) const {
  const Json* v = Find(field);
  std::vector<RequestFields> out;
  if (v == nullptr) return out;
  if (!v->is_array()) return WrongType(field, "a list of objects", *v);
  for (const Json& item : *v) {
    if (!item.is_object()) return WrongType(field, "a list of objects", *v);
    out.push_back(RequestFields(root_, &item));
  }
  return out;
}

Result<std::optional<RequestFields>> RequestFields::Message(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::optional<RequestFields>();
  if (!v->is_object()) return WrongType(field, "an object", *v);
  return std::optional<RequestFields>(RequestFields(root_, v));
}

}  // namespace sluice::api
