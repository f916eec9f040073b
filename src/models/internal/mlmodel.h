// The files MLflow reads beside a Sluice bundle: MLmodel (flavors, signature, input example) and
// the Python environment files `mlflow models serve` builds from.
#pragma once

#include <string>

#include "models/bundle.h"

namespace sluice::models::internal {

// MLmodel YAML. An XGBoost bundle gets the `xgboost` and `python_function` flavors (loadable by
// mlflow.xgboost.load_model and mlflow.pyfunc.load_model); every bundle gets a `sluice` flavor
// pointing at sluice.json.
std::string MlmodelYaml(const Bundle& bundle, size_t model_size_bytes);

std::string RequirementsTxt(const Bundle& bundle);
std::string PythonEnvYaml();
std::string CondaYaml(const Bundle& bundle);

}  // namespace sluice::models::internal
