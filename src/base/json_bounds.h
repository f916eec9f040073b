// A SAX pass over JSON or UBJ that builds nothing and bounds what a full parse would build: the
// nesting depth (so recursive parsers cannot overflow the stack) and the number of values (a UBJ
// array of a zero-byte type can claim billions of elements in a few bytes). Run it before
// parsing untrusted model files.
//
//   JsonBoundsCheck bounds(/*max_values=*/bytes.size(), /*max_depth=*/64);
//   if (!nlohmann::json::sax_parse(b, e, &bounds, nlohmann::json::input_format_t::ubjson)) ...
//
// Thread safety: one check per parse.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace sluice {

class JsonBoundsCheck final : public nlohmann::json_sax<nlohmann::json> {
 public:
  JsonBoundsCheck(size_t max_values, int max_depth)
      : max_values_(max_values), max_depth_(max_depth) {}

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = e.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool Value() {
    if (++values_ <= max_values_) return true;
    error_ = "more values than bytes";
    return false;
  }
  bool Enter() {
    if (++depth_ <= max_depth_) return Value();
    error_ = fmt::format("nested deeper than {}", max_depth_);
    return false;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  size_t max_values_;
  int max_depth_;
  size_t values_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace sluice
