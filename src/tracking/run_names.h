// Memorable names for runs created without one ("brave-otter-417"), as MLflow gives.
#pragma once

#include <string>

namespace sluice::tracking {

std::string GenerateRunName();

}  // namespace sluice::tracking
