// A value bound to or read from a SQL statement: NULL, a 64-bit integer, a double, text or
// bytes (a Blob).
// The same type serves every Database implementation (SQLite now, PostgreSQL later).
// Thread safety: a value; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::storage {

// Bytes bound as a BLOB rather than as text. Read back, a BLOB column is a Value holding its
// bytes as text (AsText).
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

class Value {
 public:
  Value() = default;  // NULL
  Value(std::nullptr_t) {}
  Value(int v) : v_(static_cast<int64_t>(v)) {}
  Value(int64_t v) : v_(v) {}
  Value(long long v) : v_(static_cast<int64_t>(v)) {}
  Value(uint64_t v) : v_(static_cast<int64_t>(v)) {}
  Value(bool v) : v_(static_cast<int64_t>(v ? 1 : 0)) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(Blob v) : v_(std::move(v)) {}
  template <typename T>
  Value(const std::optional<T>& v) {
    if (v) *this = Value(*v);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_text() const { return std::holds_alternative<std::string>(v_); }
  bool is_blob() const { return std::holds_alternative<Blob>(v_); }

  // Conversions are lenient between numbers (an INTEGER column read as double is fine);
  // reading NULL gives 0 / 0.0 / "". AsText of a Blob gives its bytes.
  int64_t AsInt() const;
  double AsDouble() const;
  const std::string& AsText() const;
  std::optional<int64_t> AsOptionalInt() const {
    return is_null() ? std::nullopt : std::optional<int64_t>(AsInt());
  }

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<std::monostate, int64_t, double, std::string, Blob> v_;
};

using Row = std::vector<Value>;

}  // namespace sluice::storage
