// Random XGBoost models and rows for the compiled-tree tests: each seed gives one training setup
// (objective, booster, tree method, depth, rounds, base_score, data with NaNs and ties), trained
// by the xgb adapter on one thread. Deterministic: a fixed-seed engine whose draws do not depend
// on the standard library's distributions, and XGBoost's own seed fixed.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "xgb/xgb.h"

namespace sluice::models::testing {

class Rng {
 public:
  explicit Rng(uint32_t seed) : engine_(seed) {}
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 5) / 134217728.0; }
  // Uniform in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(engine_() % static_cast<uint32_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Int(0, static_cast<int>(items.size()) - 1))];
  }

 private:
  std::mt19937 engine_;
};

// Rows x features, row-major: per feature a random kind (continuous, a few repeated values so
// that ties and exact thresholds are common, or a wide range), `missing` of them NaN.
inline std::vector<float> RandomRows(Rng& rng, size_t rows, size_t features, double missing,
                                     uint32_t kinds_seed) {
  Rng kinds(kinds_seed);  // the same feature kinds for training and test rows of one model
  std::vector<int> kind(features);
  for (int& k : kind) k = kinds.Int(0, 2);
  std::vector<float> x(rows * features);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < features; ++f) {
      float& value = x[r * features + f];
      if (rng.Chance(missing)) {
        value = std::numeric_limits<float>::quiet_NaN();
      } else if (kind[f] == 0) {
        value = static_cast<float>(rng.Uniform() * 2 - 1);
      } else if (kind[f] == 1) {
        value = static_cast<float>(rng.Int(0, 5)) * 0.25f;
      } else {
        value = static_cast<float>((rng.Uniform() - 0.3) * 1000);
      }
    }
  }
  return x;
}

struct RandomSetup {
  std::string description;  // the parameters, for failure messages
  std::string objective;
  size_t num_features = 0;
  size_t rounds = 0;
  uint32_t kinds_seed = 0;  // RandomRows(..., kinds_seed) draws rows like the training ones
  double missing = 0;
};

struct RandomModel {
  RandomSetup setup;
  xgb::Booster booster;
};

inline std::string Describe(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string text;
  for (const auto& [name, value] : params) text += fmt::format("{}={} ", name, value);
  return text;
}

// Labels the objective can learn from: a nonlinear function of the first features.
inline std::vector<float> Labels(Rng& rng, const std::vector<float>& x, size_t rows,
                                 size_t features, const std::string& objective, int num_class) {
  std::vector<float> labels(rows);
  for (size_t r = 0; r < rows; ++r) {
    auto get = [&](size_t f) {
      float v = x[r * features + (f % features)];
      return std::isnan(v) ? 0.3f : v;
    };
    const double score = std::clamp(
        std::sin(3 * get(0)) + 0.5 * get(1) * get(2) + 0.001 * get(3) + (rng.Uniform() - 0.5) * 0.6,
        -3.0, 3.0);
    float& label = labels[r];
    if (objective == "binary:logistic" || objective == "reg:logistic" ||
        objective == "binary:hinge" || objective == "binary:logitraw") {
      label = score > 0.1 ? 1.0f : 0.0f;
    } else if (objective.rfind("multi:", 0) == 0) {
      label = static_cast<float>(std::clamp(
          static_cast<int>(std::floor((score + 1.5) / 3 * num_class)), 0, num_class - 1));
    } else if (objective == "count:poisson") {
      label = static_cast<float>(std::floor(std::exp(score) * 2));
    } else if (objective == "reg:gamma" || objective == "reg:tweedie") {
      label = static_cast<float>(std::exp(score));
    } else if (objective == "survival:cox") {
      label = static_cast<float>((rng.Chance(0.7) ? 1 : -1) * (std::exp(-score) + 0.01));
    } else if (objective.rfind("rank:", 0) == 0) {
      label = static_cast<float>(std::clamp(static_cast<int>(score * 2 + 2), 0, 4));
    } else if (objective == "reg:squaredlogerror") {
      label = static_cast<float>(std::exp(score));
    } else {
      label = static_cast<float>(score * 10 + 3);
    }
  }
  return labels;
}

// One random model per seed; consecutive seeds go through all objectives. `big` allows larger
// training sets.
inline Result<RandomModel> TrainRandomModel(uint32_t seed, bool big = false) {
  Rng rng(seed * 7919u + 17u);
  static const std::vector<std::string> kObjectives = {
      // weighted: the objectives serving sees most often come several times
      "binary:logistic",   "binary:logistic",      "binary:logistic",
      "multi:softprob",    "multi:softprob",       "multi:softmax",
      "reg:squarederror",  "reg:squarederror",     "reg:logistic",
      "count:poisson",     "count:poisson",        "reg:gamma",
      "reg:tweedie",       "binary:hinge",         "binary:logitraw",
      "reg:absoluteerror", "reg:pseudohubererror", "reg:squaredlogerror",
      "survival:cox",      "rank:pairwise",        "rank:ndcg",
      "rank:map"};
  RandomSetup model;
  model.objective = kObjectives[seed % kObjectives.size()];  // every one in a run of seeds
  model.num_features = static_cast<size_t>(rng.Int(1, 30));
  model.missing = rng.Chance(0.15) ? 0.0 : (rng.Chance(0.15) ? 0.5 : 0.1);
  model.kinds_seed = seed + 1000;
  const size_t rows = static_cast<size_t>(big ? rng.Int(200, 4000) : rng.Int(60, 400));
  const int num_class = rng.Int(3, 5);
  std::vector<float> x = RandomRows(rng, rows, model.num_features, model.missing, model.kinds_seed);
  std::vector<float> y = Labels(rng, x, rows, model.num_features, model.objective, num_class);

  const int max_depth = rng.Int(1, 12);
  std::vector<std::pair<std::string, std::string>> params = {
      {"objective", model.objective},
      {"max_depth", std::to_string(max_depth)},
      {"eta", fmt::format("{:.3f}", 0.05 + rng.Uniform() * 0.95)},
  };
  if (model.objective.rfind("multi:", 0) == 0) {
    params.push_back({"num_class", std::to_string(num_class)});
  }
  const int method = rng.Int(0, 9);
  if (method < 6) {
    params.push_back({"tree_method", "hist"});
    static const std::vector<int> kBins = {2, 3, 8, 32, 256, 1024};
    params.push_back({"max_bin", std::to_string(rng.Pick(kBins))});
  } else if (method < 8) {
    params.push_back({"tree_method", "exact"});  // with gamma, pruning leaves deleted nodes
  } else {
    // approx sketches the data again every round: slow, so fewer bins and rounds below.
    params.push_back({"tree_method", "approx"});
    params.push_back({"max_bin", std::to_string(rng.Int(2, 32))});
  }
  if (rng.Chance(0.3)) params.push_back({"gamma", fmt::format("{:.2f}", rng.Uniform() * 3)});
  if (max_depth >= 9) {
    params.push_back({"min_child_weight", "0"});  // so that the trees do grow that deep
  } else if (rng.Chance(0.3)) {
    params.push_back({"min_child_weight", fmt::format("{:.2f}", rng.Uniform() * 4)});
  }
  if (rng.Chance(0.3)) {
    params.push_back({"subsample", fmt::format("{:.2f}", 0.5 + rng.Uniform() / 2)});
  }
  if (rng.Chance(0.3)) {
    params.push_back({"colsample_bynode", fmt::format("{:.2f}", 0.3 + rng.Uniform() * 0.7)});
  }
  if (rng.Chance(0.3)) {
    // (0, 1) suits every objective: probabilities, and positive means for the log links.
    params.push_back({"base_score", fmt::format("{:.7g}", 0.02 + rng.Uniform() * 0.96)});
  }
  if (rng.Chance(0.12)) {
    params.push_back({"booster", "dart"});
    params.push_back({"rate_drop", fmt::format("{:.2f}", rng.Uniform() * 0.5)});
    params.push_back({"skip_drop", fmt::format("{:.2f}", rng.Uniform() * 0.5)});
    if (rng.Chance(0.5)) params.push_back({"normalize_type", "forest"});
  } else if (rng.Chance(0.1)) {
    params.push_back({"num_parallel_tree", std::to_string(rng.Int(2, 3))});
  }
  model.rounds = static_cast<size_t>(rng.Int(1, method < 8 ? 50 : 12));
  model.description =
      fmt::format("seed {}: {}rounds={} features={} rows={} missing={}", seed, Describe(params),
                  model.rounds, model.num_features, rows, model.missing);

  SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromDense(x, rows, model.num_features));
  SLUICE_RETURN_IF_ERROR(train.SetLabels(y));
  const xgb::DMatrix* cache[] = {&train};
  SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::Create(cache));
  SLUICE_RETURN_IF_ERROR(booster.SetParam("nthread", "1"));
  SLUICE_RETURN_IF_ERROR(booster.SetParam("seed", std::to_string(seed)));
  for (const auto& [name, value] : params) SLUICE_RETURN_IF_ERROR(booster.SetParam(name, value));
  for (size_t i = 0; i < model.rounds; ++i) {
    SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(static_cast<int>(i), train));
  }
  return RandomModel{std::move(model), std::move(booster)};
}

}  // namespace sluice::models::testing
