// A workspace in a temp folder with a DatasetStore over it, for the store's tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "base/clock.h"
#include "datasets/dataset_store.h"
#include "storage/workspace.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::datasets {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "ws";
    auto ws = storage::Workspace::Init(root_);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    workspace_ = std::move(*ws);
    Reopen(Options());
  }

  // Small chunks, so that chunking is exercised by files of a few hundred KiB.
  static StoreOptions Options() {
    StoreOptions o;
    o.chunking = {
        .min_bytes = 1024, .avg_bytes = 4096, .max_bytes = 16384, .threshold_bytes = 16384};
    o.threads = 2;
    o.pack_target_bytes = 256 << 10;
    o.lease_wait = std::chrono::milliseconds(200);
    return o;
  }

  void Reopen(const StoreOptions& options) {
    store_.reset();
    auto store = DatasetStore::Open(workspace_->database(), workspace_->blobs(), root_,
                                    SystemClock::Get(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  std::filesystem::path Path(const std::string& rel) const { return root_ / rel; }

  void Write(const std::string& rel, const std::string& contents) {
    testing::WriteFile(root_ / rel, contents);
  }
  std::string Read(const std::string& rel) const { return testing::ReadFile(root_ / rel); }

  static std::string RandomText(size_t bytes, uint32_t seed) {
    std::mt19937 random(seed);
    std::string out(bytes, '\0');
    for (char& c : out) c = static_cast<char>('a' + random() % 26);
    return out;
  }

  Result<AddResult> Add(const std::string& rel, const std::string& name,
                        const std::string& message = "") {
    AddOptions o;
    o.name = name;
    o.message = message;
    o.user = "tester";
    return store_->Add(root_ / rel, o);
  }

  testing::TempDir dir_;
  std::filesystem::path root_;
  std::unique_ptr<storage::Workspace> workspace_;
  std::unique_ptr<DatasetStore> store_;
};

}  // namespace sluice::datasets
