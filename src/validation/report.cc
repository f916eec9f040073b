#include "validation/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/file_util.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Value(const Json& v) {
  std::string text =
      v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string Percent(double p) {
  if (p == 0) return "0%";
  if (p < 0.01) return "<0.01%";
  return fmt::format("{:.3g}%", p);
}

constexpr const char* kStyle = R"(
body{font:14px/1.4 -apple-system,system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5a6270;margin-bottom:16px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok{background:#dff5e3;color:#17692b}.fail{background:#fde2e1;color:#a11b16}.err{background:#fff1cc;color:#7a5600}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e3e6ea}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{background:#f3f5f7;font-weight:600;font-size:12px;color:#444}
code{font:12px ui-monospace,Menlo,Consolas,monospace}
.samples{font:12px ui-monospace,Menlo,Consolas,monospace;color:#a11b16;max-width:520px;word-break:break-all}
.cols{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.col{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:10px}
.col h3{font-size:14px;margin:0 0 2px}.small{font-size:12px;color:#5a6270}
.totals span{margin-right:18px}
)";

// A bar chart of `counts`, labelled at both ends.
std::string BarChart(const std::vector<double>& counts, const std::string& left,
                     const std::string& right) {
  const double width = 320, height = 110, chart = 90;
  double top = 0;
  for (double c : counts) top = std::max(top, c);
  std::string svg =
      fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img">)",
                  width, height);
  const double bar = width / static_cast<double>(std::max<size_t>(counts.size(), 1));
  for (size_t i = 0; i < counts.size(); ++i) {
    const double h = top > 0 ? counts[i] / top * chart : 0;
    svg += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#4c78a8"><title>{}</title></rect>)",
        static_cast<double>(i) * bar + 1, chart - h, std::max(bar - 2, 1.0), h,
        fmt::format("{:g}", counts[i]));
  }
  svg += fmt::format(R"(<text x="0" y="{}" font-size="10" fill="#5a6270">{}</text>)", height - 4,
                     Escape(left));
  svg += fmt::format(
      R"(<text x="{}" y="{}" font-size="10" fill="#5a6270" text-anchor="end">{}</text>)", width,
      height - 4, Escape(right));
  return svg + "</svg>";
}

// Horizontal bars for the most common values of a string column.
std::string TopValues(const ColumnProfile& p) {
  if (p.top.empty()) return "";
  const double width = 320, row = 16;
  const double height = row * static_cast<double>(p.top.size()) + 4;
  const double top = static_cast<double>(p.top.front().second);
  std::string svg =
      fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img">)",
                  width, height);
  for (size_t i = 0; i < p.top.size(); ++i) {
    const double y = static_cast<double>(i) * row;
    const double w = top > 0 ? static_cast<double>(p.top[i].second) / top * 170 : 0;
    std::string label = p.top[i].first;
    if (label.size() > 18) label = label.substr(0, 17) + "…";
    svg += fmt::format(R"(<text x="0" y="{:.0f}" font-size="11" fill="#1d2330">{}</text>)", y + 12,
                       Escape(label));
    svg +=
        fmt::format(R"(<rect x="120" y="{:.0f}" width="{:.1f}" height="12" fill="#4c78a8"></rect>)",
                    y + 2, std::max(w, 1.0));
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.0f}" font-size="10" fill="#5a6270">{}</text>)",
                       124 + w, y + 12, Thousands(p.top[i].second));
  }
  return svg + "</svg>";
}

std::string Histogram(const ColumnProfile& p) {
  if (p.type == table::Type::kString) return TopValues(p);
  std::vector<double> values;
  for (double v : p.numbers) {
    if (std::isfinite(v)) values.push_back(v);
  }
  if (values.empty()) return "<div class=small>no values</div>";
  const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *lo_it, hi = *hi_it;
  constexpr int kBins = 20;
  std::vector<double> counts(kBins, 0);
  for (double v : values) {
    int k = hi > lo ? static_cast<int>((v - lo) / (hi - lo) * kBins) : 0;
    counts[static_cast<size_t>(std::clamp(k, 0, kBins - 1))] += 1;
  }
  auto label = [&](double v) {
    if (p.type == table::Type::kTimestamp) {
      return table::FormatTimestamp(static_cast<int64_t>(v)).substr(0, 10);
    }
    return fmt::format("{:.6g}", v);
  };
  return BarChart(counts, label(lo), label(hi));
}

std::string Params(const ExpectationConfig& config) {
  std::string out;
  for (const auto& [key, value] : config.kwargs.items()) {
    if (key == "column" || key == "column_A" || key == "column_B" || key == "column_list" ||
        key == "result_format" || key == "catch_exceptions") {
      continue;
    }
    if (!out.empty()) out += ", ";
    out += key + "=" + Value(value);
  }
  return out;
}

}  // namespace

std::string ColumnsOf(const ExpectationConfig& config) {
  const Json& k = config.kwargs;
  if (k.contains("column") && k["column"].is_string()) return k["column"].get<std::string>();
  if (k.contains("column_A") && k.contains("column_B")) {
    return Value(k["column_A"]) + ", " + Value(k["column_B"]);
  }
  if (k.contains("column_list") && k["column_list"].is_array()) {
    std::string out;
    for (const Json& c : k["column_list"]) out += (out.empty() ? "" : ", ") + Value(c);
    return out;
  }
  return "";
}

std::string ResultSummary(const ExpectationResult& r, size_t max_values) {
  if (r.raised_exception) return "error: " + r.exception_message;
  if (r.is_map) {
    if (r.unexpected_count == 0) {
      return fmt::format("0 unexpected of {}",
                         Thousands(r.nonnull_count.value_or(r.element_count)));
    }
    std::string out = fmt::format("{} unexpected of {} ({})", Thousands(r.unexpected_count),
                                  Thousands(r.nonnull_count.value_or(r.element_count)),
                                  Percent(r.unexpected_percent().value_or(0)));
    std::string samples;
    for (size_t i = 0; i < r.unexpected_values.size() && i < max_values; ++i) {
      samples += (i > 0 ? ", " : "") + Value(r.unexpected_values[i]);
    }
    if (!samples.empty()) out += ": " + samples;
    if (r.unexpected_count > static_cast<int64_t>(max_values) && max_values > 0) out += ", ...";
    return out;
  }
  if (r.config.type == "expect_column_to_exist") return r.success ? "exists" : "missing";
  if (r.observed_value.is_null()) return "observed nothing";
  if (r.observed_value.is_number_float()) {
    return fmt::format("observed {:.6g}", r.observed_value.get<double>());
  }
  return "observed " + Value(r.observed_value);
}

std::string HtmlReport(const SuiteResult& result) {
  std::string html = "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>" +
                     Escape("Validation: " + result.suite_name + " on " + result.data) +
                     "</title><style>" + kStyle + "</style></head><body>";
  html += fmt::format("<h1>{} {}</h1>",
                      Escape(result.suite_name.empty() ? "Validation" : result.suite_name),
                      result.success ? "<span class='badge ok'>PASSED</span>"
                                     : "<span class='badge fail'>FAILED</span>");
  html += fmt::format(
      "<div class=meta>{} &middot; {} rows &middot; {} columns &middot; {:.2f} s</div>",
      Escape(result.data), Thousands(result.rows), result.columns.size(), result.seconds);
  const SuiteStatistics& s = result.statistics;
  html += fmt::format(
      "<div class=totals><span><b>{}</b> expectations</span><span><b>{}</b> passed</span>"
      "<span><b>{}</b> failed</span><span><b>{}</b> success</span></div>",
      s.evaluated_expectations, s.successful_expectations, s.unsuccessful_expectations,
      s.success_percent ? fmt::format("{:.1f}%", *s.success_percent) : "-");

  html +=
      "<h2>Expectations</h2><table><tr><th>#</th><th>status</th><th>expectation</th>"
      "<th>column</th><th>parameters</th><th>result</th><th>failing samples (row: value)</th></tr>";
  for (const ExpectationResult& r : result.results) {
    const char* badge = r.raised_exception ? "<span class='badge err'>ERROR</span>"
                        : r.success        ? "<span class='badge ok'>pass</span>"
                                           : "<span class='badge fail'>fail</span>";
    std::string samples;
    if (!r.success && r.is_map) {
      for (size_t i = 0; i < r.unexpected_rows.size() && i < 20; ++i) {
        samples += fmt::format("{}{}: {}", i > 0 ? "<br>" : "", r.unexpected_rows[i],
                               Escape(Value(r.unexpected_values[i])));
      }
    } else if (!r.success && !r.details.is_null()) {
      samples = Escape(Value(r.details));
    }
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td>"
        "<td>{}</td><td class=samples>{}</td></tr>",
        r.index + 1, badge, Escape(r.config.type), Escape(ColumnsOf(r.config)),
        Escape(Params(r.config)), Escape(ResultSummary(r, 0)), samples);
  }
  html += "</table>";

  if (!result.profiles.empty()) {
    html += "<h2>Columns</h2><div class=cols>";
    for (const ColumnProfile& p : result.profiles) {
      int passed = 0, failed = 0;
      for (const ExpectationResult& r : result.results) {
        if (ColumnsOf(r.config) != p.name) continue;
        (r.success ? passed : failed) += 1;
      }
      html += fmt::format(
          "<div class=col><h3>{} <span class=small>{}</span></h3><div class=small>{} rows, {} "
          "null ({}){}{}</div>{}</div>",
          Escape(p.name), table::TypeName(p.type), Thousands(p.count), Thousands(p.null_count),
          Percent(p.count > 0
                      ? 100.0 * static_cast<double>(p.null_count) / static_cast<double>(p.count)
                      : 0),
          p.type == table::Type::kString ? fmt::format(", {} distinct", Thousands(p.distinct)) : "",
          passed + failed > 0
              ? fmt::format(" &middot; expectations: {} passed, {} failed", passed, failed)
              : "",
          Histogram(p));
    }
    html += "</div>";
  }
  html += "</body></html>\n";
  return html;
}

Status WriteHtmlReport(const SuiteResult& result, const std::filesystem::path& path) {
  return WriteFileAtomically(path, HtmlReport(result));
}

}  // namespace sluice::validation
